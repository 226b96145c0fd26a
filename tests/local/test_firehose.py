"""Firehose delivery the emulator adds to moto: Kinesis source, Lambda processor, prefixes,
compression, error output and backup."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import time

from ml_constructs.local.firehose import evaluate_prefix
from tests.local.test_models import att, role

TRANSFORM = """
import base64, json

def handler(event, context):
    out = []
    for record in event["records"]:
        data = base64.b64decode(record["data"])
        if not data.strip():
            out.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})
            continue
        try:
            item = json.loads(data)
            ok = item.get("ok") is True
        except ValueError:
            ok = False
        if ok:
            item["checked"] = True
            body = base64.b64encode((json.dumps(item) + "\\n").encode()).decode()
            out.append({"recordId": record["recordId"], "result": "Ok", "data": body})
        else:
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
    return {"records": out}
"""


def test_prefix_expressions() -> None:
    when = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    prefix = "raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    assert evaluate_prefix(prefix, when) == "raw/year=2026/month=03/day=04/hour=05/"
    assert evaluate_prefix("errors/!{firehose:error-output-type}/", when) == "errors/processing-failed/"


def test_kinesis_records_are_processed_and_delivered(deploy) -> None:
    resources = {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Role": role(),
        "DeliveryRole": role("firehose.amazonaws.com"),
        "Source": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
        "Transform": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": att("Role", "Arn"),
                "Timeout": 60,
                "Code": {"ZipFile": TRANSFORM},
            },
        },
        "Delivery": {
            "Type": "AWS::KinesisFirehose::DeliveryStream",
            "Properties": {
                "DeliveryStreamType": "KinesisStreamAsSource",
                "KinesisStreamSourceConfiguration": {
                    "KinesisStreamARN": att("Source", "Arn"),
                    "RoleARN": att("DeliveryRole", "Arn"),
                },
                "ExtendedS3DestinationConfiguration": {
                    "BucketARN": att("Bucket", "Arn"),
                    "RoleARN": att("DeliveryRole", "Arn"),
                    "Prefix": "clicks/year=!{timestamp:yyyy}/",
                    "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
                    "CompressionFormat": "GZIP",
                    "S3BackupMode": "Enabled",
                    "S3BackupConfiguration": {
                        "BucketARN": att("Bucket", "Arn"),
                        "RoleARN": att("DeliveryRole", "Arn"),
                        "Prefix": "backup/",
                    },
                    "ProcessingConfiguration": {
                        "Enabled": True,
                        "Processors": [
                            {
                                "Type": "Lambda",
                                "Parameters": [
                                    {"ParameterName": "LambdaArn", "ParameterValue": att("Transform", "Arn")}
                                ],
                            }
                        ],
                    },
                },
            },
        },
    }
    stack = deploy(resources)
    kinesis, s3 = stack.client("kinesis"), stack.client("s3")
    records = [b'{"ok": true, "n": 1}\n', b'{"ok": false, "n": 2}\n', b"not json\n", b"   "]
    kinesis.put_records(
        StreamName=stack.physical["Source"],
        Records=[{"Data": r, "PartitionKey": str(n)} for n, r in enumerate(records)],
    )
    bucket = stack.physical["Bucket"]
    deadline = time.time() + 60
    keys: list[str] = []
    while time.time() < deadline and len(keys) < 3:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        time.sleep(0.3)
    delivered = [k for k in keys if k.startswith(f"clicks/year={dt.datetime.now(dt.UTC).year}/")]
    errors = [k for k in keys if k.startswith("errors/processing-failed/")]
    backup = [k for k in keys if k.startswith("backup/")]
    assert len(delivered) == len(errors) == len(backup) == 1, keys
    assert delivered[0].endswith(".gz")
    body = gzip.decompress(s3.get_object(Bucket=bucket, Key=delivered[0])["Body"].read())
    assert [json.loads(line) for line in body.splitlines()] == [{"ok": True, "n": 1, "checked": True}]
    failures = [
        json.loads(line) for line in s3.get_object(Bucket=bucket, Key=errors[0])["Body"].read().splitlines()
    ]
    assert [base64.b64decode(f["rawData"]) for f in failures] == records[1:3]
    assert {f["errorCode"] for f in failures} == {"Lambda.ProcessingFailed"}
    backed_up = gzip.decompress(s3.get_object(Bucket=bucket, Key=backup[0])["Body"].read())
    assert backed_up == b"".join(records)
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)
    stack.delete()
