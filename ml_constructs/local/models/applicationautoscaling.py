"""Application Auto Scaling scalable targets and scaling policies."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class ScalableTarget(_Taught, CloudFormationModel):
    TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"
    SERVICE = "application-autoscaling"
    ATTRIBUTES = ("Id",)
    UPDATABLE = True
    REPLACE_ON = ("ResourceId", "ScalableDimension", "ServiceNamespace")

    def _key(self) -> dict[str, str]:
        return {k: self.props[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")}

    def create(self) -> None:
        self.update(set())
        p = self.props
        self.physical_id = f"{p['ResourceId']}|{p['ScalableDimension']}|{p['ServiceNamespace']}"
        self.attributes["Id"] = self.physical_id

    def update(self, changed: set[str]) -> None:
        properties = {k: v for k, v in self.props.items() if k != "ScheduledActions"}
        self.call("register_scalable_target", **self.params("RegisterScalableTarget", properties))
        for action in self.props.get("ScheduledActions") or []:
            self.call("put_scheduled_action", **self.params("PutScheduledAction", action, **self._key()))

    def remove(self) -> None:
        self.call("deregister_scalable_target", **self._key())


class ScalingPolicy(_Taught, CloudFormationModel):
    TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"
    SERVICE = "application-autoscaling"
    ATTRIBUTES = ("Arn",)
    UPDATABLE = True
    REPLACE_ON = ("PolicyName", "ServiceNamespace", "ResourceId", "ScalableDimension", "ScalingTargetId")

    def _key(self) -> dict[str, str]:
        p = self.props
        if p.get("ScalingTargetId"):
            resource_id, dimension, namespace = str(p["ScalingTargetId"]).split("|")
            return {"ResourceId": resource_id, "ScalableDimension": dimension, "ServiceNamespace": namespace}
        return {k: p[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")}

    def create(self) -> None:
        self.update(set())

    def update(self, changed: set[str]) -> None:
        response = self.call(
            "put_scaling_policy", **self.params("PutScalingPolicy", self.props, **self._key())
        )
        self.physical_id = response["PolicyARN"]
        self.attributes["Arn"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_scaling_policy", PolicyName=self.props["PolicyName"], **self._key())
