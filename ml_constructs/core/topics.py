"""SNS topics that CloudWatch alarms and EventBridge rules can actually publish to.

A KMS-encrypted topic drops every alarm notice unless the key policy lets the publishing service
use the key and the topic policy lets it publish (Amazon SNS developer guide, "Enable
compatibility between event sources from AWS services and encrypted topics"; CloudWatch user
guide, alarm actions). :func:`service_publishable_topic` creates such a topic with exactly those
statements; :func:`rule_target` sends an EventBridge rule's events to it.
"""

from __future__ import annotations

import re

import jsii
from aws_cdk import Aws, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces import aws_events as events_refs
from constructs import Construct

from .naming import resource_name

CLOUDWATCH = "cloudwatch.amazonaws.com"
EVENTBRIDGE = "events.amazonaws.com"
# What a service needs of the topic's key to publish to an encrypted topic (SNS guide).
KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"]
_MARKER = "AllowsServicePublishing"


def service_publishable_topic(scope: Construct, id: str, *, key: kms.IKey, display_name: str) -> sns.Topic:
    """An SSL-only topic encrypted with ``key`` that this account's CloudWatch alarms and
    EventBridge rules may publish to, and nothing else in those services.

    The topic has an explicit name so the key policy can name the topic's ARN (a ``Ref`` would
    make key and topic depend on each other). With an imported ``key`` the key statements
    cannot be added: grant them in that key's policy (see :func:`key_statements`).
    """
    suffix = re.sub(r"[^A-Za-z0-9_-]", "", id) or "Topic"
    name = resource_name(scope, max_length=255 - len(suffix)) + "-" + suffix
    topic = sns.Topic(scope, id, topic_name=name, display_name=display_name, master_key=key, enforce_ssl=True)
    arn = Stack.of(topic).format_arn(service="sns", resource=name)
    for statement in topic_statements(arn):
        topic.add_to_resource_policy(statement)
    for statement in key_statements(arn):
        key.add_to_resource_policy(statement, allow_no_op=True)
    Construct(topic, _MARKER)
    return topic


def allows_service_publishing(topic: sns.ITopic) -> bool:
    """True for a topic made by :func:`service_publishable_topic`."""
    return isinstance(topic, sns.Topic) and topic.node.try_find_child(_MARKER) is not None


def _alarms_arn() -> str:
    return f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:*"


def _rules_arn() -> str:
    return f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/*"


def topic_statements(topic_arn: str) -> list[iam.PolicyStatement]:
    """Topic-policy statements: CloudWatch alarms and EventBridge rules of this account and
    region may publish (``aws:SourceArn`` + ``aws:SourceAccount``, against confused deputies)."""
    return [
        iam.PolicyStatement(
            sid=sid,
            principals=[iam.ServicePrincipal(service)],
            actions=["sns:Publish"],
            resources=[topic_arn],
            conditions={
                "ArnLike": {"aws:SourceArn": source},
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            },
        )
        for sid, service, source in (
            ("AllowCloudWatchAlarms", CLOUDWATCH, _alarms_arn()),
            ("AllowEventBridgeRules", EVENTBRIDGE, _rules_arn()),
        )
    ]


def key_statements(topic_arn: str) -> list[iam.PolicyStatement]:
    """Key-policy statements: CloudWatch and EventBridge may use the key for this topic only
    (``kms:EncryptionContext:aws:sns:topicArn``). CloudWatch's is also bound to this account's
    alarms; the SNS guide documents that EventBridge delivery does not carry
    ``aws:SourceAccount`` / ``aws:SourceArn`` to KMS, so its statement has only the topic."""
    context = {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}
    return [
        iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsToPublish",
            principals=[iam.ServicePrincipal(CLOUDWATCH)],
            actions=KEY_ACTIONS,
            resources=["*"],
            conditions={
                "ArnLike": {"aws:SourceArn": _alarms_arn()},
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID, **context},
            },
        ),
        iam.PolicyStatement(
            sid="AllowEventBridgeToPublish",
            principals=[iam.ServicePrincipal(EVENTBRIDGE)],
            actions=KEY_ACTIONS,
            resources=["*"],
            conditions={"StringEquals": context},
        ),
    ]


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """An SNS rule target that adds no grants (the topic's policies already allow rules)."""

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput | None) -> None:
        self._topic, self._message = topic, message

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:  # noqa: A002
        return events.RuleTargetConfig(arn=self._topic.topic_arn, input=self._message)


def rule_target(topic: sns.ITopic, *, message: events.RuleTargetInput | None = None) -> events.IRuleTarget:
    """Send a rule's events to ``topic``. A topic from :func:`service_publishable_topic` gets
    no extra statements; any other gets CDK's (``events.amazonaws.com`` may publish, and use its
    key)."""
    if allows_service_publishing(topic):
        return _TopicTarget(topic, message)
    return targets.SnsTopic(topic, message=message)
