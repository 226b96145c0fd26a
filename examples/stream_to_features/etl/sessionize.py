"""My own PySpark job: click events of the last days -> sessions per customer (Parquet).

Runs on Glue (the job passes --events and --sessions); bad rows are counted, not dropped
silently: they go to --sessions + "_rejected/" with the reason.
"""

import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def argument(name: str) -> str:
    return sys.argv[sys.argv.index(f"--{name}") + 1]


def main() -> None:
    spark = SparkSession.builder.appName("sessionize").getOrCreate()
    events = spark.read.json(argument("events"))
    valid = events.where(F.col("customer_id").isNotNull() & F.col("occurred_at").isNotNull())
    rejected = events.subtract(valid).withColumn("reason", F.lit("customer_id or occurred_at missing"))
    sessions = valid.groupBy("customer_id", F.to_date("occurred_at").alias("day")).agg(
        F.count("*").alias("events"),
        F.sum(F.when(F.col("event_type") == "purchase", 1).otherwise(0)).alias("purchases"),
    )
    sessions.write.mode("overwrite").partitionBy("day").parquet(argument("sessions"))
    rejected.write.mode("overwrite").json(argument("sessions").rstrip("/") + "_rejected/")


if __name__ == "__main__":
    main()
