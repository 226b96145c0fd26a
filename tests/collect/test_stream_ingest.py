"""StreamIngest: source, delivery stream, transform, role, table, alarms, grants, validation."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from ml_constructs import DataLake, Field, FieldType, RecordSchema, Zone
from ml_constructs.collect import (
    BufferHints,
    DataStreamSettings,
    IngestSource,
    OutputCompression,
    RecordFormat,
    StreamIngest,
    TimePartitioning,
)
from ml_constructs.core import PYTHON_RUNTIME
from ml_constructs.testing import normalize_template
from tests.collect.conftest import raises, synth_checked

SCHEMA = RecordSchema.from_fields(
    Field("event_id", FieldType.STRING, max_length=64),
    Field("Price", FieldType.NUMBER, minimum=0),
    Field("quantity", FieldType.INTEGER, required=False, minimum=1),
    Field("gift", FieldType.BOOLEAN, required=False),
    Field("at", FieldType.TIMESTAMP),
)
HOURLY = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
DAILY = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"


def _one(template: Template, kind: str) -> dict:
    (resource,) = template.find_resources(kind).values()
    return resource["Properties"]


def _statements(template: Template, role_prefix: str) -> list[dict]:
    for logical_id, policy in template.find_resources("AWS::IAM::Policy").items():
        if logical_id.startswith(role_prefix):
            return policy["Properties"]["PolicyDocument"]["Statement"]
    raise AssertionError(f"no policy {role_prefix}")


@pytest.fixture(scope="module")
def default() -> tuple[Template, StreamIngest, list[str]]:
    def build(stack: Stack) -> StreamIngest:
        lake = DataLake(stack, "Lake")
        topic = sns.Topic(stack, "Alarms", enforce_ssl=True, master_key=lake.encryption_key)
        ingest = StreamIngest(stack, "Clicks", lake=lake, schema=SCHEMA, alarm_topic=topic)
        producer = iam.Role(stack, "Producer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        ingest.grant_put_records(producer)
        return ingest

    return synth_checked(build)


def test_default_is_compliant(default):
    _, _, problems = default
    assert problems == []


def test_default_matches_snapshot(default, snapshot):
    template, _, _ = default
    assert normalize_template(template.to_json()) == snapshot


def test_kinesis_stream_is_provisioned_one_shard_and_encrypted_with_the_lake_key(default):
    template, ingest, _ = default
    key = Stack.of(ingest).resolve(ingest.lake.encryption_key.key_arn)
    template.has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "ShardCount": 1,
            "RetentionPeriodHours": 24,
            "StreamModeDetails": {"StreamMode": "PROVISIONED"},
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": key},
        },
    )


def test_delivery_stream_reads_the_stream_and_writes_partitioned_json(default):
    template, ingest, _ = default
    stack = Stack.of(ingest)
    props = _one(template, "AWS::KinesisFirehose::DeliveryStream")
    assert props["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert props["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] == stack.resolve(
        ingest.stream.stream_arn
    )
    s3_config = props["ExtendedS3DestinationConfiguration"]
    assert s3_config["BucketARN"] == stack.resolve(ingest.lake.raw_bucket.bucket_arn)
    assert s3_config["Prefix"] == "streams/clicks/" + HOURLY
    assert s3_config["ErrorOutputPrefix"] == "stream-errors/clicks/!{firehose:error-output-type}/" + HOURLY
    assert s3_config["BufferingHints"] == {"SizeInMBs": 64, "IntervalInSeconds": 300}
    assert s3_config["CompressionFormat"] == "GZIP"
    key = stack.resolve(ingest.lake.encryption_key.key_arn)
    assert s3_config["EncryptionConfiguration"] == {"KMSEncryptionConfig": {"AWSKMSKeyARN": key}}
    assert "DataFormatConversionConfiguration" not in s3_config
    assert s3_config["CloudWatchLoggingOptions"] == {
        "Enabled": True,
        "LogGroupName": stack.resolve(ingest.log_group.log_group_name),
        "LogStreamName": stack.resolve(ingest.delivery_log_stream.log_stream_name),
    }
    assert s3_config["S3BackupMode"] == "Enabled"
    backup = s3_config["S3BackupConfiguration"]
    assert backup["Prefix"] == "stream-backup/clicks/" + HOURLY
    assert backup["EncryptionConfiguration"] == {"KMSEncryptionConfig": {"AWSKMSKeyARN": key}}
    assert backup["CloudWatchLoggingOptions"]["LogStreamName"] == stack.resolve(
        ingest.backup_log_stream.log_stream_name
    )


def test_processor_is_the_validating_transform_with_its_buffer_hints(default):
    template, ingest, _ = default
    props = _one(template, "AWS::KinesisFirehose::DeliveryStream")
    (processor,) = props["ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"]["Processors"]
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert processor["Type"] == "Lambda"
    assert parameters == {
        "LambdaArn": Stack.of(ingest).resolve(ingest.transform_function.function_arn),
        "NumberOfRetries": "3",
        "BufferSizeInMBs": "1",
        "BufferIntervalInSeconds": "60",
    }
    function = _one(template, "AWS::Lambda::Function")
    assert function["Handler"] == "firehose_transform.handler"
    assert function["Runtime"] == PYTHON_RUNTIME.name
    assert function["MemorySize"] == 1024 and function["Timeout"] == 120
    assert json.loads(function["Environment"]["Variables"]["SCHEMA"]) == SCHEMA.to_spec()
    assert "KmsKeyArn" in function


def test_delivery_role_is_least_privilege(default):
    template, ingest, _ = default
    stack = Stack.of(ingest)
    statements = {s["Sid"]: s for s in _statements(template, "ClicksDeliveryRole")}
    assert set(statements) == {
        "WriteDestinationPrefixes",
        "ListDestinationBucket",
        "EncryptObjects",
        "ReadSourceStream",
        "DecryptSourceStream",
        "InvokeTransform",
        "WriteDeliveryLogs",
    }
    bucket = stack.resolve(ingest.lake.raw_bucket.bucket_arn)
    assert statements["WriteDestinationPrefixes"]["Action"] == [
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:PutObject",
    ]
    assert statements["WriteDestinationPrefixes"]["Resource"] == [
        {"Fn::Join": ["", [bucket, f"/{p}*"]]}
        for p in ("streams/clicks/", "stream-errors/clicks/", "stream-backup/clicks/")
    ]
    assert statements["EncryptObjects"]["Condition"] == {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
        }
    }
    assert statements["InvokeTransform"]["Resource"] == stack.resolve(ingest.transform_function.function_arn)
    assert statements["WriteDeliveryLogs"]["Action"] == "logs:PutLogEvents"
    every_action = json.dumps([s["Action"] for s in statements.values()])
    assert "*" not in every_action
    role = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"Description": Match.string_like_regexp("Firehose")}}
    )
    (trust,) = next(iter(role.values()))["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}}


def test_glue_table_over_the_json_output_with_partition_projection(default):
    template, ingest, _ = default
    props = _one(template, "AWS::Glue::Table")
    assert props["DatabaseName"] == Stack.of(ingest).resolve(ingest.lake.database_name(Zone.RAW))
    table = props["TableInput"]
    assert table["Name"] == ingest.table_name
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("event_id", "string"),
        ("price", "double"),
        ("quantity", "bigint"),
        ("gift", "boolean"),
        ("at", "string"),
    ]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month", "day", "hour"]
    assert (
        table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.openx.data.jsonserde.JsonSerDe"
    )
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.hour.range"] == "0,23"
    assert parameters["compressionType"] == "gzip"
    template_parts = parameters["storage.location.template"]["Fn::Join"][1]
    assert template_parts[-1] == "/streams/clicks/year=${year}/month=${month}/day=${day}/hour=${hour}/"


def test_logs_are_encrypted_with_retention_and_failed_records_become_a_metric(default):
    template, _, _ = default
    groups = template.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == 2  # Firehose and the transform
    for group in groups.values():
        assert "KmsKeyId" in group["Properties"] and group["Properties"]["RetentionInDays"] == 90
    template.resource_count_is("AWS::Logs::LogStream", 2)
    template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "FilterPattern": '{ $.event = "records_failed" }',
            "MetricTransformations": [
                {
                    "MetricNamespace": "MlConstructs/StreamIngest",
                    "MetricName": "RecordsFailed",
                    "MetricValue": "$.count",
                    "Dimensions": [{"Key": "DeliveryStreamName", "Value": "$.delivery_stream"}],
                }
            ],
        },
    )


def test_alarms_on_freshness_delivery_processing_and_transform_errors(default):
    template, ingest, _ = default
    assert len(ingest.alarms) == 4
    for metric, threshold in (
        ("DeliveryToS3.DataFreshness", 900),
        ("DeliveryToS3.Success", 1),
        ("ExecuteProcessing.Success", 1),
    ):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "MetricName": metric,
                "Namespace": "AWS/Firehose",
                "Threshold": threshold,
                "Dimensions": [{"Name": "DeliveryStreamName", "Value": Match.any_value()}],
                "AlarmActions": [Match.any_value()],
            },
        )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "Errors", "Namespace": "AWS/Lambda", "AlarmActions": [Match.any_value()]},
    )


def test_grant_put_records_allows_writing_to_the_stream(default):
    template, _, _ = default
    statements = _statements(template, "ProducerDefaultPolicy")
    actions = {
        a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert {"kinesis:PutRecord", "kinesis:PutRecords"} <= actions
    assert not any(a.startswith("firehose:") for a in actions)


@pytest.fixture(scope="module")
def direct_put_parquet() -> tuple[Template, StreamIngest, list[str]]:
    def build(stack: Stack) -> StreamIngest:
        lake = DataLake(stack, "Lake")
        ingest = StreamIngest(
            stack,
            "Orders",
            lake=lake,
            schema=SCHEMA,
            source=IngestSource.DIRECT_PUT,
            record_format=RecordFormat.PARQUET,
            partitioning=TimePartitioning.DAILY,
            prefix="orders/",
            error_prefix="orders-errors",
            backup_prefix="orders-source/",
            delivery_buffering=BufferHints(128, Duration.seconds(900)),
            processor_buffering=BufferHints(0.2, Duration.seconds(0)),
            processor_retries=0,
            freshness_threshold=Duration.minutes(30),
            failed_records_threshold=10,
            table_name="orders_stream",
        )
        ingest.grant_put_records(iam.Role(stack, "Producer", assumed_by=iam.AccountRootPrincipal()))
        return ingest

    return synth_checked(build)


def test_direct_put_parquet_is_compliant(direct_put_parquet):
    assert direct_put_parquet[2] == []


def test_direct_put_is_encrypted_with_the_lake_key_and_has_no_kinesis_stream(direct_put_parquet):
    template, ingest, _ = direct_put_parquet
    template.resource_count_is("AWS::Kinesis::Stream", 0)
    assert ingest.stream is None
    props = _one(template, "AWS::KinesisFirehose::DeliveryStream")
    assert props["DeliveryStreamType"] == "DirectPut"
    assert props["DeliveryStreamEncryptionConfigurationInput"] == {
        "KeyType": "CUSTOMER_MANAGED_CMK",
        "KeyARN": Stack.of(ingest).resolve(ingest.lake.encryption_key.key_arn),
    }


def test_parquet_conversion_reads_the_glue_table(direct_put_parquet):
    template, ingest, _ = direct_put_parquet
    s3_config = _one(template, "AWS::KinesisFirehose::DeliveryStream")["ExtendedS3DestinationConfiguration"]
    assert s3_config["Prefix"] == "orders/" + DAILY
    assert s3_config["ErrorOutputPrefix"] == "orders-errors/!{firehose:error-output-type}/" + DAILY
    assert s3_config["CompressionFormat"] == "UNCOMPRESSED"
    assert s3_config["BufferingHints"] == {"SizeInMBs": 128, "IntervalInSeconds": 900}
    conversion = s3_config["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert conversion["OutputFormatConfiguration"] == {
        "Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}
    }
    assert conversion["SchemaConfiguration"]["TableName"] == "orders_stream"
    assert conversion["SchemaConfiguration"]["VersionId"] == "LATEST"
    (processor,) = s3_config["ProcessingConfiguration"]["Processors"]
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert parameters["BufferSizeInMBs"] == "0.2" and parameters["BufferIntervalInSeconds"] == "0"
    assert parameters["NumberOfRetries"] == "0"
    table = _one(template, "AWS::Glue::Table")["TableInput"]
    assert table["Parameters"]["classification"] == "parquet"
    assert "compressionType" not in table["Parameters"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month", "day"]
    serde = table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    assert serde == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    statements = {s["Sid"]: s for s in _statements(template, "OrdersDeliveryRole")}
    assert statements["ReadTableSchema"]["Action"] == [
        "glue:GetTable",
        "glue:GetTableVersion",
        "glue:GetTableVersions",
    ]
    assert "ReadSourceStream" not in statements


def test_direct_put_grant_and_failed_records_alarm(direct_put_parquet):
    template, ingest, _ = direct_put_parquet
    statements = _statements(template, "ProducerDefaultPolicy")
    assert statements == [
        {
            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
            "Effect": "Allow",
            "Resource": Stack.of(ingest).resolve(ingest.delivery_stream_arn),
        }
    ]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "RecordsFailed", "Namespace": "MlConstructs/StreamIngest", "Threshold": 10},
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "DeliveryToS3.DataFreshness", "Threshold": 1800}
    )
    assert len(ingest.alarms) == 5


def test_bring_your_own_stream_bucket_and_transform():
    def build(stack: Stack) -> StreamIngest:
        stream = kinesis.Stream.from_stream_arn(
            stack, "Stream", "arn:aws:kinesis:us-east-1:123456789012:stream/s"
        )
        bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "landing-bucket")
        fn = lambda_.Function.from_function_arn(
            stack, "Fn", "arn:aws:lambda:us-east-1:123456789012:function:mine"
        )
        return StreamIngest(stack, "Mine", bucket=bucket, stream=stream, transform=fn, backup=False)

    template, ingest, problems = synth_checked(build)
    assert problems == []
    template.resource_count_is("AWS::Lambda::Function", 0)
    template.resource_count_is("AWS::Kinesis::Stream", 0)
    template.resource_count_is("AWS::Glue::Table", 0)
    template.resource_count_is("AWS::Logs::MetricFilter", 0)
    template.resource_count_is("AWS::KMS::Key", 1)  # no lake: a key of its own
    assert ingest.table is None and ingest.backup_prefix is None and len(ingest.alarms) == 3
    props = _one(template, "AWS::KinesisFirehose::DeliveryStream")
    assert props["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] == (
        "arn:aws:kinesis:us-east-1:123456789012:stream/s"
    )
    s3_config = props["ExtendedS3DestinationConfiguration"]
    assert s3_config["S3BackupMode"] == "Disabled" and "S3BackupConfiguration" not in s3_config
    statements = {s["Sid"]: s for s in _statements(template, "MineDeliveryRole")}
    assert statements["InvokeTransform"]["Resource"] == "arn:aws:lambda:us-east-1:123456789012:function:mine"
    assert len(statements["WriteDestinationPrefixes"]["Resource"]) == 2


def test_on_demand_stream_with_longer_retention():
    def build(stack: Stack) -> StreamIngest:
        settings = DataStreamSettings(mode=kinesis.StreamMode.ON_DEMAND, retention=Duration.days(7))
        return StreamIngest(stack, "S", lake=DataLake(stack, "Lake"), schema=SCHEMA, stream_settings=settings)

    app_stack = Stack()
    build(app_stack)
    template = Template.from_stack(app_stack)
    props = _one(template, "AWS::Kinesis::Stream")
    assert props["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert props["RetentionPeriodHours"] == 168
    assert "ShardCount" not in props


def _error(**kwargs) -> str:
    def build(stack: Stack):
        StreamIngest(stack, "S", **{"lake": DataLake(stack, "Lake"), "schema": SCHEMA, **kwargs})

    return raises(build)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"processor_buffering": BufferHints(5, Duration.seconds(60))},
            "invalid processor_buffering.size_mb=5; allowed: 0.2..3 MB",
        ),
        (
            {"processor_buffering": BufferHints(0.1, Duration.seconds(60))},
            "invalid processor_buffering.size_mb=0.1; allowed: 0.2..3",
        ),
        (
            {"processor_buffering": BufferHints(1, Duration.seconds(901))},
            "invalid processor_buffering.interval=901; allowed: 0..900 seconds",
        ),
        (
            {"delivery_buffering": BufferHints(129, Duration.seconds(60))},
            "invalid delivery_buffering.size_mb=129; allowed: 1..128 MB",
        ),
        (
            {"delivery_buffering": BufferHints(1.5, Duration.seconds(60))},
            "invalid delivery_buffering.size_mb=1.5; allowed: a whole number",
        ),
        ({"processor_retries": 301}, "invalid processor_retries=301; allowed: 0..300"),
        (
            {
                "record_format": RecordFormat.PARQUET,
                "delivery_buffering": BufferHints(32, Duration.seconds(60)),
            },
            "invalid delivery_buffering.size_mb=32; allowed: >= 64 with record_format=PARQUET",
        ),
        (
            {"record_format": RecordFormat.PARQUET, "compression": OutputCompression.GZIP},
            "invalid compression=<OutputCompression.GZIP: 'GZIP'>; allowed: UNCOMPRESSED or None",
        ),
        (
            {"record_format": RecordFormat.PARQUET, "schema": None, "transform": None},
            "invalid schema=None; allowed: a RecordSchema with PARQUET",
        ),
        ({"schema": None}, "invalid schema=None; allowed: a RecordSchema for the built-in transform"),
        (
            {"schema": RecordSchema.from_fields(Field("a", FieldType.INTEGER, minimum=5, maximum=1))},
            r"invalid schema=\['a'\]; allowed: field 'a': minimum 5 > maximum 1",
        ),
        (
            {"prefix": "data/", "error_prefix": "data/errors/"},
            "invalid error_prefix='data/errors/'; allowed: a prefix that does not overlap prefix='data/'",
        ),
        (
            {"prefix": "data/!{timestamp:yyyy}/"},
            "invalid prefix='data/!{timestamp:yyyy}/'; allowed: a static prefix",
        ),
        ({"prefix": "/data"}, "invalid prefix='/data'; allowed: a key prefix without a leading '/'"),
        (
            {"freshness_threshold": Duration.minutes(5)},
            r"invalid freshness_threshold=300; allowed: 360\.\.86400 seconds",
        ),
        (
            {"stream_settings": DataStreamSettings(shard_count=0)},
            "invalid stream_settings.shard_count=0; allowed: >= 1",
        ),
        (
            {"stream_settings": DataStreamSettings(retention=Duration.hours(12))},
            "invalid stream_settings.retention=12; allowed: 24..8760 hours",
        ),
        ({"transform_memory_size": 64}, "invalid transform_memory_size=64; allowed: 128..10240 MB"),
        ({"failed_records_threshold": 0}, "invalid failed_records_threshold=0; allowed: >= 1"),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(kwargs, message):
    error = _error(**kwargs)
    assert error.startswith("Test/S: invalid "), error
    assert re.search(message if "\\" in message else re.escape(message), error), error


def test_stream_with_direct_put_and_missing_destination_are_rejected():
    def with_stream(stack: Stack):
        stream = kinesis.Stream.from_stream_arn(stack, "K", "arn:aws:kinesis:us-east-1:123456789012:stream/s")
        StreamIngest(
            stack,
            "S",
            lake=DataLake(stack, "Lake"),
            schema=SCHEMA,
            stream=stream,
            source=IngestSource.DIRECT_PUT,
        )

    assert "invalid stream='Test/K'; allowed: no stream with source=DIRECT_PUT" in raises(with_stream)
    assert "invalid bucket=None; allowed: a bucket, or a lake" in raises(
        lambda stack: StreamIngest(stack, "S", schema=SCHEMA)
    )
