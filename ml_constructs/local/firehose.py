"""Firehose delivery as the reference app uses it, added to moto's Firehose.

moto's Firehose writes the records of a ``PutRecordBatch`` to S3 as they are: it runs no Lambda
processor, reads no Kinesis source stream, evaluates no ``!{...}`` prefix expressions, does not
compress and writes no backup. With :func:`install`:

- records put into a Kinesis data stream go on (in a thread) to every delivery stream that has
  it as its source, as Firehose's own consumer would, and ``PutRecord(Batch)`` into a delivery
  stream with a processor or expressions takes the same path;
- the Lambda processor runs (locally, see :mod:`.runner`) on the batch, in Firehose's event
  format; ``Ok`` records are delivered, ``ProcessingFailed`` ones (and all of them if the
  function fails) go to the error output prefix as Firehose's JSON error records, ``Dropped``
  ones nowhere;
- prefixes get their ``!{timestamp:...}``, ``!{firehose:error-output-type}`` and
  ``!{firehose:random-string}`` expressions evaluated, objects are gzip-compressed when asked
  (``.gz``), KMS-encrypted with the configured key, and source records are backed up when
  ``S3BackupMode`` is ``Enabled``.

Buffering hints are not honoured: every put is delivered at once, as one object.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import re
import threading
import uuid
from typing import Any

from . import api

_installed = False
_JAVA_DATE = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"))


def install() -> None:
    """Patch moto's Kinesis and Firehose backends (once per process)."""
    global _installed
    if _installed:
        return
    from moto.firehose.models import FirehoseBackend
    from moto.kinesis.models import KinesisBackend

    put_record = KinesisBackend.put_record
    put_records = KinesisBackend.put_records
    put_record_batch = FirehoseBackend.put_record_batch

    def kinesis_put_record(
        self: Any, stream_arn: str, stream_name: str, partition_key: str, explicit_hash_key: str, data: str
    ) -> Any:
        result = put_record(self, stream_arn, stream_name, partition_key, explicit_hash_key, data)
        _forward(self, stream_arn, stream_name, [data])
        return result

    def kinesis_put_records(
        self: Any, stream_arn: str, stream_name: str, records: list[dict[str, Any]]
    ) -> Any:
        result = put_records(self, stream_arn, stream_name, records)
        _forward(self, stream_arn, stream_name, [r.get("Data", "") for r in records])
        return result

    def firehose_put_record_batch(self: Any, delivery_stream_name: str, records: list[dict[str, Any]]) -> Any:
        stream = self.delivery_streams.get(delivery_stream_name)
        if stream is None or not _needs_engine(stream):
            return put_record_batch(self, delivery_stream_name, records)
        data = [r["Data"] if isinstance(r["Data"], bytes) else base64.b64decode(r["Data"]) for r in records]
        deliver(self.account_id, self.region_name, stream, data)
        return {
            "FailedPutCount": 0,
            "Encrypted": False,
            "RequestResponses": [{"RecordId": str(uuid.uuid4())} for _ in records],
        }

    setattr(KinesisBackend, "put_record", kinesis_put_record)  # noqa: B010
    setattr(KinesisBackend, "put_records", kinesis_put_records)  # noqa: B010
    setattr(FirehoseBackend, "put_record_batch", firehose_put_record_batch)  # noqa: B010
    _installed = True


def _destination(stream: Any) -> dict[str, Any]:
    for destination in stream.destinations:
        for key in ("ExtendedS3", "S3"):
            if key in destination:
                return destination[key]
    return {}


def _processor(destination: dict[str, Any]) -> str | None:
    processing = destination.get("ProcessingConfiguration") or {}
    if str(processing.get("Enabled", "false")).lower() != "true":
        return None
    for processor in processing.get("Processors") or []:
        if processor.get("Type") == "Lambda":
            for parameter in processor.get("Parameters") or []:
                if parameter.get("ParameterName") == "LambdaArn":
                    return str(parameter["ParameterValue"])
    return None


def _needs_engine(stream: Any) -> bool:
    destination = _destination(stream)
    return bool(destination) and (
        _processor(destination) is not None
        or "!{" in str(destination.get("Prefix", ""))
        or destination.get("CompressionFormat", "UNCOMPRESSED") != "UNCOMPRESSED"
    )


def _forward(kinesis: Any, stream_arn: str | None, stream_name: str | None, data: list[str]) -> None:
    """Hand freshly put Kinesis records to the delivery streams reading that stream."""
    from moto.firehose.models import firehose_backends

    try:
        stream = kinesis.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    except Exception:
        return
    records = [base64.b64decode(d) if isinstance(d, str) else bytes(d) for d in data]
    for delivery in list(
        firehose_backends[kinesis.account_id][kinesis.region_name].delivery_streams.values()
    ):
        source = (delivery.source or {}).get("KinesisStreamARN")
        if source == stream.arn and _destination(delivery):
            threading.Thread(
                target=deliver,
                args=(kinesis.account_id, kinesis.region_name, delivery, records, stream.arn),
                daemon=True,
            ).start()


