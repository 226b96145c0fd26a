"""CloudWatch Logs streams and metric filters."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class LogsLogStream(_Taught, CloudFormationModel):
    TYPE = "AWS::Logs::LogStream"
    SERVICE = "logs"
    NAME_PROPERTY = "LogStreamName"

    def create(self) -> None:
        self.call("create_log_stream", logGroupName=self.props["LogGroupName"], logStreamName=self.name)
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_log_stream", logGroupName=self.props["LogGroupName"], logStreamName=self.name)


class LogsMetricFilter(_Taught, CloudFormationModel):
    TYPE = "AWS::Logs::MetricFilter"
    SERVICE = "logs"
    NAME_PROPERTY = "FilterName"
    UNIQUE_NAME = True
    NAME_MAX = 512
    UPDATABLE = True
    REPLACE_ON = ("LogGroupName",)

    def create(self) -> None:
        self.update(set())
        self.physical_id = self.name

    def update(self, changed: set[str]) -> None:
        if changed:  # moto's PutMetricFilter adds a second filter of the same name: replace it
            self.remove()
        self.call("put_metric_filter", **self.params("PutMetricFilter", self.props, filterName=self.name))

    def remove(self) -> None:
        self.call("delete_metric_filter", logGroupName=self.props["LogGroupName"], filterName=self.name)
