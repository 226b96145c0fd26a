"""Endpoints load the model and InvokeEndpoint answers with its predictions."""

from __future__ import annotations

import uuid

import pytest

from ml_constructs.local import LocalAws

from .conftest import rows, wait_for


def _config(aws: LocalAws, model: str, *, serverless: bool = False) -> str:
    name = f"config-{uuid.uuid4().hex[:8]}"
    variant = {"VariantName": "AllTraffic", "ModelName": model, "InitialVariantWeight": 1.0}
    if serverless:
        variant["ServerlessConfig"] = {"MemorySizeInMB": 2048, "MaxConcurrency": 1}
    else:
        variant.update(InstanceType="ml.m5.large", InitialInstanceCount=1)
    aws.client("sagemaker").create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    return name


def _wait(aws: LocalAws, name: str) -> dict:
    sagemaker = aws.client("sagemaker")
    return wait_for(
        lambda: sagemaker.describe_endpoint(EndpointName=name), "EndpointStatus", {"InService", "Failed"}
    )


def test_endpoint_serves_the_model_and_updates(aws: LocalAws, model) -> None:
    sagemaker, runtime = aws.client("sagemaker"), aws.client("sagemaker-runtime")
    name = f"endpoint-{uuid.uuid4().hex[:8]}"
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=_config(aws, model(), serverless=True))
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Creating"
    assert _wait(aws, name)["EndpointStatus"] == "InService"

    data = rows(50, seed=41)
    body = "\n".join(",".join(str(v) for v in row[1:]) for row in data)
    answer = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)
    predictions = [float(p) for p in answer["Body"].read().decode().splitlines()]
    assert len(predictions) == 50
    assert sum((p > 0.5) == (row[0] == 1.0) for p, row in zip(predictions, data, strict=True)) >= 40
    assert answer["InvokedProductionVariant"] == "AllTraffic"

    second = _config(aws, model())
    sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=second)
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Updating"
    updated = _wait(aws, name)
    assert updated["EndpointStatus"] == "InService" and updated["EndpointConfigName"] == second
    assert runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="0.9,0.9,0.1,0.1")[
        "Body"
    ].read()

    sagemaker.delete_endpoint(EndpointName=name)
    try:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="1,2,3,4")
    except runtime.exceptions.ClientError as error:
        assert "not found" in str(error)
    else:
        raise AssertionError("a deleted endpoint answered")


def test_an_endpoint_whose_model_cannot_load_fails(aws: LocalAws, bucket: str, model) -> None:
    sagemaker = aws.client("sagemaker")
    name = f"endpoint-{uuid.uuid4().hex[:8]}"
    missing = model(data=f"s3://{bucket}/no/such/model.tar.gz")
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=_config(aws, missing))
    endpoint = _wait(aws, name)
    assert endpoint["EndpointStatus"] == "Failed"
    assert "NoSuchKey" in endpoint["FailureReason"]
    with pytest.raises(sagemaker.exceptions.ClientError, match="with status Failed"):
        sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=_config(aws, model()))

    # A failed update keeps the endpoint serving its old configuration, with the reason.
    serving = f"endpoint-{uuid.uuid4().hex[:8]}"
    first = _config(aws, model())
    sagemaker.create_endpoint(EndpointName=serving, EndpointConfigName=first)
    assert _wait(aws, serving)["EndpointStatus"] == "InService"
    sagemaker.update_endpoint(EndpointName=serving, EndpointConfigName=_config(aws, missing))
    endpoint = wait_for(
        lambda: sagemaker.describe_endpoint(EndpointName=serving), "EndpointStatus", {"InService"}
    )
    assert endpoint["EndpointConfigName"] == first and "NoSuchKey" in endpoint["FailureReason"]


def test_a_wrong_payload_is_a_model_error(aws: LocalAws, model) -> None:
    sagemaker, runtime = aws.client("sagemaker"), aws.client("sagemaker-runtime")
    name = f"endpoint-{uuid.uuid4().hex[:8]}"
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=_config(aws, model()))
    assert _wait(aws, name)["EndpointStatus"] == "InService"
    try:
        runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="1,2")
    except runtime.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "ModelError"
        assert "not consistent with feature size of trained model 4" in str(error)
    else:
        raise AssertionError("two features for a four-feature model were accepted")


def test_a_model_from_a_registered_package_serves(aws: LocalAws, role: str, trained_model: str) -> None:
    from .conftest import IMAGE

    sagemaker, runtime = aws.client("sagemaker"), aws.client("sagemaker-runtime")
    group = f"group-{uuid.uuid4().hex[:8]}"
    sagemaker.create_model_package_group(ModelPackageGroupName=group)
    package = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": trained_model}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    model = f"model-{uuid.uuid4().hex[:8]}"
    sagemaker.create_model(
        ModelName=model, ExecutionRoleArn=role, PrimaryContainer={"ModelPackageName": package}
    )
    name = f"endpoint-{uuid.uuid4().hex[:8]}"
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=_config(aws, model))
    assert _wait(aws, name)["EndpointStatus"] == "InService", sagemaker.describe_endpoint(EndpointName=name)
    body = runtime.invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Body="0.9,0.9,0.5,0.5\n0.05,0.05,0.5,0.5"
    )
    high, low = (float(v) for v in body["Body"].read().decode().splitlines())
    assert high > 0.5 > low
