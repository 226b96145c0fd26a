"""Every alarm of the reference app reaches a person: one operations topic, wired everywhere,
whose key and topic policies let CloudWatch and EventBridge publish (as AWS documents)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Validations
from cdk_nag import NIST80053R5Checks

from ml_constructs.testing import COMPLIANCE_CONTEXT, nag_findings, templates
from stacks.app import build_app

STACK = "MlConstructs"


def _of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def _operations(template: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(topic logical id, topic policy document, key policy document) of the operations topic."""
    (topic_id,) = [k for k in _of_type(template, "AWS::SNS::Topic") if k.startswith("Operations")]
    topic = template["Resources"][topic_id]["Properties"]
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key_policy = template["Resources"][key_id]["Properties"]["KeyPolicy"]
    (topic_policy,) = [
        r["Properties"]["PolicyDocument"]
        for r in _of_type(template, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in r["Properties"]["Topics"]
    ]
    return topic_id, topic_policy, key_policy


def _allowing(document: dict[str, Any], service: str) -> list[dict[str, Any]]:
    return [
        s
        for s in document["Statement"]
        if s["Effect"] == "Allow" and s.get("Principal", {}).get("Service") == service
    ]


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def test_every_alarm_and_the_dms_failure_rule_notify_the_operations_topic(reference_templates):
    template = reference_templates[STACK]
    topic_id, _, _ = _operations(template)
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    names = {k[:-8] for k in alarms}  # logical ids less their hash
    assert {
        "ClicksDeliveryAlarm",
        "ClicksFreshnessAlarm",
        "ClicksProcessingAlarm",
        "ClicksTransformErrorAlarm",
        "OrdersFailureAlarm",
        "SalesFilesDeadLetterAlarm",
        "SalesFilesErrorAlarm",
        "ServeErrorAlarm",
        "ServeLatencyAlarm",
        "WorkflowFailedAlarm",
    } <= names, names
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"].get("AlarmActions") == [{"Ref": topic_id}], logical_id
        assert alarm["Properties"].get("ActionsEnabled", True) is True, logical_id
    (rule,) = [
        r for k, r in _of_type(template, "AWS::Events::Rule").items() if k.startswith("OrdersFailureRule")
    ]
    assert [t["Arn"] for t in rule["Properties"]["Targets"]] == [{"Ref": topic_id}]
    # No other topic is left for the workflow: its notices go to the operations topic too.
    assert list(_of_type(template, "AWS::SNS::Topic")) == [topic_id]


def test_topic_policy_lets_cloudwatch_alarms_and_eventbridge_rules_publish(reference_templates):
    template = reference_templates[STACK]
    _, topic_policy, _ = _operations(template)
    (cloudwatch,) = _allowing(topic_policy, "cloudwatch.amazonaws.com")
    assert _actions(cloudwatch) == {"sns:Publish"}
    assert ":cloudwatch:" in _text(cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"])
    assert ":alarm:*" in _text(cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"])
    assert cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    (eventbridge,) = _allowing(topic_policy, "events.amazonaws.com")
    assert _actions(eventbridge) == {"sns:Publish"}
    assert ":events:" in _text(eventbridge["Condition"]["ArnLike"]["aws:SourceArn"])
    assert eventbridge["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    # Still SSL only.
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in _text(s) for s in topic_policy["Statement"])


def test_key_policy_lets_both_services_use_the_key_for_this_topic_only(reference_templates):
    template = reference_templates[STACK]
    topic_id, _, key_policy = _operations(template)
    topic_name = template["Resources"][topic_id]["Properties"]["TopicName"]
    for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
        (statement,) = _allowing(key_policy, service)
        # The SNS guide: kms:Decrypt and kms:GenerateDataKey* for AWS service event sources.
        assert _actions(statement) == {"kms:Decrypt", "kms:GenerateDataKey*"}, service
        context = statement["Condition"]["StringEquals"]["kms:EncryptionContext:aws:sns:topicArn"]
        assert f":{topic_name}" in _text(context), service
    (cloudwatch,) = _allowing(key_policy, "cloudwatch.amazonaws.com")
    assert ":alarm:*" in _text(cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"])
    assert cloudwatch["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    # EventBridge's KMS requests carry no aws:Source* keys: conditioning on them drops notices.
    (eventbridge,) = _allowing(key_policy, "events.amazonaws.com")
    assert "aws:Source" not in _text(eventbridge["Condition"])


def test_nist_800_53_r5_alarm_action_rule_has_no_findings(tmp_path):
    app = App(outdir=str(tmp_path), context=COMPLIANCE_CONTEXT)
    build_app(app, nag=False)
    Validations.of(app).add_plugins(NIST80053R5Checks(app))
    findings = [f for f in nag_findings(app.synth()) if "CloudWatchAlarmAction" in f]
    assert findings == []


def test_an_existing_topic_and_an_email_are_used(tmp_path):
    arn = "arn:aws:sns:us-east-1:123456789012:ops"
    app = App(outdir=str(tmp_path), context={"ml:alarm_topic_arn": arn, "ml:alarm_email": "ops@example.com"})
    template = templates(build_app(app, nag=False).synth())[STACK]
    assert _of_type(template, "AWS::SNS::Topic") == {}
    for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [arn]
    (subscription,) = _of_type(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {"Endpoint": "ops@example.com", "Protocol": "email", "TopicArn": arn}
    warnings = [
        m.data
        for m in app.node.find_child(STACK).node.find_child("Operations").node.metadata
        if m.type == "aws:cdk:warning"
    ]
    assert warnings and "cloudwatch.amazonaws.com" in str(warnings)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"ml:alarm_email": "ops"}, "invalid ml:alarm_email='ops'"),
        ({"ml:alarm_topic_arn": "ops-topic"}, "invalid ml:alarm_topic_arn='ops-topic'"),
    ],
)
def test_bad_operations_settings_are_rejected(context, message):
    with pytest.raises(ValueError, match=message):
        build_app(App(context=context), nag=False)
