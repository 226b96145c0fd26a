"""CloudWatch alarms."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class CloudWatchAlarm(_Taught, CloudFormationModel):
    TYPE = "AWS::CloudWatch::Alarm"
    SERVICE = "cloudwatch"
    NAME_PROPERTY = "AlarmName"
    UNIQUE_NAME = True
    NAME_MAX = 255
    ATTRIBUTES = ("Arn",)
    UPDATABLE = True

    def create(self) -> None:
        self.update(set())
        self.physical_id = self.name
        alarms = self.call("describe_alarms", AlarmNames=[self.name])["MetricAlarms"]
        self.attributes["Arn"] = alarms[0]["AlarmArn"]

    def update(self, changed: set[str]) -> None:
        self.call("put_metric_alarm", **self.params("PutMetricAlarm", self.props, AlarmName=self.name))

    def remove(self) -> None:
        self.call("delete_alarms", AlarmNames=[self.name])
