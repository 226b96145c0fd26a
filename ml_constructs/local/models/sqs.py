"""SQS queue policies."""

from __future__ import annotations

import json

from moto.core.common_models import CloudFormationModel

from ._base import _not_found, _Taught


class SqsQueuePolicy(_Taught, CloudFormationModel):
    TYPE = "AWS::SQS::QueuePolicy"
    SERVICE = "sqs"
    UPDATABLE = True
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        self._apply(self.props["Queues"], json.dumps(self.props["PolicyDocument"]))
        self.physical_id = self.name
        self.attributes["Id"] = self.name
        self._queues = list(self.props["Queues"])

    def update(self, changed: set[str]) -> None:
        self._apply([q for q in self._queues if q not in self.props["Queues"]], "")
        self.create()

    def remove(self) -> None:
        self._apply(self._queues, "")

    def _apply(self, queues: list[str], policy: str) -> None:
        for url in queues:
            try:
                self.call("set_queue_attributes", QueueUrl=url, Attributes={"Policy": policy})
            except Exception as error:
                if not (policy == "" and _not_found(error)):
                    raise
