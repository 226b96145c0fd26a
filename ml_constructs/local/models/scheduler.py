"""EventBridge Scheduler schedules."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class SchedulerSchedule(_Taught, CloudFormationModel):
    TYPE = "AWS::Scheduler::Schedule"
    SERVICE = "scheduler"
    NAME_PROPERTY = "Name"
    UNIQUE_NAME = True
    NAME_MAX = 64
    ATTRIBUTES = ("Arn",)
    UPDATABLE = True
    REPLACE_ON = ("GroupName",)

    def create(self) -> None:
        response = self.call("create_schedule", **self.params("CreateSchedule", self.props, Name=self.name))
        self.physical_id = self.name
        self.attributes["Arn"] = response["ScheduleArn"]

    def update(self, changed: set[str]) -> None:
        self.call("update_schedule", **self.params("UpdateSchedule", self.props, Name=self.name))

    def remove(self) -> None:
        self.call("delete_schedule", Name=self.name, GroupName=self.props.get("GroupName", "default"))
