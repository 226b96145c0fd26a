"""ObjectTrigger: clean, validate and pre-process every new object that lands in a bucket."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import RecordSchema, acknowledge, check_range, check_s3_prefix, invalid, python_function
from ..core.alarms import alarm_at_least
from ..core.buckets import warn_unless_event_bridge
from ..core.nag import acknowledge_object_grants
from ..core.schema import MAX_SCHEMA_JSON_BYTES
from ..core.validation import check_construct_id, is_token
from ..runtime.object_preprocess import MAX_LINE_CHARS
from .data_lake import DataLake

DEFAULT_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json")
# What the built-in processor reads (ml_constructs.runtime.object_preprocess, by key ending);
# any other object it can only quarantine as unsupported.
SUPPORTED_SUFFIXES = DEFAULT_SUFFIXES
# A bulk drop of files runs at most this many processors at once (the rest wait in EventBridge's
# and Lambda's retries), leaving the account's other functions their concurrency.
DEFAULT_RESERVED_CONCURRENCY = 10


class ObjectTrigger(Construct):
    """S3 "Object Created" -> EventBridge rule -> pre-processing Lambda (or a state machine).

    The built-in processor (:mod:`ml_constructs.runtime.object_preprocess`) streams each new
    CSV or JSON-lines object, validates every row against ``schema``, writes the clean rows as
    JSON lines to ``output_bucket``/``output_prefix`` and puts rejected rows, with their reason,
    under ``quarantine_prefix`` in the source bucket; an unreadable file is copied there whole.
    The raw object is never modified. Failed invocations go to an SQS dead-letter queue after
    retries; alarms fire on function errors and on any message in the dead-letter queue.

    S3 -> EventBridge is switched on natively on buckets the :class:`DataLake` creates (no
    custom resource); a bucket you bring must have EventBridge notifications enabled.

    Args:
        lake: the data lake; defaults the source to its raw zone, output to its processed zone.
        bucket: the source bucket (default: ``lake.raw_bucket``).
        prefix: only objects under this key prefix trigger (default ``incoming/``).
        suffixes: only keys ending with one of these trigger (default CSV and JSON lines).
        schema: the record schema the built-in processor validates against.
        output_bucket / output_prefix: where clean rows go (default processed zone, ``clean/``).
        quarantine_prefix: where rejected rows and unreadable files go in the source bucket.
        function: bring your own processor instead of the built-in one.
        state_machine: start this state machine with the event instead of a Lambda.
        retry_attempts: EventBridge delivery retries (0-185, default 4) and Lambda async
            retries (capped at Lambda's 2).
        max_event_age: how long to keep retrying an event (60 s - 24 h, default 2 h).
        memory_size / timeout / ephemeral_storage_size: of the built-in processor.
        reserved_concurrency: the most built-in processors running at once (default 10, 1-1000;
            ``None``: unreserved, bounded only by the account's concurrency). A bulk drop of
            files then cannot take the whole account's Lambda concurrency. An account must keep
            100 unreserved executions (10 on new accounts whose quota is 10: pass ``None`` there).
        max_line_length: the longest line (CSV: record) the built-in processor keeps, in
            characters (default 1,048,576); longer ones are quarantined, read in bounded memory.
            A kept line may need about 40 bytes of memory per character: checked against
            ``memory_size``.
        alarm_topic: SNS topic the alarms notify.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake | None = None,
        bucket: s3.IBucket | None = None,
        prefix: str = "incoming/",
        suffixes: Sequence[str] = DEFAULT_SUFFIXES,
        schema: RecordSchema | None = None,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str = "clean/",
        quarantine_prefix: str = "quarantine/",
        function: lambda_.IFunction | None = None,
        state_machine: sfn.IStateMachine | None = None,
        encryption_key: kms.IKey | None = None,
        retry_attempts: int = 4,
        max_event_age: Duration = Duration.hours(2),
        memory_size: int = 1024,
        timeout: Duration = Duration.minutes(5),
        ephemeral_storage_size: int = 2048,
        reserved_concurrency: int | None = DEFAULT_RESERVED_CONCURRENCY,
        max_line_length: int = MAX_LINE_CHARS,
        alarm_topic: sns.ITopic | None = None,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        check_construct_id(scope, id, "ObjectTrigger")
        super().__init__(scope, id)
        source = bucket or (lake.raw_bucket if lake else None)
        if source is None:
            raise invalid(self, "bucket", None, "a bucket, or a lake whose raw zone is the source")
        warn_unless_event_bridge(self, source, f"The object trigger {self.node.path}")
        output = output_bucket or (lake.processed_bucket if lake else source)
        key = encryption_key or (lake.encryption_key if lake else None)
        removal = removal_policy or (lake.removal_policy if lake else RemovalPolicy.RETAIN)
        prefix = check_s3_prefix(self, "prefix", prefix) or ""
        output_prefix = check_s3_prefix(self, "output_prefix", output_prefix) or ""
        quarantine_prefix = check_s3_prefix(self, "quarantine_prefix", quarantine_prefix) or ""
        check_range(self, "retry_attempts", retry_attempts, minimum=0, maximum=185)
        check_range(
            self, "max_event_age", max_event_age.to_seconds(), minimum=60, maximum=86400, unit="seconds"
        )
        check_range(self, "memory_size", memory_size, minimum=128, maximum=10240, unit="MB")
        check_range(self, "timeout", timeout.to_seconds(), minimum=1, maximum=900, unit="seconds")
        check_range(
            self, "ephemeral_storage_size", ephemeral_storage_size, minimum=512, maximum=10240, unit="MB"
        )
        check_range(self, "reserved_concurrency", reserved_concurrency, minimum=1, maximum=1000)
        if isinstance(suffixes, str):
            raise invalid(self, "suffixes", suffixes, "a list of key endings, e.g. ['.csv']")
        if not isinstance(max_line_length, int) or isinstance(max_line_length, bool):
            raise invalid(self, "max_line_length", max_line_length, "a whole number of characters")
        check_range(self, "max_line_length", max_line_length, minimum=1024, maximum=2**28, unit="characters")
        if not is_token(memory_size) and 64 + 40 * max_line_length / 2**20 > memory_size:
            raise invalid(
                self,
                "max_line_length",
                max_line_length,
                f"at most {(memory_size - 64) * 2**20 // 40} characters with memory_size={memory_size} "
                "(about 40 bytes per character, plus 64 MB): raise memory_size or lower the limit",
            )
        for suffix in suffixes:
            if not isinstance(suffix, str) or not suffix or "*" in suffix or "/" in suffix:
                raise invalid(
                    self, "suffixes", suffix, "non-empty key endings without '*' or '/', e.g. '.csv'"
                )
        targets_given = [
            name for name, v in (("function", function), ("state_machine", state_machine)) if v is not None
        ]
        if len(targets_given) > 1:
            raise invalid(self, "function/state_machine", targets_given, "at most one target")
        builtin = not targets_given
        if builtin:
            if schema is None:
                raise invalid(
                    self, "schema", None, "a RecordSchema for the built-in processor (or pass function=)"
                )
            if not quarantine_prefix:
                raise invalid(self, "quarantine_prefix", quarantine_prefix, "a non-empty prefix")
            problem = schema.problem()
            if problem:
                raise invalid(self, "schema", schema.names, problem)
            if len(schema.to_json()) > MAX_SCHEMA_JSON_BYTES:
                raise invalid(
                    self,
                    "schema",
                    f"{len(schema.to_json())} bytes of JSON",
                    f"<= {MAX_SCHEMA_JSON_BYTES} bytes (Lambda environment limit)",
                )
            if key is None:
                raise invalid(self, "encryption_key", None, "a KMS key, or a lake that has one")
            for suffix in suffixes:
                if not suffix.lower().endswith(SUPPORTED_SUFFIXES):
                    raise invalid(
                        self,
                        "suffixes",
                        suffix,
                        "key endings the built-in processor reads, each ending with one of "
                        + ", ".join(SUPPORTED_SUFFIXES)
                        + " (any other file would be quarantined as unsupported; pass function= to "
                        "process other formats)",
                    )
            self._check_no_loop(
                source,
                prefix,
                suffixes,
                [(source, quarantine_prefix, "quarantine_prefix"), (output, output_prefix, "output_prefix")],
            )
        elif schema is not None:
            raise invalid(
                self,
                "schema",
                schema.names,
                "no schema with function= or state_machine= (the built-in processor alone uses it)",
            )

        self.bucket = source
        self.output_bucket = output
        self.prefix, self.output_prefix, self.quarantine_prefix = prefix, output_prefix, quarantine_prefix

        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the trigger's EventBridge target and "
            "of the processor's asynchronous invocations; it has no queue of its own to fail to.",
        )

        self.function: lambda_.IFunction | None = function
        self.role = None
        self.log_group = None
        if builtin:
            assert schema is not None and key is not None
            parts = python_function(
                self,
                "Processor",
                handler="object_preprocess.handler",
                description=f"Validates and pre-processes new objects for {self.node.path}",
                encryption_key=key,
                environment={
                    "SCHEMA": schema.to_json(),
                    "SOURCE_PREFIX": prefix,
                    "OUTPUT_BUCKET": output.bucket_name,
                    "OUTPUT_PREFIX": output_prefix,
                    "QUARANTINE_PREFIX": quarantine_prefix,
                    # set only when not the default: templates stay as they were
                    **(
                        {"MAX_LINE_LENGTH": str(max_line_length)} if max_line_length != MAX_LINE_CHARS else {}
                    ),
                },
                timeout=timeout,
                memory_size=memory_size,
                removal_policy=removal,
            )
            fn = parts.function
            fn_cfn = fn.node.default_child
            assert isinstance(fn_cfn, lambda_.CfnFunction)
            fn_cfn.ephemeral_storage = lambda_.CfnFunction.EphemeralStorageProperty(
                size=ephemeral_storage_size
            )
            fn_cfn.reserved_concurrent_executions = reserved_concurrency
            self.function, self.role, self.log_group = fn, parts.role, parts.log_group
            source.grant_read(parts.role, f"{prefix}*")
            source.grant_put(parts.role, f"{quarantine_prefix}*")
            output.grant_put(parts.role, f"{output_prefix}*")
            fn.configure_async_invoke(
                retry_attempts=min(retry_attempts, 2),
                max_event_age=max_event_age,
                on_failure=destinations.SqsDestination(self.dead_letter_queue),
            )
            self._acknowledge_grants(parts.role, source, output)

        pattern_keys = self._key_filters(prefix, suffixes)
        self.rule = events.Rule(
            self,
            "Rule",
            description=f"New objects under s3://.../{prefix} for {self.node.path}",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [source.bucket_name]},
                    **({"object": {"key": pattern_keys}} if pattern_keys else {}),
                },
            ),
        )
        if state_machine is not None:
            self.rule.add_target(
                targets.SfnStateMachine(
                    state_machine,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=retry_attempts,
                    max_event_age=max_event_age,
                )
            )
        else:
            assert self.function is not None
            self.rule.add_target(
                targets.LambdaFunction(
                    self.function,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=retry_attempts,
                    max_event_age=max_event_age,
                )
            )

        self.dead_letter_alarm = alarm_at_least(
            self,
            "DeadLetterAlarm",
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            description=f"Events {self.node.path} could not process (see its dead-letter queue)",
            topic=alarm_topic,
        )
        self.alarms: list[cloudwatch.Alarm] = [self.dead_letter_alarm]
        self.error_alarm: cloudwatch.Alarm | None = None
        if isinstance(self.function, lambda_.Function):
            self.error_alarm = alarm_at_least(
                self,
                "ErrorAlarm",
                self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                description=f"The processor of {self.node.path} failed",
                topic=alarm_topic,
            )
            self.alarms.append(self.error_alarm)

    @staticmethod
    def _key_filters(prefix: str, suffixes: Sequence[str]) -> list:
        if suffixes and prefix:
            return [{"wildcard": f"{prefix}*{suffix}"} for suffix in suffixes]
        if suffixes:
            return [{"suffix": suffix} for suffix in suffixes]
        if prefix:
            return [{"prefix": prefix}]
        return []

    def _check_no_loop(self, source: s3.IBucket, prefix: str, suffixes: Sequence[str], writes: list) -> None:
        """The processor's own writes must never trigger it again."""
        for bucket, write_prefix, argument in writes:
            if bucket is not source:
                continue
            if not prefix or write_prefix.startswith(prefix) or prefix.startswith(write_prefix):
                raise invalid(
                    self,
                    argument,
                    write_prefix,
                    f"a prefix outside the trigger prefix {prefix!r} in the same bucket "
                    "(else the processor re-triggers itself)",
                )

    def _acknowledge_grants(self, role, source, output) -> None:
        acknowledge_object_grants(
            role,
            reads=[(source, self.prefix)],
            writes=[(source, self.quarantine_prefix), (output, self.output_prefix)],
            purpose=f"the pre-processor of {self.node.path} reads each new object and writes "
            "its clean rows and its rejected rows",
        )
