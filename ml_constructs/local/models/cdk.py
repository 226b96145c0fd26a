"""``AWS::CDK::Metadata``."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class CdkMetadata(_Taught, CloudFormationModel):
    """``AWS::CDK::Metadata``: CDK's usage record; CloudFormation keeps it as a resource."""

    TYPE = "AWS::CDK::Metadata"
    UPDATABLE = True

    def create(self) -> None:
        self.physical_id = self.name

    def update(self, changed: set[str]) -> None:
        pass

    def remove(self) -> None:
        pass
