"""ECR repositories."""

from __future__ import annotations

import json

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class EcrRepository(_Taught, CloudFormationModel):
    """Replaces moto's model (its generated names had capitals, which ECR rejects)."""

    TYPE = "AWS::ECR::Repository"
    SERVICE = "ecr"
    NAME_PROPERTY = "RepositoryName"
    UNIQUE_NAME = True
    NAME_LOWER = True
    NAME_MAX = 256
    ATTRIBUTES = ("Arn", "RepositoryUri")
    UPDATABLE = True
    REPLACE_ON = ("EncryptionConfiguration",)

    def create(self) -> None:
        properties = {
            k: v for k, v in self.props.items() if k not in ("RepositoryPolicyText", "LifecyclePolicy")
        }
        params = self.params("CreateRepository", properties, repositoryName=self.name)
        repository = self.call("create_repository", **params)["repository"]
        self.physical_id = self.name
        self.attributes.update(Arn=repository["repositoryArn"], RepositoryUri=repository["repositoryUri"])
        self.update(set(self.props))

    def update(self, changed: set[str]) -> None:
        p = self.props
        if "RepositoryPolicyText" in changed and p.get("RepositoryPolicyText"):
            text = p["RepositoryPolicyText"]
            self.call(
                "set_repository_policy",
                repositoryName=self.name,
                policyText=text if isinstance(text, str) else json.dumps(text),
            )
        lifecycle = (p.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        if "LifecyclePolicy" in changed and lifecycle:
            self.call("put_lifecycle_policy", repositoryName=self.name, lifecyclePolicyText=lifecycle)
        scanning = p.get("ImageScanningConfiguration")
        if "ImageScanningConfiguration" in changed and scanning and changed != set(p):
            self.call(
                "put_image_scanning_configuration",
                **self.params(
                    "PutImageScanningConfiguration",
                    {"imageScanningConfiguration": scanning},
                    repositoryName=self.name,
                ),
            )

    def remove(self) -> None:
        self.call(
            "delete_repository",
            repositoryName=self.name,
            force=str(self.props.get("EmptyOnDelete", False)).lower() == "true",
        )
