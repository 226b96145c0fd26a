"""EMR Serverless applications."""

from __future__ import annotations

import uuid
from typing import Any

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class EmrServerlessApplication(_Taught, CloudFormationModel):
    TYPE = "AWS::EMRServerless::Application"
    SERVICE = "emr-serverless"
    NAME_PROPERTY = "Name"
    NAME_MAX = 64
    ATTRIBUTES = ("Arn", "ApplicationId")
    UPDATABLE = True
    REPLACE_ON = ("Type",)

    def _properties(self) -> dict[str, Any]:
        properties = {k: v for k, v in self.props.items() if k not in ("Name", "Type")}
        return properties

    def create(self) -> None:
        params = self.params(
            "CreateApplication",
            self._properties(),
            name=self.name,
            type=str(self.props["Type"]).upper(),
            clientToken=str(uuid.uuid4()),
        )
        response = self.call("create_application", **params)
        self.physical_id = response["applicationId"]
        self.attributes.update(Arn=response["arn"], ApplicationId=response["applicationId"])

    def update(self, changed: set[str]) -> None:
        # Only a CREATED or STOPPED application can be updated: stop it meanwhile.
        state = self.call("get_application", applicationId=self.physical_id)["application"]["state"]
        running = state in ("STARTING", "STARTED")
        if running:
            self.call("stop_application", applicationId=self.physical_id)
        properties = {k: v for k, v in self._properties().items() if k != "Tags"}
        params = self.params(
            "UpdateApplication", properties, applicationId=self.physical_id, clientToken=str(uuid.uuid4())
        )
        self.call("update_application", **params)
        if running:
            self.call("start_application", applicationId=self.physical_id)

    def remove(self) -> None:
        state = self.call("get_application", applicationId=self.physical_id)["application"]["state"]
        if state in ("STARTING", "STARTED"):
            self.call("stop_application", applicationId=self.physical_id)
        self.call("delete_application", applicationId=self.physical_id)