def deliver(
    account_id: str, region: str, stream: Any, records: list[bytes], source_arn: str | None = None
) -> None:
    """Process ``records`` and write them to the stream's S3 destination (see the module doc)."""
    destination = _destination(stream)
    arrived = dt.datetime.now(dt.UTC)
    lambda_arn = _processor(destination)
    delivered, failed = list(records), list[bytes]()
    if lambda_arn:
        delivered, failed = _process(account_id, region, stream, lambda_arn, records, arrived, source_arn)
    _write(stream, destination, destination.get("Prefix", ""), delivered, arrived)
    if failed:
        error_prefix = destination.get("ErrorOutputPrefix") or destination.get("Prefix", "")
        _write(
            stream, destination, error_prefix, failed, arrived, error_type="processing-failed", gzip_ok=False
        )
    backup = destination.get("S3BackupDescription") or destination.get("S3BackupConfiguration") or {}
    if destination.get("S3BackupMode") == "Enabled" and backup:
        _write(stream, {**destination, **backup}, backup.get("Prefix", ""), list(records), arrived)


def _process(
    account_id: str,
    region: str,
    stream: Any,
    lambda_arn: str,
    records: list[bytes],
    arrived: dt.datetime,
    source_arn: str | None,
) -> tuple[list[bytes], list[bytes]]:
    from moto.awslambda.utils import get_backend

    millis = int(arrived.timestamp() * 1000)
    event: dict[str, Any] = {
        "invocationId": str(uuid.uuid4()),
        "deliveryStreamArn": stream.delivery_stream_arn,
        "region": region,
        "records": [
            {
                "recordId": f"{n:08d}",
                "approximateArrivalTimestamp": millis,
                "data": base64.b64encode(r).decode(),
            }
            for n, r in enumerate(records)
        ],
    }
    if source_arn:
        event["sourceKinesisStreamArn"] = source_arn
    error = "Lambda.FunctionError"
    try:
        payload = get_backend(account_id, lambda_arn.split(":")[3]).invoke(
            function_name=lambda_arn, qualifier=None, body=json.dumps(event), headers={}, response_headers={}
        )
        results = {r["recordId"]: r for r in json.loads(payload or "{}")["records"]}
    except Exception as failure:
        results, error = {}, f"Lambda.FunctionError: {failure}"
    delivered, failed = [], []
    for item, original in zip(event["records"], records, strict=True):
        result = results.get(item["recordId"])
        if result is not None and result.get("result") == "Ok":
            delivered.append(base64.b64decode(result.get("data", "")))
        elif result is not None and result.get("result") == "Dropped":
            continue
        else:
            code = "Lambda.ProcessingFailed" if result is not None else error.split(":")[0]
            failed.append(
                json.dumps(
                    {
                        "attemptsMade": 1,
                        "arrivalTimestamp": millis,
                        "errorCode": code,
                        "errorMessage": "The Lambda function returned ProcessingFailed for the record"
                        if result is not None
                        else error,
                        "attemptEndingTimestamp": int(dt.datetime.now(dt.UTC).timestamp() * 1000),
                        "rawData": base64.b64encode(original).decode(),
                        "lambdaArn": lambda_arn,
                    }
                ).encode()
                + b"\n"
            )
    return delivered, failed


def evaluate_prefix(prefix: str, when: dt.datetime, error_type: str = "") -> str:
    """A Firehose S3 prefix with its ``!{...}`` expressions evaluated."""

    def replace(match: re.Match[str]) -> str:
        namespace, _, argument = match.group(1).partition(":")
        if namespace == "timestamp":
            pattern = argument
            for java, python in _JAVA_DATE:
                pattern = pattern.replace(java, python)
            return when.strftime(pattern)
        if namespace == "firehose" and argument == "error-output-type":
            return error_type or "processing-failed"
        if namespace == "firehose" and argument == "random-string":
            return uuid.uuid4().hex[:11]
        return "unknown"  # dynamic partitioning keys are not evaluated

    return re.sub(r"!\{([^}]*)\}", replace, prefix)


def _write(
    stream: Any,
    destination: dict[str, Any],
    prefix: str,
    records: list[bytes],
    when: dt.datetime,
    *,
    error_type: str = "",
    gzip_ok: bool = True,
) -> None:
    if not records:
        return
    bucket = str(destination["BucketARN"]).split(":")[-1]
    body = b"".join(records)
    if not prefix:
        prefix = when.strftime("%Y/%m/%d/%H/")
    name = (
        f"{evaluate_prefix(prefix, when, error_type)}{stream.delivery_stream_name}-{stream.version_id}-"
        f"{when.strftime('%Y-%m-%d-%H-%M-%S')}-{uuid.uuid4()}"
    )
    if gzip_ok and destination.get("CompressionFormat") == "GZIP":
        body, name = gzip.compress(body), f"{name}.gz"
    extra: dict[str, Any] = {}
    kms = ((destination.get("EncryptionConfiguration") or {}).get("KMSEncryptionConfig") or {}).get(
        "AWSKMSKeyARN"
    )
    if kms:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms}
    api.client("s3", stream.delivery_stream_arn.split(":")[3]).put_object(
        Bucket=bucket, Key=name, Body=body, **extra
    )
