"""Athena workgroups."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class AthenaWorkGroup(_Taught, CloudFormationModel):
    TYPE = "AWS::Athena::WorkGroup"
    SERVICE = "athena"
    NAME_PROPERTY = "Name"
    UNIQUE_NAME = True
    NAME_MAX = 128
    ATTRIBUTES = ("CreationTime", "WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion")

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k not in ("Name", "WorkGroupConfiguration")}
        params = self.params(
            "CreateWorkGroup",
            properties,
            Name=self.name,
            Configuration=self.props.get("WorkGroupConfiguration"),
        )
        self.call("create_work_group", **params)
        self.physical_id = self.name
        group = self.call("get_work_group", WorkGroup=self.name)["WorkGroup"]
        created = group.get("CreationTime")
        engine = (group.get("Configuration") or {}).get("EngineVersion") or {}
        self.attributes["CreationTime"] = (
            created.isoformat() if hasattr(created, "isoformat") else str(created)
        )
        self.attributes["WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion"] = engine.get(
            "EffectiveEngineVersion", "Athena engine version 3"
        )

    def remove(self) -> None:
        self.call("delete_work_group", WorkGroup=self.name, RecursiveDeleteOption=True)
