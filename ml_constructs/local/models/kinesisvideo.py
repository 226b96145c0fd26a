"""Kinesis Video streams."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class KinesisVideoStream(_Taught, CloudFormationModel):
    TYPE = "AWS::KinesisVideo::Stream"
    SERVICE = "kinesisvideo"
    NAME_PROPERTY = "Name"
    NAME_MAX = 256
    ATTRIBUTES = ("Arn",)

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k != "Name"}
        response = self.call("create_stream", **self.params("CreateStream", properties, StreamName=self.name))
        self.physical_id = self.name
        self.attributes["Arn"] = response["StreamARN"]

    def remove(self) -> None:
        self.call("delete_stream", StreamARN=self.attributes["Arn"])
