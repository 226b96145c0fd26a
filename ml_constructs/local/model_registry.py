"""The SageMaker Model Registry as AWS runs it, over moto's model packages.

- EventBridge gets a ``SageMaker Model Package State Change`` event (source ``aws.sagemaker``,
  on the account's default bus) when a versioned package is created and whenever it is updated,
  with the package's group, version, ARN and ``ModelApprovalStatus``: approving a version in the
  registry starts what listens for it (the workflow's :class:`ApprovedModelDeployment`).
- ``UpdateModelPackage`` changes only what the request names: moto dropped the customer metadata
  (and the approval description) of every update that did not repeat them, so approving a version
  lost the objective value the quality gate compares.
"""

from __future__ import annotations

from typing import Any

from .jobs.common import once

EVENT_DETAIL_TYPE = "SageMaker Model Package State Change"


@once
def install() -> None:
    from moto.sagemaker.models import SageMakerModelBackend

    original_create = SageMakerModelBackend.create_model_package
    original_update = SageMakerModelBackend.update_model_package

    def create_model_package(self: Any, **kwargs: Any) -> str:
        arn = original_create(self, **kwargs)
        _announce(self, arn)
        return arn

    def update_model_package(
        self: Any,
        model_package_arn: str,
        model_approval_status: str | None,
        approval_description: str | None,
        customer_metadata_properties: dict[str, str] | None,
        customer_metadata_properties_to_remove: list[str],
        additional_inference_specifications_to_add: list[Any] | None,
    ) -> str:
        package = self.describe_model_package(model_package_arn)
        metadata = dict(package.customer_metadata_properties or {})
        metadata.update(customer_metadata_properties or {})
        description = (
            approval_description if approval_description is not None else package.approval_description
        )
        status = model_approval_status or package.model_approval_status
        arn = original_update(
            self,
            model_package_arn,
            status,
            description,
            metadata,
            customer_metadata_properties_to_remove or [],
            additional_inference_specifications_to_add,
        )
        _announce(self, arn)
        return arn

    setattr(SageMakerModelBackend, "create_model_package", create_model_package)  # noqa: B010
    setattr(SageMakerModelBackend, "update_model_package", update_model_package)  # noqa: B010


def _announce(backend: Any, arn: str) -> None:
    """Send the package's state change to EventBridge (asynchronous on AWS: a failure to deliver
    never fails the API call)."""
    from . import events

    package = backend.describe_model_package(arn)
    if not package.model_package_group_name:
        return  # unversioned packages belong to no group
    detail = {
        "ModelPackageGroupName": package.model_package_group_name,
        "ModelPackageVersion": package.model_package_version,
        "ModelPackageArn": package.arn,
        "ModelPackageName": package.model_package_name,
        "CreationTime": int(package.creation_time.timestamp() * 1000)
        if hasattr(package.creation_time, "timestamp")
        else str(package.creation_time),
        "InferenceSpecification": package.inference_specification,
        "ModelApprovalStatus": package.model_approval_status,
        "ModelPackageStatus": package.model_package_status,
    }
    if package.approval_description:
        detail["ApprovalDescription"] = package.approval_description
    try:
        event = events.service_event(
            backend.account_id,
            backend.region_name,
            source="aws.sagemaker",
            detail_type=EVENT_DETAIL_TYPE,
            resources=[package.arn],
            detail=detail,
        )
        events.deliver(backend.account_id, backend.region_name, event)
    except Exception as error:  # noqa: BLE001 - reported, never failing the API call
        import logging

        logging.getLogger(__name__).warning("model package event for %s not delivered: %r", arn, error)
