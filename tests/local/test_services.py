"""Service behaviours the emulator restores where moto differs from AWS (plain boto3)."""

from __future__ import annotations

import uuid

from ml_constructs.local import LocalAws


def test_describe_scaling_policies_answers_the_named_policies_only(aws: LocalAws) -> None:
    scaling = aws.client("application-autoscaling")
    names = []
    for _ in range(2):
        resource = f"endpoint/e-{uuid.uuid4().hex[:8]}/variant/AllTraffic"
        key = {
            "ServiceNamespace": "sagemaker",
            "ResourceId": resource,
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        }
        scaling.register_scalable_target(**key, MinCapacity=1, MaxCapacity=2)
        names.append(f"p-{uuid.uuid4().hex[:8]}")
        scaling.put_scaling_policy(
            **key,
            PolicyName=names[-1],
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 100,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
            },
        )
    found = scaling.describe_scaling_policies(ServiceNamespace="sagemaker", PolicyNames=[names[0]])
    assert [p["PolicyName"] for p in found["ScalingPolicies"]] == [names[0]]
    everything = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert set(names) <= {p["PolicyName"] for p in everything}


def test_updating_a_model_package_keeps_what_the_request_does_not_name(aws: LocalAws) -> None:
    sagemaker = aws.client("sagemaker")
    group = f"g-{uuid.uuid4().hex[:8]}"
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [
                {"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1", "ModelDataUrl": "s3://b/m.tar.gz"}
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"ObjectiveMetric": "validation:auc", "ObjectiveValue": "0.8"},
    )["ModelPackageArn"]
    sagemaker.update_model_package(ModelPackageArn=arn, ApprovalDescription="reviewed")
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "reviewed"
    assert described["CustomerMetadataProperties"] == {
        "ObjectiveMetric": "validation:auc",
        "ObjectiveValue": "0.8",
    }
