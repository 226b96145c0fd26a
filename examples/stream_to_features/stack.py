"""Stream click events into my existing bucket and turn them into sessions with my Glue job.

What a user writes: the lake adopts an existing bucket as its raw zone, the stream lands
there through the validating Firehose transform, and a Glue job of mine runs nightly over it.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ml_constructs import (
    DataLake,
    Field,
    FieldType,
    GlueEtlJob,
    JobTrigger,
    LakePath,
    RecordSchema,
    StreamIngest,
    Zone,
)

CLICKS = RecordSchema.from_fields(
    Field("customer_id", FieldType.STRING, max_length=64),
    Field("event_type", FieldType.STRING, allowed=("view", "click", "purchase")),
    Field("occurred_at", FieldType.TIMESTAMP),
)


class StreamToFeaturesStack(Stack):
    def __init__(
        self, scope: Construct, id: str, *, raw_bucket_name: str = "my-company-raw-data", **kwargs
    ) -> None:
        super().__init__(scope, id, **kwargs)
        existing = s3.Bucket.from_bucket_name(self, "ExistingRaw", raw_bucket_name)
        lake = DataLake(self, "Lake", buckets={Zone.RAW: existing})
        clicks = StreamIngest(self, "Clicks", lake=lake, schema=CLICKS)
        self.sessions = GlueEtlJob(
            self,
            "Sessions",
            lake=lake,
            script=Path(__file__).parent / "etl" / "sessionize.py",
            reads=[LakePath(Zone.RAW, clicks.prefix)],
            writes=[LakePath(Zone.PROCESSED, "sessions/")],
            crawl_path=LakePath(Zone.PROCESSED, "sessions/"),
            arguments={
                "--events": lake.s3_uri(Zone.RAW, clicks.prefix),
                "--sessions": lake.s3_uri(Zone.PROCESSED, "sessions/"),
            },
            trigger=JobTrigger.schedule("cron(0 3 * * ? *)"),
        )
