"""IAM managed policies."""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class IamManagedPolicy(_Taught, CloudFormationModel):
    """Replaces moto's model (no delete: the roles it was attached to could not be deleted
    either, which stopped the whole stack delete)."""

    TYPE = "AWS::IAM::ManagedPolicy"
    SERVICE = "iam"
    NAME_PROPERTY = "ManagedPolicyName"
    NAME_MAX = 128
    ATTRIBUTES = (
        "PolicyArn",
        "PolicyId",
        "DefaultVersionId",
        "AttachmentCount",
        "IsAttachable",
        "CreateDate",
        "UpdateDate",
    )
    UPDATABLE = True
    REPLACE_ON = ("Path", "Description")
    _KINDS = (("Roles", "role", "RoleName"), ("Users", "user", "UserName"), ("Groups", "group", "GroupName"))

    def create(self) -> None:
        p = self.props
        policy = self.call(
            "create_policy",
            PolicyName=self.name,
            Path=p.get("Path", "/"),
            PolicyDocument=json.dumps(p["PolicyDocument"]),
            Description=p.get("Description", ""),
        )["Policy"]
        self.physical_id = policy["Arn"]
        self._attach({}, p)
        self._attributes()

    def _attach(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        for prop, kind, key in self._KINDS:
            old, new = set(before.get(prop) or []), set(after.get(prop) or [])
            for name in sorted(new - old):
                self.call(f"attach_{kind}_policy", **{key: name}, PolicyArn=self.physical_id)
            for name in sorted(old - new):
                self.call(f"detach_{kind}_policy", **{key: name}, PolicyArn=self.physical_id)

    def _attributes(self) -> None:
        policy = self.call("get_policy", PolicyArn=self.physical_id)["Policy"]
        self.attributes.update(
            PolicyArn=policy["Arn"],
            PolicyId=policy["PolicyId"],
            DefaultVersionId=policy["DefaultVersionId"],
            AttachmentCount=policy.get("AttachmentCount", 0),
            IsAttachable=policy.get("IsAttachable", True),
            CreateDate=str(policy.get("CreateDate", "")),
            UpdateDate=str(policy.get("UpdateDate", "")),
        )
        self._attached = {prop: list(self.props.get(prop) or []) for prop, _, _ in self._KINDS}

    def update(self, changed: set[str]) -> None:
        if "PolicyDocument" in changed:
            versions = self.call("list_policy_versions", PolicyArn=self.physical_id)["Versions"]
            for version in versions:
                if not version["IsDefaultVersion"]:
                    self.call(
                        "delete_policy_version", PolicyArn=self.physical_id, VersionId=version["VersionId"]
                    )
            self.call(
                "create_policy_version",
                PolicyArn=self.physical_id,
                PolicyDocument=json.dumps(self.props["PolicyDocument"]),
                SetAsDefault=True,
            )
        self._attach(self._attached, self.props)
        self._attributes()

    def remove(self) -> None:
        self._attach(self._attached, {})
        for version in self.call("list_policy_versions", PolicyArn=self.physical_id)["Versions"]:
            if not version["IsDefaultVersion"]:
                self.call("delete_policy_version", PolicyArn=self.physical_id, VersionId=version["VersionId"])
        self.call("delete_policy", PolicyArn=self.physical_id)
