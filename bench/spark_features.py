"""Benchmark: the feature script (``ml_constructs/runtime/spark/features.py``) in local Spark.

For each size N (default 1e5 and 1e6 orders) it generates, with Spark itself, a lake shaped
like the real one: 90% of the orders as sales JSON lines, 10% as a DMS Parquet table (full
load with ``Op`` and ``dms_commit_ts``), 1% of them invalid (a bad zip code), and N gzipped
click-stream events. Then it times one full run of the script (read, validate, dedupe, build
features, write Parquet + rejected + three CSVs) and prints rows/s and how time grows with N.

A warm-up run on 1,000 rows goes first, so JVM start-up and JIT warm-up are not charged to
the first size. Everything runs in one local SparkSession (``--master``, default
``local[2]``), as on a 2-core machine; on Glue or EMR Serverless the same script scales out.

    .venv/bin/python bench/spark_features.py [--rows 100000 1000000] [--master local[2]]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# Import the script the way Glue and EMR Serverless run it: a top-level module (no CDK import).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ml_constructs" / "runtime" / "spark"))

import features  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

STREETS = ["Main Street", "Oak Avenue", "Pine Road", "Elm Street", "Lake Drive"]
START_SECONDS = 1_704_067_200  # 2024-01-01T00:00:00Z


def generate(spark: SparkSession, root: Path, rows: int, seed: int = 1) -> dict[str, str]:
    """Write sales JSON lines, a DMS Parquet table and gzipped events for ``rows`` orders."""
    customers = max(rows // 5, 10)
    base = spark.range(rows).withColumn("r", F.rand(seed))
    orders = base.select(
        F.concat(F.lit("o"), F.col("id")).alias("order_id"),
        F.concat(F.lit("c"), (F.col("id") * 7919) % customers).alias("customer_id"),
        ((F.col("id") % 200) + 1).cast("string").alias("street_number"),
        F.element_at(
            F.array(*[F.lit(s) for s in STREETS]), (F.col("id") % len(STREETS) + 1).cast("int")
        ).alias("street_name"),
        F.when(F.col("id") % 100 == 0, F.lit("!!"))
        .otherwise(F.lpad(((F.col("id") * 31) % 900 + 10000).cast("string"), 5, "0"))
        .alias("zip_code"),
        F.round(F.col("r") * 500 + 1, 2).alias("amount"),
        ((F.col("id") % 5) + 1).cast("int").alias("quantity"),
        F.element_at(
            F.array(F.lit("web"), F.lit("store"), F.lit("phone")), (F.col("id") % 3 + 1).cast("int")
        ).alias("channel"),
        F.timestamp_seconds(F.lit(START_SECONDS) + (F.col("r") * 365 * 86400).cast("long")).alias(
            "ordered_at"
        ),
        (F.col("id") % 10 == 0).alias("_dms"),
    )
    paths = {name: str(root / name) for name in ("sales", "orders", "events")}
    sales = orders.where(~F.col("_dms")).drop("_dms")
    sales.withColumn("ordered_at", F.date_format("ordered_at", "yyyy-MM-dd'T'HH:mm:ss'Z'")).write.json(
        paths["sales"]
    )
    dms = orders.where(F.col("_dms")).drop("_dms")
    dms.select(F.lit("I").alias("Op"), "*", F.current_timestamp().alias("dms_commit_ts")).write.parquet(
        paths["orders"]
    )
    spark.range(rows).select(
        F.concat(F.lit("c"), (F.col("id") * 104729) % customers).alias("customer_id"),
        F.element_at(
            F.array(F.lit("view"), F.lit("cart"), F.lit("search")), (F.col("id") % 3 + 1).cast("int")
        ).alias("event_type"),
    ).write.option("compression", "gzip").json(paths["events"])
    return paths


def run_once(spark: SparkSession, root: Path, rows: int) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    paths = generate(spark, root / "lake", rows)
    generated = time.perf_counter() - started
    options = features.parse_args(
        [
            f"--sales_path={paths['sales']}",
            f"--orders_path={paths['orders']}",
            f"--events_path={paths['events']}",
            f"--output_path={root / 'out'}",
        ]
    )
    started = time.perf_counter()
    summary = features.run(spark, options)
    seconds = time.perf_counter() - started
    return {"rows": rows, "generate_s": generated, "run_s": seconds, "summary": summary}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--driver-memory", default="3g")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and outputs")
    args = parser.parse_args()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(args.master)
        .appName("bench-features")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    scratch = Path(tempfile.mkdtemp(prefix="bench-features-"))
    print(f"spark {spark.version}, master {args.master}, {os.cpu_count()} CPUs, scratch {scratch}")
    try:
        warm = run_once(spark, scratch / "warmup", 1_000)
        print(f"warm-up: 1,000 rows in {warm['run_s']:.1f} s (JVM/JIT warm-up, not counted)")
        results = []
        for rows in args.rows:
            result = run_once(spark, scratch / f"n{rows}", rows)
            results.append(result)
            s = result["summary"]
            print(
                f"N={rows:>10,}: run {result['run_s']:7.1f} s = {rows / result['run_s']:>9,.0f} rows/s "
                f"(generate {result['generate_s']:.1f} s; features {s['features']:,}, rejected "
                f"{s['rejected']:,}, train {s['train']:,}, validation {s['validation']:,}, "
                f"score {s['score']:,})"
            )
            if not args.keep:
                shutil.rmtree(scratch / f"n{rows}", ignore_errors=True)
        for smaller, larger in zip(results, results[1:], strict=False):
            size = larger["rows"] / smaller["rows"]
            time_ratio = larger["run_s"] / smaller["run_s"]
            print(
                f"N x{size:g} ({smaller['rows']:,} -> {larger['rows']:,}): time x{time_ratio:.2f} "
                f"(linear would be x{size:g}; below it, fixed per-run costs still dominate the smaller N)"
            )
        print(json.dumps([{k: v for k, v in r.items() if k != "summary"} for r in results]))
    finally:
        spark.stop()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
