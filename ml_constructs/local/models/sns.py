"""SNS topic policies and subscriptions."""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from ._base import _not_found, _Taught


class SnsTopicPolicy(_Taught, CloudFormationModel):
    TYPE = "AWS::SNS::TopicPolicy"
    SERVICE = "sns"
    UPDATABLE = True
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        for arn in self.props["Topics"]:
            self._set(arn, json.dumps(self.props["PolicyDocument"]))
        self.physical_id = self.name
        self.attributes["Id"] = self.name
        self._topics = list(self.props["Topics"])

    def update(self, changed: set[str]) -> None:
        for arn in self._topics:
            if arn not in self.props["Topics"]:
                self._set(arn, _default_topic_policy(arn))
        self.create()

    def remove(self) -> None:
        for arn in self._topics:
            try:
                self._set(arn, _default_topic_policy(arn))
            except Exception as error:
                if not _not_found(error):
                    raise

    def _set(self, arn: str, policy: str) -> None:
        self.call("set_topic_attributes", TopicArn=arn, AttributeName="Policy", AttributeValue=policy)


def _default_topic_policy(topic_arn: str) -> str:
    account = topic_arn.split(":")[4]
    return json.dumps(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:Publish"],
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
                }
            ],
        }
    )


class SnsSubscription(_Taught, CloudFormationModel):
    TYPE = "AWS::SNS::Subscription"
    SERVICE = "sns"
    ATTRIBUTES = ("Arn",)
    UPDATABLE = True
    REPLACE_ON = ("TopicArn", "Protocol", "Endpoint", "Region")
    _SUBSCRIPTION_ATTRIBUTES = (
        "RawMessageDelivery",
        "FilterPolicy",
        "FilterPolicyScope",
        "RedrivePolicy",
        "DeliveryPolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    )

    def _attributes(self, names: Any) -> dict[str, str]:
        result = {}
        for name in names:
            if name in self.props:
                value = self.props[name]
                if isinstance(value, (dict, list)):
                    value = json.dumps(value)
                elif isinstance(value, bool):
                    value = "true" if value else "false"
                result[name] = str(value)
        return result

    def create(self) -> None:
        response = self.call(
            "subscribe",
            TopicArn=self.props["TopicArn"],
            Protocol=self.props["Protocol"],
            Endpoint=self.props.get("Endpoint", ""),
            Attributes=self._attributes(self._SUBSCRIPTION_ATTRIBUTES),
            ReturnSubscriptionArn=True,
        )
        self.physical_id = response["SubscriptionArn"]
        self.attributes["Arn"] = self.physical_id

    def update(self, changed: set[str]) -> None:
        for name, value in self._attributes(changed & set(self._SUBSCRIPTION_ATTRIBUTES)).items():
            self.call(
                "set_subscription_attributes",
                SubscriptionArn=self.physical_id,
                AttributeName=name,
                AttributeValue=value,
            )

    def remove(self) -> None:
        self.call("unsubscribe", SubscriptionArn=self.physical_id)
