"""KMS keys."""

from __future__ import annotations

import json

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class KmsKey(_Taught, CloudFormationModel):
    """Replaces moto's model (it stored the key policy as a dict, which broke ``DescribeKey``, and
    had no delete or update)."""

    TYPE = "AWS::KMS::Key"
    SERVICE = "kms"
    ATTRIBUTES = ("Arn", "KeyId")
    UPDATABLE = True
    REPLACE_ON = ("KeySpec", "KeyUsage", "MultiRegion", "Origin")

    def create(self) -> None:
        properties = {
            k: v
            for k, v in self.props.items()
            if k in ("Description", "KeyUsage", "KeySpec", "MultiRegion", "Origin", "Tags")
        }
        policy = self.props.get("KeyPolicy")
        params = self.params(
            "CreateKey", properties, Policy=json.dumps(policy) if isinstance(policy, dict) else policy
        )
        key = self.call("create_key", **params)["KeyMetadata"]
        self.physical_id = key["KeyId"]
        self.attributes.update(Arn=key["Arn"], KeyId=key["KeyId"])
        self._settings()

    def _settings(self) -> None:
        key_id = self.physical_id
        if self.props.get("EnableKeyRotation"):
            period = self.props.get("RotationPeriodInDays")
            self.call(
                "enable_key_rotation",
                KeyId=key_id,
                **({"RotationPeriodInDays": int(period)} if period else {}),
            )
        else:
            self.call("disable_key_rotation", KeyId=key_id)
        enabled = self.props.get("Enabled", True)
        self.call("enable_key" if str(enabled).lower() == "true" else "disable_key", KeyId=key_id)

    def update(self, changed: set[str]) -> None:
        key_id = self.physical_id
        if "KeyPolicy" in changed and self.props.get("KeyPolicy"):
            policy = self.props["KeyPolicy"]
            self.call(
                "put_key_policy",
                KeyId=key_id,
                PolicyName="default",
                Policy=json.dumps(policy) if isinstance(policy, dict) else policy,
            )
        if "Description" in changed:
            self.call("update_key_description", KeyId=key_id, Description=self.props.get("Description", ""))
        if "Tags" in changed and self.props.get("Tags"):
            self.call(
                "tag_resource", **self.params("TagResource", {"Tags": self.props["Tags"]}, KeyId=key_id)
            )
        self._settings()

    def remove(self) -> None:
        days = int(self.props.get("PendingWindowInDays", 7))
        self.call("schedule_key_deletion", KeyId=self.physical_id, PendingWindowInDays=days)
