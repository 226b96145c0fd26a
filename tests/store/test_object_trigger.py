"""ObjectTrigger: rule, processor, dead-letter queue, alarms, targets, validation."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template

from ml_constructs import DataLake, Field, FieldType, ObjectTrigger, RecordSchema
from ml_constructs.core import PYTHON_RUNTIME
from ml_constructs.testing import COMPLIANCE_CONTEXT, compliance_problems
from tests.conftest import synth_stack

SCHEMA = RecordSchema.from_fields(
    Field("id", FieldType.STRING),
    Field("amount", FieldType.NUMBER, minimum=0),
)


@pytest.fixture(scope="module")
def trigger() -> tuple[Template, ObjectTrigger]:
    def build(stack: Stack) -> ObjectTrigger:
        lake = DataLake(stack, "Lake")
        topic = sns.Topic(stack, "Alarms", enforce_ssl=True, master_key=lake.encryption_key)
        return ObjectTrigger(stack, "Files", lake=lake, schema=SCHEMA, alarm_topic=topic)

    return synth_stack(build)


def test_rule_matches_new_objects_under_prefix_and_suffixes(trigger):
    template, t = trigger
    raw = Stack.of(t).resolve(t.bucket.bucket_name)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [raw]},
                    "object": {
                        "key": [
                            {"wildcard": f"incoming/*{s}"} for s in (".csv", ".jsonl", ".ndjson", ".json")
                        ]
                    },
                },
            }
        },
    )


def test_target_retries_then_dead_letters(trigger):
    template, _ = trigger
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Targets": [
                Match.object_like(
                    {
                        "RetryPolicy": {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 7200},
                        "DeadLetterConfig": {"Arn": Match.any_value()},
                    }
                )
            ]
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "MaximumRetryAttempts": 2,
            "DestinationConfig": {"OnFailure": {"Destination": Match.any_value()}},
        },
    )


def test_processor_is_configured_from_the_schema(trigger):
    template, t = trigger
    functions = template.find_resources("AWS::Lambda::Function")
    assert len(functions) == 1
    props = next(iter(functions.values()))["Properties"]
    assert props["Runtime"] == PYTHON_RUNTIME.name
    assert props["Handler"] == "object_preprocess.handler"
    env = props["Environment"]["Variables"]
    assert json.loads(env["SCHEMA"]) == SCHEMA.to_spec()
    assert env["SOURCE_PREFIX"] == "incoming/"
    assert env["OUTPUT_PREFIX"] == "clean/"
    assert env["QUARANTINE_PREFIX"] == "quarantine/"
    assert "KmsKeyArn" in props
    assert "LogGroup" in props["LoggingConfig"]
    assert props["EphemeralStorage"] == {"Size": 2048}


def test_processor_role_is_least_privilege(trigger):
    template, t = trigger
    stack = Stack.of(t)
    raw, processed = (stack.resolve(b.bucket_arn) for b in (t.bucket, t.output_bucket))
    policy = next(iter(template.find_resources("AWS::IAM::Policy").values()))
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    resources = json.dumps([s["Resource"] for s in statements])
    assert '"*"' not in resources

    def objects(bucket, prefix):
        return {"Fn::Join": ["", [bucket, f"/{prefix}*"]]}

    granted = [s["Resource"] for s in statements]
    assert any(objects(raw, "incoming/") in r for r in granted if isinstance(r, list))
    assert any(objects(raw, "quarantine/") in (r if isinstance(r, list) else [r]) for r in granted)
    assert any(objects(processed, "clean/") in (r if isinstance(r, list) else [r]) for r in granted)
    template.resource_properties_count_is("AWS::IAM::Role", {"ManagedPolicyArns": Match.any_value()}, 0)


def test_dead_letter_queue_is_encrypted_and_ssl_only(trigger):
    template, _ = trigger
    template.has_resource_properties(
        "AWS::SQS::Queue", {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 1209600}
    )
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )


def test_alarms_on_errors_and_dead_letters_notify_the_topic(trigger):
    template, t = trigger
    assert len(t.alarms) == 2
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Threshold": 1,
            "AlarmActions": [Match.any_value()],
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "Errors", "Namespace": "AWS/Lambda", "AlarmActions": [Match.any_value()]},
    )


def test_no_custom_resources_and_no_nag_findings():
    def build(stack: Stack):
        ObjectTrigger(stack, "Files", lake=DataLake(stack, "Lake"), schema=SCHEMA)

    app = App(context=COMPLIANCE_CONTEXT)
    build(Stack(app, "Compliance"))
    assert compliance_problems(app) == []


def test_state_machine_target_instead_of_lambda():
    def build(stack: Stack) -> ObjectTrigger:
        machine = sfn.StateMachine(
            stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "P"))
        )
        return ObjectTrigger(stack, "Files", lake=DataLake(stack, "Lake"), state_machine=machine, suffixes=())

    template, t = synth_stack(build)
    template.resource_count_is("AWS::Lambda::Function", 0)
    assert t.function is None and t.error_alarm is None
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_like(
                {"detail": Match.object_like({"object": {"key": [{"prefix": "incoming/"}]}})}
            ),
            "Targets": [
                Match.object_like({"RoleArn": Match.any_value(), "DeadLetterConfig": Match.any_value()})
            ],
        },
    )


def test_bring_your_own_function_and_bucket():
    def build(stack: Stack) -> ObjectTrigger:
        bucket = s3.Bucket.from_bucket_name(stack, "Landing", "landing-bucket")
        fn = lambda_.Function.from_function_arn(
            stack, "Fn", "arn:aws:lambda:us-east-1:123456789012:function:mine"
        )
        return ObjectTrigger(stack, "Files", bucket=bucket, function=fn, prefix="", suffixes=(".parquet",))

    template, t = synth_stack(build)
    template.resource_count_is("AWS::Lambda::Function", 0)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_like(
                {
                    "detail": {
                        "bucket": {"name": ["landing-bucket"]},
                        "object": {"key": [{"suffix": ".parquet"}]},
                    }
                }
            )
        },
    )


def _trigger_error(**kwargs) -> str:
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        ObjectTrigger(stack, "Files", **{"lake": lake, "schema": SCHEMA, **kwargs})

    with pytest.raises(ValueError) as caught:
        synth_stack(build)
    return str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"prefix": "/incoming"},
            "Test/Files: invalid prefix='/incoming'; allowed: a key prefix without a leading '/'",
        ),
        (
            {"quarantine_prefix": "incoming/bad/"},
            "Test/Files: invalid quarantine_prefix='incoming/bad/'; allowed: a prefix outside the trigger "
            "prefix 'incoming/'",
        ),
        (
            {"prefix": ""},
            "invalid quarantine_prefix='quarantine/'; allowed: a prefix outside the trigger prefix ''",
        ),
        ({"retry_attempts": 200}, "Test/Files: invalid retry_attempts=200; allowed: 0..185"),
        ({"max_event_age": Duration.seconds(30)}, "invalid max_event_age=30; allowed: 60..86400 seconds"),
        ({"memory_size": 64}, "invalid memory_size=64; allowed: 128..10240 MB"),
        ({"suffixes": ("*.csv",)}, "invalid suffixes='\\*.csv'"),
        ({"schema": None}, "invalid schema=None; allowed: a RecordSchema for the built-in processor"),
        (
            {"schema": RecordSchema.from_fields(Field("a", FieldType.INTEGER, minimum=5, maximum=1))},
            "invalid schema=\\['a'\\]; allowed: field 'a': minimum 5 > maximum 1",
        ),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(kwargs, message):
    error = _trigger_error(**kwargs)
    assert re.search(message, error), error


def test_output_in_same_bucket_under_trigger_prefix_is_rejected():
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        ObjectTrigger(
            stack,
            "Files",
            lake=lake,
            schema=SCHEMA,
            output_bucket=lake.raw_bucket,
            output_prefix="incoming/clean/",
        )

    with pytest.raises(ValueError, match="invalid output_prefix='incoming/clean/'"):
        synth_stack(build)


def test_max_line_length_reaches_the_processor_and_is_checked_against_memory():
    def build(stack: Stack) -> ObjectTrigger:
        return ObjectTrigger(
            stack,
            "Files",
            lake=DataLake(stack, "Lake"),
            schema=SCHEMA,
            max_line_length=50_000_000,
            memory_size=2048,
        )

    template, _ = synth_stack(build)
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    assert function["Properties"]["Environment"]["Variables"]["MAX_LINE_LENGTH"] == "50000000"
    for kwargs, message in [
        ({"max_line_length": 100}, "invalid max_line_length=100; allowed: 1024..268435456 characters"),
        ({"max_line_length": 1.5e6}, "invalid max_line_length=1500000.0; allowed: a whole number"),
        (
            {"max_line_length": 8 << 20, "memory_size": 128},
            "allowed: at most 1677721 characters with memory_size=128",
        ),
    ]:
        assert message in _trigger_error(**kwargs)
