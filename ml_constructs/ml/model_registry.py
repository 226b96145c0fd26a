"""ModelPackageGroup: a SageMaker Model Registry group, and a task registering a trained model in it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from aws_cdk import RemovalPolicy, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import invalid
from ..core.nag import acknowledge_wildcards
from ..core.naming import resource_name
from ..core.validation import check_construct_id
from ._jobs import (
    check_instance_type,
    grant_sync_job,
    job_name_prefix,
    result_path_value,
    sagemaker_arn,
    sdk_resource,
    task_state,
)
from ._requests import check_overrides, finish_request
from .images import SageMakerImage


class ApprovalStatus(StrEnum):
    """The approval a newly registered model version starts with."""

    PENDING_MANUAL_APPROVAL = "PendingManualApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"


class ModelPackageGroup(Construct):
    """A SageMaker Model Package Group (``AWS::SageMaker::ModelPackageGroup``): the versioned
    registry of one model's trained versions, with approval status.

    :meth:`register_task` is a Step Functions task (``CreateModelPackage`` through the AWS SDK
    integration) that registers a trained model (image + artifacts, e.g. the best training job
    of a :class:`HyperparameterTuning`, at ``$.best``) as a new version, pending manual approval
    by default.

    Args:
        name: the group name (default: unique to this construct, lowercase, <= 63 characters).
        description: of the group.
        removal_policy: RETAIN by default (a group with versions cannot be deleted anyway).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        check_construct_id(scope, id, "ModelPackageGroup")
        super().__init__(scope, id)
        if name is not None and not Token.is_unresolved(name):
            job_name_prefix(self, name, 63, "name")
        if description is not None and len(description) > 1024:
            raise invalid(self, "description", description[:40] + "...", "at most 1024 characters")
        self.name = name or resource_name(self, max_length=63).strip("-").lower()
        self.group = sagemaker.CfnModelPackageGroup(
            self,
            "Resource",
            model_package_group_name=self.name,
            model_package_group_description=description or f"Model versions of {self.node.path}",
        )
        self.group.apply_removal_policy(removal_policy)
        self.arn = self.group.attr_model_package_group_arn

    def register_task(
        self,
        scope: Construct,
        id: str,
        *,
        image: SageMakerImage | None = None,
        image_path: str = "$.best.TrainingImage",
        model_data_path: str = "$.best.ModelArtifacts",
        content_types: Sequence[str] = ("text/csv",),
        response_types: Sequence[str] = ("text/csv",),
        approval: ApprovalStatus = ApprovalStatus.PENDING_MANUAL_APPROVAL,
        realtime_instance_types: Sequence[str] = (),
        transform_instance_types: Sequence[str] = (),
        source_path: str | None = "$.best.TrainingJobName",
        metadata: Mapping[str, str] | None = None,
        result_path: str | None = "$.registered",
        overrides: Mapping[str, Any] | None = None,
    ) -> sfn.CustomState:
        """A task registering a model version: ``image`` (or the image URI at ``image_path``)
        with the ``model.tar.gz`` at ``model_data_path``. ``source_path`` (the training job's
        name) is recorded as customer metadata, with ``metadata`` (keys ending in ``.$`` take
        their value from a JSONPath or intrinsic, e.g. the objective value a quality gate reads
        back; values are strings of at most 256 letters, digits and ``_.:/=+-@``; CreateModelPackage
        takes no approval description: set one with :meth:`update_status_task`). The result is
        ``{"ModelPackageArn": ...}``.

        ``overrides``: members merged deeply into the ``CreateModelPackage`` request (e.g.
        ``{"ModelMetrics": {...}}``; ``None`` removes one), checked against botocore's model.
        The request carries the stack's tags. The role running it needs :meth:`grant_register`.
        """
        _check_mime_types(self, "content_types", content_types)
        _check_mime_types(self, "response_types", response_types)
        for value in realtime_instance_types:
            check_instance_type(self, "realtime_instance_types", value, "ProductionVariantInstanceType")
        for value in transform_instance_types:
            check_instance_type(self, "transform_instance_types", value, "TransformInstanceType")
        container: dict[str, Any] = {"ModelDataUrl.$": model_data_path}
        if image is not None:
            container["Image"] = image.bind(self)
        else:
            container["Image.$"] = image_path
        spec: dict[str, Any] = {
            "Containers": [container],
            "SupportedContentTypes": list(content_types),
            "SupportedResponseMIMETypes": list(response_types),
        }
        if realtime_instance_types:
            spec["SupportedRealtimeInferenceInstanceTypes"] = list(realtime_instance_types)
        if transform_instance_types:
            spec["SupportedTransformInstanceTypes"] = list(transform_instance_types)
        params: dict[str, Any] = {
            "ModelPackageGroupName": self.name,
            "InferenceSpecification": spec,
            "ModelApprovalStatus": ApprovalStatus(approval).value,
        }
        properties: dict[str, str] = {"TrainingJobName.$": source_path} if source_path else {}
        properties.update(metadata or {})
        if properties:
            params["CustomerMetadataProperties"] = properties
        params = finish_request(
            self, "overrides", "CreateModelPackage", params, check_overrides(self, "overrides", overrides)
        )
        return task_state(
            scope,
            id,
            comment=f"Register the model in {self.node.path}",
            resource=sdk_resource("createModelPackage"),
            parameters=params,
            result_selector={"ModelPackageArn.$": "$.ModelPackageArn"},
            result_path=result_path_value(result_path),
        )

    def update_status_task(
        self,
        scope: Construct,
        id: str,
        *,
        status: ApprovalStatus,
        package_arn_path: str = "$.registered.ModelPackageArn",
        description: str | None = None,
        description_path: str | None = None,
    ) -> sfn.CustomState:
        """A task setting the approval status of the version at ``package_arn_path``, with a
        ``description`` (or one at ``description_path``), e.g. rejecting a model whose rollout
        was rolled back. The role running it needs :meth:`grant_update_status`."""
        params: dict[str, Any] = {
            "ModelPackageArn.$": package_arn_path,
            "ModelApprovalStatus": ApprovalStatus(status).value,
        }
        if description is not None:
            if len(description) > 1024:
                raise invalid(self, "description", description[:40] + "...", "at most 1024 characters")
            params["ApprovalDescription"] = description
        elif description_path is not None:
            params["ApprovalDescription.$"] = description_path
        params = finish_request(self, "update_status_task", "UpdateModelPackage", params, {}, tags=False)
        return task_state(
            scope,
            id,
            comment=f"Set a model version of {self.node.path} {ApprovalStatus(status).value}",
            resource=sdk_resource("updateModelPackage"),
            parameters=params,
            result_path=sfn.JsonPath.DISCARD,
        )

    def describe_task(
        self,
        scope: Construct,
        id: str,
        *,
        package_arn_path: str = "$.detail.ModelPackageArn",
        result_path: str = "$.package",
    ) -> sfn.CustomState:
        """``DescribeModelPackage`` of the version at ``package_arn_path``: ``result_path`` gets
        its ``ModelPackageArn``, ``ModelApprovalStatus``, ``Image`` and ``ModelDataUrl`` (of
        its first container). Needs :meth:`grant_read`."""
        return task_state(
            scope,
            id,
            comment=f"Read a model version of {self.node.path}",
            resource=sdk_resource("describeModelPackage"),
            parameters={"ModelPackageName.$": package_arn_path},
            result_selector={
                "ModelPackageArn.$": "$.ModelPackageArn",
                "ModelApprovalStatus.$": "$.ModelApprovalStatus",
                "Image.$": "$.InferenceSpecification.Containers[0].Image",
                "ModelDataUrl.$": "$.InferenceSpecification.Containers[0].ModelDataUrl",
            },
            result_path=result_path_value(result_path),
        )

    def latest_approved_task(
        self, scope: Construct, id: str, *, result_path: str = "$.latest"
    ) -> sfn.CustomState:
        """``ListModelPackages``: the newest approved version of this group; ``result_path``
        gets ``{"ModelPackageArns": [<arn>]}`` (empty when none is approved). Needs :meth:`grant_read`."""
        params = finish_request(
            self,
            "latest_approved_task",
            "ListModelPackages",
            {
                "ModelPackageGroupName": self.name,
                "ModelApprovalStatus": ApprovalStatus.APPROVED.value,
                "SortBy": "CreationTime",
                "SortOrder": "Descending",
                "MaxResults": 1,
            },
            {},
            tags=False,
        )
        return task_state(
            scope,
            id,
            comment=f"Find the newest approved version of {self.node.path}",
            resource=sdk_resource("listModelPackages"),
            parameters=params,
            result_selector={"ModelPackageArns.$": "$.ModelPackageSummaryList[*].ModelPackageArn"},
            result_path=result_path_value(result_path),
        )

    def approved_event_pattern(self) -> events.EventPattern:
        """EventBridge's ``SageMaker Model Package State Change`` of a version of this group
        becoming (or registered as) ``Approved``."""
        return events.EventPattern(
            source=["aws.sagemaker"],
            detail_type=["SageMaker Model Package State Change"],
            detail={
                "ModelPackageGroupName": [self.name],
                "ModelApprovalStatus": [ApprovalStatus.APPROVED.value],
            },
        )

    @property
    def package_arn_pattern(self) -> str:
        """The ARNs of this group's versions (``model-package/<group>/<version>``)."""
        return sagemaker_arn(self, "model-package", f"{self.name}/*")

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` describe this group's versions and list versions (ListModelPackages
        has no resource level in IAM)."""
        principal = grantee.grant_principal
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sagemaker:DescribeModelPackage"], resources=[self.package_arn_pattern]
            )
        )
        principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=["*"])
        )
        if isinstance(principal, Construct):
            acknowledge_wildcards(
                principal,
                f"Versions of {self.node.path} are numbered at registration (the ARN is limited to the "
                "group's versions); sagemaker:ListModelPackages supports no resource-level permission.",
                resources=[self.package_arn_pattern, "*"],
            )

    def grant_update_status(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` run :meth:`update_status_task` on this group's versions."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sagemaker:UpdateModelPackage"], resources=[self.package_arn_pattern]
            )
        )
        if isinstance(grantee.grant_principal, Construct):
            acknowledge_wildcards(
                grantee.grant_principal,
                f"Versions of {self.node.path} are numbered at registration; the ARN is limited to the "
                "group's versions.",
                resources=[self.package_arn_pattern],
            )

    def grant_register(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` run :meth:`register_task` (create versions in this group only)."""
        grant_sync_job(
            grantee,
            self,
            # AddTags: the request carries the stack's tags.
            actions=["sagemaker:CreateModelPackage", "sagemaker:AddTags"],
            resources=[self.arn, self.package_arn_pattern],
            events_rule=None,
            passed_role=None,
            reason=f"Model package versions get their number at registration; the ARN is limited to "
            f"the versions of the group {self.name} ({self.node.path}).",
        )


def _check_mime_types(scope: Construct, argument: str, values: Sequence[str]) -> None:
    if not 1 <= len(values) <= 10 or any(not v or len(v) > 256 for v in values):
        raise invalid(scope, argument, list(values), "1-10 MIME types of 1-256 characters")
