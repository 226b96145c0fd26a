"""OperationsTopic and the topics the library creates: CloudWatch and EventBridge can publish."""

from __future__ import annotations

import json

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_sns as sns

from ml_constructs import OperationsTopic
from tests.harness import build_error, scenario


def _services(document: dict) -> dict[str, dict]:
    return {
        s["Principal"]["Service"]: s
        for s in document["Statement"]
        if s["Effect"] == "Allow"
        and isinstance(s.get("Principal"), dict)
        and isinstance(s["Principal"].get("Service"), str)
    }


@pytest.fixture(scope="module")
def operations():
    def build(stack: Stack):
        ops = OperationsTopic(stack, "Ops", emails=["ops@example.com", "oncall@example.com"])
        alarm = cloudwatch.Alarm(
            stack,
            "Alarm",
            metric=cloudwatch.Metric(namespace="Test", metric_name="Errors", period=Duration.minutes(5)),
            threshold=1,
            evaluation_periods=1,
        )
        ops.notify([alarm])
        events.Rule(
            stack,
            "Rule",
            event_pattern=events.EventPattern(source=["aws.dms"]),
            targets=[ops.rule_target()],
        )
        return ops

    return scenario(build)


def test_a_new_topic_with_its_own_key_and_both_service_statements(operations):
    topic = operations.one("AWS::SNS::Topic")
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key_policy = operations.json["Resources"][key_id]["Properties"]["KeyPolicy"]
    assert set(_services(key_policy)) == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
    (policy,) = operations.resources("AWS::SNS::TopicPolicy").values()
    assert set(_services(policy["Properties"]["PolicyDocument"])) == {
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    }
    assert operations.json["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True


def test_alarms_and_rules_publish_to_it_and_emails_subscribe(operations):
    assert operations.one("AWS::CloudWatch::Alarm")["AlarmActions"][0]["Ref"].startswith("OpsTopic")
    (target,) = operations.one("AWS::Events::Rule")["Targets"]
    assert target["Arn"]["Ref"].startswith("OpsTopic")
    endpoints = sorted(
        s["Properties"]["Endpoint"] for s in operations.resources("AWS::SNS::Subscription").values()
    )
    assert endpoints == ["oncall@example.com", "ops@example.com"]
    # The rule target adds no statements of its own (the topic's policies already allow rules).
    (policy,) = operations.resources("AWS::SNS::TopicPolicy").values()
    assert len(policy["Properties"]["PolicyDocument"]["Statement"]) == 3  # SSL-only + 2 services


def test_it_is_compliant(operations):
    assert operations.problems == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"emails": "ops@example.com"}, "Test/Ops: invalid emails='ops@example.com'; allowed: a list"),
        ({"emails": ["ops"]}, "Test/Ops: invalid emails='ops'; allowed: e-mail addresses"),
    ],
)
def test_bad_arguments(kwargs, message):
    assert build_error(lambda stack: OperationsTopic(stack, "Ops", **kwargs)).startswith(message)


def test_an_existing_topic_with_a_key_is_refused():
    def build(stack: Stack):
        from ml_constructs.core import secure_key

        topic = sns.Topic.from_topic_arn(stack, "T", "arn:aws:sns:us-east-1:123456789012:ops")
        OperationsTopic(stack, "Ops", topic=topic, encryption_key=secure_key(stack, "K", description="k"))

    assert "invalid encryption_key='Test/K'; allowed: None with an existing topic" in build_error(build)


@pytest.fixture(scope="module")
def workflow():
    from tests.workflow.test_ml_workflow import build_full

    return scenario(build_full, compliance=False)


def test_the_workflow_default_topic_lets_its_failure_alarm_publish(workflow):
    """The workflow's own topic (lake key) lets CloudWatch publish its failure alarm: the lake
    key's statement is bound to this topic by the encryption context."""
    (topic_id,) = workflow.resources("AWS::SNS::Topic")
    alarm = workflow.one("AWS::CloudWatch::Alarm", "WorkflowFailedAlarm")
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    topic = workflow.json["Resources"][topic_id]["Properties"]
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    assert key_id.startswith("LakeKey")
    statements = _services(workflow.json["Resources"][key_id]["Properties"]["KeyPolicy"])
    context = statements["cloudwatch.amazonaws.com"]["Condition"]["StringEquals"]
    assert topic["TopicName"] in json.dumps(context["kms:EncryptionContext:aws:sns:topicArn"])
    (policy,) = workflow.resources("AWS::SNS::TopicPolicy").values()
    assert "cloudwatch.amazonaws.com" in _services(policy["Properties"]["PolicyDocument"])
