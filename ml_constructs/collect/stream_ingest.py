"""StreamIngest: records from producers, validated, into the data lake's raw zone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aws_cdk import Annotations, ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..core import (
    DEFAULT_LOG_RETENTION,
    FieldType,
    RecordSchema,
    acknowledge,
    check_choice,
    check_range,
    check_s3_prefix,
    invalid,
    python_function,
    secure_key,
    secure_log_group,
)
from ..core.alarms import alarm_at_least
from ..core.nag import acknowledge_wildcards
from ..core.naming import catalog_name, slug
from ..core.schema import MAX_SCHEMA_JSON_BYTES
from ..core.validation import check_construct_id
from ..store.data_lake import DataLake, Zone

# Namespace of the metric the built-in transform's failure log lines feed.
METRIC_NAMESPACE = "MlConstructs/StreamIngest"


class IngestSource(StrEnum):
    """Where Firehose reads records from."""

    KINESIS_STREAM = "kinesis-stream"  # producers write to a Kinesis Data Stream (replay, fan-out)
    DIRECT_PUT = "direct-put"  # producers call firehose:PutRecord(Batch) directly (cheapest)


class RecordFormat(StrEnum):
    """How records are stored in the raw zone."""

    JSON = "json"  # newline-delimited JSON, GZIP-compressed by default
    PARQUET = "parquet"  # converted by Firehose through the Glue table's columns (Snappy)


class OutputCompression(StrEnum):
    """S3 object compression of JSON output (Firehose ``CompressionFormat``)."""

    GZIP = "GZIP"
    HADOOP_SNAPPY = "HADOOP_SNAPPY"
    ZIP = "ZIP"
    UNCOMPRESSED = "UNCOMPRESSED"


class TimePartitioning(StrEnum):
    """Hive-style time partitions in the S3 keys (from the record's arrival time, UTC)."""

    HOURLY = "hourly"  # year=YYYY/month=MM/day=DD/hour=HH/
    DAILY = "daily"  # year=YYYY/month=MM/day=DD/


@dataclass(frozen=True)
class BufferHints:
    """Deliver when ``size_mb`` megabytes or ``interval`` has accumulated, whichever is first."""

    size_mb: float
    interval: Duration


@dataclass(frozen=True)
class DataStreamSettings:
    """The Kinesis Data Stream the construct creates when ``source`` is a Kinesis stream.

    ``mode``: provisioned (default: one shard, 1 MB/s or 1,000 records/s in, the cheapest) or
    on-demand (scales by itself, billed per stream-hour and GB). ``shard_count`` applies to
    provisioned mode only. ``retention``: 24 hours (default, included in the price) to 365 days.
    """

    mode: kinesis.StreamMode = kinesis.StreamMode.PROVISIONED
    shard_count: int = 1
    retention: Duration = Duration.hours(24)


# Firehose limits (Lambda processor hints; S3 destination hints; processor retries).
PROCESSOR_SIZE_MB = (0.2, 3)
DELIVERY_SIZE_MB = (1, 128)
PARQUET_MIN_SIZE_MB = 64
INTERVAL_SECONDS = (0, 900)

_GLUE_TYPES = {
    FieldType.STRING: "string",
    FieldType.INTEGER: "bigint",
    FieldType.NUMBER: "double",
    FieldType.BOOLEAN: "boolean",
    # ISO 8601 text comes in many shapes; kept as text (Athena: from_iso8601_timestamp(col)).
    FieldType.TIMESTAMP: "string",
}


class StreamIngest(Construct):
    """Kinesis Data Stream (or Direct PUT) -> Firehose -> validating Lambda -> S3 raw zone.

    Producers put JSON records; the built-in transform
    (:mod:`ml_constructs.runtime.firehose_transform`) checks each against ``schema``: valid
    records are delivered newline-delimited (one JSON document per line) under ``prefix`` with
    Hive-style time partitions; invalid ones (bad base64/UTF-8/JSON, wrong types, out of range)
    go, as originally sent, under ``error_prefix``, and their reasons to the transform's log.
    Every source record is also backed up untouched under ``backup_prefix``. A Glue table over
    the output (partition projection: Athena needs no crawler) is created from the schema;
    Firehose converts to Parquet through it when ``record_format`` is PARQUET.

    Secure by default: the Kinesis stream and the delivery stream (Direct PUT) are encrypted
    with the lake's key, S3 objects with SSE-KMS; the delivery role may only read the source,
    invoke the transform, write the three prefixes and the log streams; Firehose logs to an
    explicit KMS-encrypted log group. Alarms: data freshness, delivery failures, transform
    failures (Firehose side and Lambda errors); ``alarm_topic`` receives them.

    Args:
        lake: the data lake; its raw zone is the destination, its key encrypts everything.
        schema: the record schema of the built-in transform (required unless ``transform``);
            also the Glue table's columns.
        bucket: destination bucket (default ``lake.raw_bucket``).
        encryption_key: KMS key (default the lake's key, else a new one).
        source: KINESIS_STREAM (default) or DIRECT_PUT.
        stream: bring your own Kinesis Data Stream (implies KINESIS_STREAM).
        stream_settings: the stream created otherwise (default provisioned, 1 shard, 24 h).
        transform: bring your own Firehose processor Lambda instead of the built-in one.
        processor_buffering: records batched per transform call: 0.2-3 MB, 0-900 s
            (default 1 MB / 60 s).
        processor_retries: Firehose retries of a failed transform call, 0-300 (default 3).
        delivery_buffering: S3 object size / age: 1-128 MB (>= 64 for Parquet), 0-900 s
            (default 64 MB / 300 s).
        prefix / error_prefix / backup_prefix: S3 key prefixes (default ``streams/<id>/``,
            ``stream-errors/<id>/``, ``stream-backup/<id>/``); must not overlap.
        partitioning: HOURLY (default) or DAILY time partitions.
        record_format: JSON (default) or PARQUET.
        compression: of JSON objects (default GZIP); PARQUET compresses itself (Snappy).
        backup: keep every source record untouched under ``backup_prefix`` (default True).
        table_name / database_name: the Glue table (default a name from the construct path,
            in the lake's raw database). No table is made without a schema.
        transform_memory_size / transform_timeout: of the built-in transform (1024 MB, 2 min).
        freshness_threshold: alarm when the oldest undelivered record is older (default 15
            min; must exceed the delivery buffer interval).
        failed_records_threshold: also alarm when the built-in transform rejects at least
            this many records in 5 minutes (default None: no alarm; the metric is there).
        alarm_topic: SNS topic the alarms notify.
        log_retention: of the Firehose and transform log groups (default 3 months).
        removal_policy: of the stream, key and log groups (default the lake's, else RETAIN).
        role: bring your own Firehose delivery role (you grant it what Firehose needs: write the
            destination prefixes, the key, read the source stream, invoke the transform, write
            the delivery logs, read the Glue table for Parquet); nothing is added to it.
            Default: a new role with exactly that.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake | None = None,
        schema: RecordSchema | None = None,
        bucket: s3.IBucket | None = None,
        encryption_key: kms.IKey | None = None,
        source: IngestSource = IngestSource.KINESIS_STREAM,
        stream: kinesis.IStream | None = None,
        stream_settings: DataStreamSettings = DataStreamSettings(),
        transform: lambda_.IFunction | None = None,
        processor_buffering: BufferHints = BufferHints(1, Duration.seconds(60)),
        processor_retries: int = 3,
        delivery_buffering: BufferHints = BufferHints(64, Duration.seconds(300)),
        prefix: str | None = None,
        error_prefix: str | None = None,
        backup_prefix: str | None = None,
        partitioning: TimePartitioning = TimePartitioning.HOURLY,
        record_format: RecordFormat = RecordFormat.JSON,
        compression: OutputCompression | None = None,
        backup: bool = True,
        table_name: str | None = None,
        database_name: str | None = None,
        transform_memory_size: int = 1024,
        transform_timeout: Duration = Duration.minutes(2),
        freshness_threshold: Duration = Duration.minutes(15),
        failed_records_threshold: int | None = None,
        alarm_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        removal_policy: RemovalPolicy | None = None,
        role: iam.IRole | None = None,
    ) -> None:
        check_construct_id(scope, id, "StreamIngest")
        super().__init__(scope, id)
        destination = bucket or (lake.raw_bucket if lake else None)
        if destination is None:
            raise invalid(self, "bucket", None, "a bucket, or a lake whose raw zone is the destination")
        removal = removal_policy or (lake.removal_policy if lake else RemovalPolicy.RETAIN)
        check_choice(self, "source", source, list(IngestSource))
        check_choice(self, "record_format", record_format, list(RecordFormat))
        check_choice(self, "partitioning", partitioning, list(TimePartitioning))
        if stream is not None and source is not IngestSource.KINESIS_STREAM:
            raise invalid(self, "stream", stream.node.path, "no stream with source=DIRECT_PUT")
        self._check_buffering("processor_buffering", processor_buffering, PROCESSOR_SIZE_MB)
        self._check_buffering("delivery_buffering", delivery_buffering, DELIVERY_SIZE_MB)
        check_range(self, "processor_retries", processor_retries, minimum=0, maximum=300)
        check_range(
            self, "transform_memory_size", transform_memory_size, minimum=128, maximum=10240, unit="MB"
        )
        check_range(
            self, "transform_timeout", transform_timeout.to_seconds(), minimum=1, maximum=900, unit="seconds"
        )
        if failed_records_threshold is not None:
            check_range(self, "failed_records_threshold", failed_records_threshold, minimum=1)
        check_range(
            self,
            "freshness_threshold",
            freshness_threshold.to_seconds(),
            minimum=delivery_buffering.interval.to_seconds() + 60,
            maximum=86400,
            unit="seconds (more than the delivery buffer interval + 60 s)",
        )
        if stream is None and source is IngestSource.KINESIS_STREAM:
            self._check_stream_settings(stream_settings)
        elif stream is not None and stream_settings != DataStreamSettings():
            Annotations.of(self).add_warning_v2(
                "ml-constructs:stream-settings-not-applied",
                f"stream_settings are not applied: the stream ({stream.node.path}) is one you bring, "
                "with its own mode, shards and retention.",
            )
        if record_format is RecordFormat.PARQUET:
            if delivery_buffering.size_mb < PARQUET_MIN_SIZE_MB:
                raise invalid(
                    self,
                    "delivery_buffering.size_mb",
                    delivery_buffering.size_mb,
                    f">= {PARQUET_MIN_SIZE_MB} with record_format=PARQUET (Firehose minimum)",
                )
            if compression not in (None, OutputCompression.UNCOMPRESSED):
                raise invalid(
                    self,
                    "compression",
                    compression,
                    "UNCOMPRESSED or None with PARQUET (Parquet uses Snappy)",
                )
            if schema is None:
                raise invalid(self, "schema", None, "a RecordSchema with PARQUET (the Glue table's columns)")
        if compression is not None:
            check_choice(self, "compression", compression, list(OutputCompression))
        compression = compression or (
            OutputCompression.GZIP if record_format is RecordFormat.JSON else OutputCompression.UNCOMPRESSED
        )
        if transform is None and schema is None:
            raise invalid(self, "schema", None, "a RecordSchema for the built-in transform (or transform=)")
        if schema is not None:
            problem = schema.problem()
            if problem:
                raise invalid(self, "schema", schema.names, problem)
            if transform is None and len(schema.to_json()) > MAX_SCHEMA_JSON_BYTES:
                raise invalid(
                    self,
                    "schema",
                    f"{len(schema.to_json())} bytes of JSON",
                    f"<= {MAX_SCHEMA_JSON_BYTES} bytes (Lambda environment limit)",
                )
        name = slug(id, "stream")
        prefix = self._prefix("prefix", prefix, f"streams/{name}/")
        error_prefix = self._prefix("error_prefix", error_prefix, f"stream-errors/{name}/")
        backup_prefix = self._prefix("backup_prefix", backup_prefix, f"stream-backup/{name}/")
        used = [("prefix", prefix), ("error_prefix", error_prefix)]
        if backup:
            used.append(("backup_prefix", backup_prefix))
        for i, (first, a) in enumerate(used):
            for second, b in used[i + 1 :]:
                if a.startswith(b) or b.startswith(a):
                    raise invalid(self, second, b, f"a prefix that does not overlap {first}={a!r}")
        database = database_name or (lake.database_name(Zone.RAW) if lake else None)
        if record_format is RecordFormat.PARQUET and database is None:
            raise invalid(self, "database_name", None, "a Glue database (or a lake) with PARQUET")

        self.lake = lake
        self.bucket = destination
        self.schema = schema
        self.source = source
        self.record_format = record_format
        self.prefix, self.error_prefix = prefix, error_prefix
        self.backup_prefix = backup_prefix if backup else None
        self.encryption_key: kms.IKey = (
            encryption_key
            or (lake.encryption_key if lake else None)
            or secure_key(
                self, "Key", description=f"Stream ingest key of {self.node.path}", removal_policy=removal
            )
        )
        key = self.encryption_key

        # -- source ---------------------------------------------------------------------------
        self.stream: kinesis.IStream | None = stream
        if stream is None and source is IngestSource.KINESIS_STREAM:
            provisioned = stream_settings.mode == kinesis.StreamMode.PROVISIONED
            self.stream = kinesis.Stream(
                self,
                "Stream",
                stream_mode=stream_settings.mode,
                shard_count=stream_settings.shard_count if provisioned else None,
                retention_period=stream_settings.retention,
                encryption=kinesis.StreamEncryption.KMS,
                encryption_key=key,
                removal_policy=removal,
            )
            acknowledge(
                self.stream,
                "AwsSolutions-KDS3",
                "The stream is encrypted with the data lake's customer-managed key on purpose: one "
                "key policy governs the records from the stream to the lake, and its use is audited.",
            )

        # -- transform ------------------------------------------------------------------------
        self.transform_function: lambda_.IFunction
        self.transform_role: iam.Role | None = None
        self.transform_log_group: logs.LogGroup | None = None
        if transform is None:
            assert schema is not None
            parts = python_function(
                self,
                "Transform",
                handler="firehose_transform.handler",
                description=f"Validates the stream records of {self.node.path} before they are stored",
                encryption_key=key,
                environment={"SCHEMA": schema.to_json()},
                timeout=transform_timeout,
                memory_size=transform_memory_size,
                retention=log_retention,
                removal_policy=removal,
            )
            self.transform_function = parts.function
            self.transform_role, self.transform_log_group = parts.role, parts.log_group
        else:
            self.transform_function = transform

        # -- logging --------------------------------------------------------------------------
        self.log_group = secure_log_group(
            self, "Logs", encryption_key=key, retention=log_retention, removal_policy=removal
        )
        self.delivery_log_stream = logs.LogStream(
            self,
            "DeliveryLogStream",
            log_group=self.log_group,
            log_stream_name="S3Delivery",
            removal_policy=removal,
        )
        self.backup_log_stream = logs.LogStream(
            self,
            "BackupLogStream",
            log_group=self.log_group,
            log_stream_name="S3Backup",
            removal_policy=removal,
        )

        # -- role -----------------------------------------------------------------------------
        self._own_role = role is None
        self.role: iam.IRole = role or iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.PrincipalWithConditions(
                iam.ServicePrincipal("firehose.amazonaws.com"),
                {"StringEquals": {"sts:ExternalId": Aws.ACCOUNT_ID}},
            ),
            description=f"Firehose delivery role of {self.node.path}",
        )
        if self._own_role:
            self._grant_delivery(destination, key, [p for _, p in used])

        # -- Glue table -----------------------------------------------------------------------
        self.table: glue.CfnTable | None = None
        self.table_name: str | None = None
        self.database_name = database
        if schema is not None and database is not None:
            self.table_name = table_name or catalog_name(self, "records")
            self.table = self._table(
                schema, database, self.table_name, destination, prefix, partitioning, compression
            )

        # -- delivery stream ------------------------------------------------------------------
        self.delivery_stream = self._delivery_stream(
            destination,
            key,
            processor_buffering,
            processor_retries,
            delivery_buffering,
            partitioning,
            compression,
            backup,
        )
        self.delivery_stream_name = self.delivery_stream.ref
        self.delivery_stream_arn = self.delivery_stream.attr_arn

        # -- alarms ---------------------------------------------------------------------------
        self.failed_records_filter: logs.MetricFilter | None = None
        if self.transform_log_group is not None:
            self.failed_records_filter = logs.MetricFilter(
                self,
                "FailedRecordsMetric",
                log_group=self.transform_log_group,
                filter_pattern=logs.FilterPattern.string_value("$.event", "=", "records_failed"),
                metric_namespace=METRIC_NAMESPACE,
                metric_name="RecordsFailed",
                metric_value="$.count",
                dimensions={"DeliveryStreamName": "$.delivery_stream"},
            )
        self.alarms = self._alarms(freshness_threshold, failed_records_threshold, alarm_topic)

    # -- validation helpers -------------------------------------------------------------------
    def _check_buffering(self, argument: str, hints: BufferHints, sizes: tuple[float, float]) -> None:
        check_range(self, f"{argument}.size_mb", hints.size_mb, minimum=sizes[0], maximum=sizes[1], unit="MB")
        check_range(
            self,
            f"{argument}.interval",
            hints.interval.to_seconds(),
            minimum=INTERVAL_SECONDS[0],
            maximum=INTERVAL_SECONDS[1],
            unit="seconds",
        )
        if argument == "delivery_buffering" and hints.size_mb != int(hints.size_mb):
            raise invalid(self, f"{argument}.size_mb", hints.size_mb, "a whole number of MB (1..128)")

    def _check_stream_settings(self, settings: DataStreamSettings) -> None:
        check_choice(
            self,
            "stream_settings.mode",
            settings.mode,
            [kinesis.StreamMode.PROVISIONED, kinesis.StreamMode.ON_DEMAND],
        )
        if settings.mode == kinesis.StreamMode.PROVISIONED:
            check_range(self, "stream_settings.shard_count", settings.shard_count, minimum=1)
        check_range(
            self,
            "stream_settings.retention",
            settings.retention.to_hours(),
            minimum=24,
            maximum=8760,
            unit="hours",
        )

    def _prefix(self, argument: str, value: str | None, default: str) -> str:
        prefix = check_s3_prefix(self, argument, value if value is not None else default)
        if not prefix:
            raise invalid(self, argument, value, "a non-empty key prefix such as 'streams/clicks/'")
        if "!{" in prefix:
            raise invalid(
                self, argument, value, "a static prefix; the construct appends the time partitions itself"
            )
        return prefix

    # -- resources ----------------------------------------------------------------------------
    def _grant_delivery(self, bucket: s3.IBucket, key: kms.IKey, prefixes: list[str]) -> None:
        """Exactly what Firehose needs, on exactly these resources (the AWS documented policy)."""
        role = self.role
        assert isinstance(role, iam.Role)
        objects = [bucket.arn_for_objects(f"{p}*") for p in prefixes]
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteDestinationPrefixes",
                actions=["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                resources=objects,
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ListDestinationBucket",
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[bucket.bucket_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="EncryptObjects",
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}},
            )
        )
        if self.stream is not None:
            role.add_to_policy(
                iam.PolicyStatement(
                    sid="ReadSourceStream",
                    actions=[
                        "kinesis:DescribeStream",
                        "kinesis:DescribeStreamSummary",
                        "kinesis:GetRecords",
                        "kinesis:GetShardIterator",
                        "kinesis:ListShards",
                    ],
                    resources=[self.stream.stream_arn],
                )
            )
            if self.stream.encryption_key is not None:
                role.add_to_policy(
                    iam.PolicyStatement(
                        sid="DecryptSourceStream",
                        actions=["kms:Decrypt"],
                        resources=[self.stream.encryption_key.key_arn],
                        conditions={
                            "StringEquals": {"kms:ViaService": f"kinesis.{Aws.REGION}.amazonaws.com"}
                        },
                    )
                )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeTransform",
                actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                resources=[self.transform_function.function_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteDeliveryLogs",
                actions=["logs:PutLogEvents"],
                resources=[
                    self._log_stream_arn(s) for s in (self.delivery_log_stream, self.backup_log_stream)
                ],
            )
        )
        acknowledge_wildcards(
            role,
            "Firehose writes objects with generated names (time partitions, delivery stream name, "
            "date and a random suffix) under these fixed key prefixes only: the output, the error "
            "output and the source-record backup.",
            resources=objects,
        )

    def _log_stream_arn(self, stream: logs.LogStream) -> str:
        return Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{self.log_group.log_group_name}:log-stream:{stream.log_stream_name}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _table(
        self,
        schema: RecordSchema,
        database: str,
        name: str,
        bucket: s3.IBucket,
        prefix: str,
        partitioning: TimePartitioning,
        compression: OutputCompression,
    ) -> glue.CfnTable:
        parts = _partitions(partitioning)
        location = bucket.s3_url_for_object(prefix)
        template = location + "".join(f"{p}=${{{p}}}/" for p, _, _ in parts)
        parameters = {
            "classification": self.record_format.value,
            "projection.enabled": "true",
            "storage.location.template": template,
        }
        for part, low, high in parts:
            parameters[f"projection.{part}.type"] = "integer"
            parameters[f"projection.{part}.range"] = f"{low},{high}"
            if part != "year":
                parameters[f"projection.{part}.digits"] = "2"
        formats: dict[str, Any]
        if self.record_format is RecordFormat.PARQUET:
            formats = {
                "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "serde_info": glue.CfnTable.SerdeInfoProperty(
                    serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                ),
            }
        else:
            if compression is not OutputCompression.UNCOMPRESSED:
                parameters["compressionType"] = compression.value.lower()
            formats = {
                "input_format": "org.apache.hadoop.mapred.TextInputFormat",
                "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "serde_info": glue.CfnTable.SerdeInfoProperty(
                    serialization_library="org.openx.data.jsonserde.JsonSerDe",
                    parameters={"ignore.malformed.json": "false"},
                ),
            }
        table = glue.CfnTable(
            self,
            "Table",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=database,
            table_input=glue.CfnTable.TableInputProperty(
                name=name,
                description=f"Records delivered by {self.node.path}",
                table_type="EXTERNAL_TABLE",
                parameters=parameters,
                partition_keys=[glue.CfnTable.ColumnProperty(name=p, type="int") for p, _, _ in parts],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    columns=[
                        glue.CfnTable.ColumnProperty(name=f.name.lower(), type=_GLUE_TYPES[FieldType(f.type)])
                        for f in schema.fields
                    ],
                    compressed=compression is not OutputCompression.UNCOMPRESSED,
                    **formats,
                ),
            ),
        )
        return table

    def _delivery_stream(
        self,
        bucket: s3.IBucket,
        key: kms.IKey,
        processor_buffering: BufferHints,
        processor_retries: int,
        delivery_buffering: BufferHints,
        partitioning: TimePartitioning,
        compression: OutputCompression,
        backup: bool,
    ) -> firehose.CfnDeliveryStream:
        cfn = firehose.CfnDeliveryStream
        time_keys = "".join(f"{p}=!{{timestamp:{fmt}}}/" for p, fmt in _key_formats(partitioning))
        encryption = cfn.EncryptionConfigurationProperty(
            kms_encryption_config=cfn.KMSEncryptionConfigProperty(awskms_key_arn=key.key_arn)
        )

        def logging(stream: logs.LogStream) -> firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty:
            return cfn.CloudWatchLoggingOptionsProperty(
                enabled=True,
                log_group_name=self.log_group.log_group_name,
                log_stream_name=stream.log_stream_name,
            )

        processing = cfn.ProcessingConfigurationProperty(
            enabled=True,
            processors=[
                cfn.ProcessorProperty(
                    type="Lambda",
                    parameters=[
                        cfn.ProcessorParameterProperty(
                            parameter_name="LambdaArn", parameter_value=self.transform_function.function_arn
                        ),
                        cfn.ProcessorParameterProperty(
                            parameter_name="NumberOfRetries", parameter_value=str(processor_retries)
                        ),
                        cfn.ProcessorParameterProperty(
                            parameter_name="BufferSizeInMBs",
                            parameter_value=_number(processor_buffering.size_mb),
                        ),
                        cfn.ProcessorParameterProperty(
                            parameter_name="BufferIntervalInSeconds",
                            parameter_value=str(int(processor_buffering.interval.to_seconds())),
                        ),
                    ],
                )
            ],
        )
        conversion = None
        if self.record_format is RecordFormat.PARQUET:
            assert self.table is not None and self.table_name is not None and self.database_name is not None
            if self._own_role:  # a role you bring reads the table schema by your grant
                self.role.add_to_principal_policy(
                    iam.PolicyStatement(
                        sid="ReadTableSchema",
                        actions=["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                        resources=[
                            Stack.of(self).format_arn(service="glue", resource="catalog"),
                            Stack.of(self).format_arn(
                                service="glue", resource="database", resource_name=self.database_name
                            ),
                            Stack.of(self).format_arn(
                                service="glue",
                                resource="table",
                                resource_name=f"{self.database_name}/{self.table_name}",
                            ),
                        ],
                    )
                )
            conversion = cfn.DataFormatConversionConfigurationProperty(
                enabled=True,
                input_format_configuration=cfn.InputFormatConfigurationProperty(
                    deserializer=cfn.DeserializerProperty(
                        open_x_json_ser_de=cfn.OpenXJsonSerDeProperty(case_insensitive=True)
                    )
                ),
                output_format_configuration=cfn.OutputFormatConfigurationProperty(
                    serializer=cfn.SerializerProperty(
                        parquet_ser_de=cfn.ParquetSerDeProperty(compression="SNAPPY")
                    )
                ),
                schema_configuration=cfn.SchemaConfigurationProperty(
                    catalog_id=Aws.ACCOUNT_ID,
                    database_name=self.database_name,
                    table_name=self.table_name,
                    region=Aws.REGION,
                    role_arn=self.role.role_arn,
                    version_id="LATEST",
                ),
            )
        backup_config = None
        if backup:
            assert self.backup_prefix is not None
            backup_config = cfn.S3DestinationConfigurationProperty(
                bucket_arn=bucket.bucket_arn,
                role_arn=self.role.role_arn,
                prefix=f"{self.backup_prefix}{time_keys}",
                error_output_prefix=f"{self.error_prefix}backup-!{{firehose:error-output-type}}/{time_keys}",
                buffering_hints=cfn.BufferingHintsProperty(
                    size_in_m_bs=int(delivery_buffering.size_mb),
                    interval_in_seconds=int(delivery_buffering.interval.to_seconds()),
                ),
                compression_format=OutputCompression.GZIP.value,
                encryption_configuration=encryption,
                cloud_watch_logging_options=logging(self.backup_log_stream),
            )
        destination = cfn.ExtendedS3DestinationConfigurationProperty(
            bucket_arn=bucket.bucket_arn,
            role_arn=self.role.role_arn,
            prefix=f"{self.prefix}{time_keys}",
            error_output_prefix=f"{self.error_prefix}!{{firehose:error-output-type}}/{time_keys}",
            buffering_hints=cfn.BufferingHintsProperty(
                size_in_m_bs=int(delivery_buffering.size_mb),
                interval_in_seconds=int(delivery_buffering.interval.to_seconds()),
            ),
            compression_format=compression.value,
            encryption_configuration=encryption,
            cloud_watch_logging_options=logging(self.delivery_log_stream),
            processing_configuration=processing,
            data_format_conversion_configuration=conversion,
            s3_backup_mode="Enabled" if backup else "Disabled",
            s3_backup_configuration=backup_config,
        )
        if self.stream is not None:
            stream = cfn(
                self,
                "DeliveryStream",
                delivery_stream_type="KinesisStreamAsSource",
                kinesis_stream_source_configuration=cfn.KinesisStreamSourceConfigurationProperty(
                    kinesis_stream_arn=self.stream.stream_arn, role_arn=self.role.role_arn
                ),
                extended_s3_destination_configuration=destination,
            )
            acknowledge(
                stream,
                "AwsSolutions-KDF1",
                "The source is a Kinesis Data Stream encrypted with KMS; Firehose server-side "
                "encryption applies to Direct PUT sources only, and S3 output is SSE-KMS encrypted.",
            )
        else:
            stream = cfn(
                self,
                "DeliveryStream",
                delivery_stream_type="DirectPut",
                delivery_stream_encryption_configuration_input=cfn.DeliveryStreamEncryptionConfigurationInputProperty(
                    key_type="CUSTOMER_MANAGED_CMK", key_arn=key.key_arn
                ),
                extended_s3_destination_configuration=destination,
            )
        # Firehose checks its role's permissions when the stream is created.
        if self._own_role:
            policy = self.role.node.find_child("DefaultPolicy").node.default_child
            assert isinstance(policy, iam.CfnPolicy)
            stream.node.add_dependency(policy)
        if self.table is not None:
            stream.node.add_dependency(self.table)
        return stream

    def _alarms(
        self, freshness: Duration, failed_threshold: int | None, topic: sns.ITopic | None
    ) -> list[cloudwatch.Alarm]:
        alarms = [
            alarm_at_least(
                self,
                "FreshnessAlarm",
                self.metric_data_freshness(),
                description=f"Records of {self.node.path} wait over {freshness.to_minutes()} min",
                threshold=freshness.to_seconds(),
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                topic=topic,
            ),
            alarm_at_least(
                self,
                "DeliveryAlarm",
                self.metric_delivery_success(),
                description=f"{self.node.path} failed to deliver to S3 (see its Firehose log group)",
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                topic=topic,
            ),
            alarm_at_least(
                self,
                "ProcessingAlarm",
                self.metric_processing_success(),
                description=f"Firehose could not run the transform of {self.node.path}",
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                topic=topic,
            ),
        ]
        if isinstance(self.transform_function, lambda_.Function):
            alarms.append(
                alarm_at_least(
                    self,
                    "TransformErrorAlarm",
                    self.transform_function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                    description=f"The transform of {self.node.path} raised errors",
                    topic=topic,
                )
            )
        if failed_threshold is not None and self.failed_records_filter is not None:
            alarms.append(
                alarm_at_least(
                    self,
                    "FailedRecordsAlarm",
                    self.metric_failed_records(),
                    description=f"The transform of {self.node.path} rejected records (see its log)",
                    threshold=failed_threshold,
                    topic=topic,
                )
            )
        return alarms

    # -- public API ---------------------------------------------------------------------------
    def grant_put_records(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` put records: into the Kinesis stream, or Firehose for Direct PUT."""
        if self.stream is not None:
            grant = iam.Grant.add_to_principal(
                grantee=grantee,
                actions=[
                    "kinesis:PutRecord",
                    "kinesis:PutRecords",
                    "kinesis:ListShards",
                    "kinesis:DescribeStreamSummary",
                ],
                resource_arns=[self.stream.stream_arn],
            )
            if self.stream.encryption_key is not None:  # producers encrypt with the stream's key
                grantee.grant_principal.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["kms:GenerateDataKey"],
                        resources=[self.stream.encryption_key.key_arn],
                        conditions={
                            "StringEquals": {"kms:ViaService": f"kinesis.{Aws.REGION}.amazonaws.com"}
                        },
                    )
                )
            return grant
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
            resource_arns=[self.delivery_stream_arn],
        )

    def metric(self, metric_name: str, *, statistic: str = "Maximum", period: Duration = Duration.minutes(5)):
        """A Firehose metric (``AWS/Firehose``) of this delivery stream."""
        return cloudwatch.Metric(
            namespace="AWS/Firehose",
            metric_name=metric_name,
            dimensions_map={"DeliveryStreamName": self.delivery_stream_name},
            statistic=statistic,
            period=period,
        )

    def metric_data_freshness(self) -> cloudwatch.Metric:
        """Age in seconds of the oldest record not yet delivered to S3."""
        return self.metric("DeliveryToS3.DataFreshness", statistic="Maximum")

    def metric_delivery_success(self) -> cloudwatch.Metric:
        """Share of successful S3 puts (1 = all)."""
        return self.metric("DeliveryToS3.Success", statistic="Minimum")

    def metric_processing_success(self) -> cloudwatch.Metric:
        """Share of successful transform invocations (1 = all)."""
        return self.metric("ExecuteProcessing.Success", statistic="Minimum")

    def metric_incoming_records(self) -> cloudwatch.Metric:
        """Records received by the delivery stream."""
        return self.metric("IncomingRecords", statistic="Sum")

    def metric_failed_records(self) -> cloudwatch.Metric:
        """Records the built-in transform returned ``ProcessingFailed`` (from its log lines)."""
        return cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name="RecordsFailed",
            dimensions_map={"DeliveryStreamName": self.delivery_stream_name},
            statistic="Sum",
            period=Duration.minutes(5),
        )


def _partitions(partitioning: TimePartitioning) -> list[tuple[str, int, int]]:
    parts = [("year", 2020, 2100), ("month", 1, 12), ("day", 1, 31)]
    if partitioning is TimePartitioning.HOURLY:
        parts.append(("hour", 0, 23))
    return parts


def _key_formats(partitioning: TimePartitioning) -> list[tuple[str, str]]:
    formats = [("year", "yyyy"), ("month", "MM"), ("day", "dd")]
    if partitioning is TimePartitioning.HOURLY:
        formats.append(("hour", "HH"))
    return formats


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


__all__ = [
    "BufferHints",
    "OutputCompression",
    "DataStreamSettings",
    "IngestSource",
    "RecordFormat",
    "StreamIngest",
    "TimePartitioning",
]
