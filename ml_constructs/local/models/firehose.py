"""Kinesis Data Firehose delivery streams."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class FirehoseDeliveryStream(_Taught, CloudFormationModel):
    TYPE = "AWS::KinesisFirehose::DeliveryStream"
    SERVICE = "firehose"
    NAME_PROPERTY = "DeliveryStreamName"
    UNIQUE_NAME = True
    NAME_MAX = 64
    ATTRIBUTES = ("Arn",)

    def create(self) -> None:
        params = self.params("CreateDeliveryStream", self.props, DeliveryStreamName=self.name)
        response = self.call("create_delivery_stream", **params)
        self.physical_id = self.name
        self.attributes["Arn"] = response["DeliveryStreamARN"]

    def remove(self) -> None:
        self.call("delete_delivery_stream", DeliveryStreamName=self.name)
