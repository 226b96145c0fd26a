"""OperationsTopic: the one place every alarm and failure notice of an ML stack goes to."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from aws_cdk import Annotations, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from ..core import invalid, secure_key
from ..core.topics import allows_service_publishing, rule_target, service_publishable_topic
from ..core.validation import check_construct_id

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class OperationsTopic(Construct):
    """An SNS topic for operators: alarms (CloudWatch), failure events (EventBridge) and
    workflow notices reach the people subscribed to it.

    By default a new topic, SSL-only, encrypted with a key of its own whose policy lets this
    account's CloudWatch alarms and EventBridge rules use it for this topic only, with a topic
    policy that lets them publish (without both, an encrypted topic drops every alarm).

    Args:
        emails: addresses subscribed by e-mail (each confirms once from the mail AWS sends).
        topic: an existing topic instead of a new one. Its policies are not changed: it must
            already allow ``cloudwatch.amazonaws.com`` and ``events.amazonaws.com`` to publish
            (and to use its key, when encrypted); a warning says so at synth.
        encryption_key: the key of a new topic (default: a new customer-managed key; a shared
            key gets the two service statements, scoped to this topic).
        removal_policy: of a created key (default RETAIN).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        emails: Sequence[str] = (),
        topic: sns.ITopic | None = None,
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        check_construct_id(scope, id, "OperationsTopic")
        super().__init__(scope, id)
        if isinstance(emails, str):
            raise invalid(self, "emails", emails, "a list of e-mail addresses, e.g. ['ops@example.com']")
        for email in emails:
            if not isinstance(email, str) or not _EMAIL.fullmatch(email):
                raise invalid(self, "emails", email, "e-mail addresses like ops@example.com")
        if topic is not None and encryption_key is not None:
            raise invalid(self, "encryption_key", encryption_key.node.path, "None with an existing topic")
        self.encryption_key: kms.IKey | None = None
        if topic is None:
            self.encryption_key = encryption_key or secure_key(
                self,
                "Key",
                description=f"Operations notices of {self.node.path}",
                removal_policy=removal_policy,
            )
            topic = service_publishable_topic(
                self, "Topic", key=self.encryption_key, display_name=f"Operations {self.node.path}"
            )
        elif not allows_service_publishing(topic):
            Annotations.of(self).add_warning_v2(
                "ml-constructs:existing-operations-topic",
                f"{self.node.path}: the existing topic's policies are not changed here; alarms and "
                "rules reach it only if its topic policy lets cloudwatch.amazonaws.com and "
                "events.amazonaws.com publish (and, if encrypted, its key policy lets them use the key)",
            )
        self.topic: sns.ITopic = topic
        for email in emails:
            topic.add_subscription(subscriptions.EmailSubscription(email))

    @property
    def topic_arn(self) -> str:
        return self.topic.topic_arn

    def alarm_action(self) -> cloudwatch.IAlarmAction:
        """The action that sends an alarm's state change to this topic."""
        return cw_actions.SnsAction(self.topic)

    def notify(self, alarms: Iterable[cloudwatch.Alarm]) -> None:
        """Send each of ``alarms`` (e.g. a construct's ``.alarms``) to this topic."""
        for alarm in alarms:
            alarm.add_alarm_action(self.alarm_action())

    def rule_target(self, message: events.RuleTargetInput | None = None) -> events.IRuleTarget:
        """An EventBridge rule target publishing the matched events to this topic."""
        return rule_target(self.topic, message=message)

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """``sns:Publish`` on the topic (and use of its key) for ``grantee``."""
        return self.topic.grant_publish(grantee)
