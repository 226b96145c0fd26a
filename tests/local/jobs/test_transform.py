"""Batch transform runs the model over every input object, with SageMaker's CSV filters."""

from __future__ import annotations

import uuid

import pytest

from ml_constructs.local import LocalAws
from ml_constructs.local.jobs.common import JobError
from ml_constructs.local.jobs.transform import select

from .conftest import rows, wait_for


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", ["a", "b", "c", "d"]),
        ("$[1:]", ["b", "c", "d"]),
        ("$[0]", ["a"]),
        ("$[0,-1]", ["a", "d"]),
        ("$[0,2:]", ["a", "c", "d"]),
        ("$[:-1]", ["a", "b", "c"]),
        ("$[1:3]", ["b", "c"]),
    ],
)
def test_csv_filters_select_as_documented(path: str, expected: list[str]) -> None:
    assert select(path, ["a", "b", "c", "d"]) == expected


def test_an_unsupported_filter_is_refused() -> None:
    with pytest.raises(JobError, match="unsupported filter"):
        select("$.features", ["a"])
    with pytest.raises(JobError, match="out of range"):
        select("$[7]", ["a"])


def _transform(aws: LocalAws, model: str, input_uri: str, output_uri: str) -> dict:
    sagemaker = aws.client("sagemaker")
    name = f"transform-{uuid.uuid4().hex[:8]}"
    sagemaker.create_transform_job(
        TransformJobName=name,
        ModelName=model,
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": output_uri, "Accept": "text/csv", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    )
    return wait_for(
        lambda: sagemaker.describe_transform_job(TransformJobName=name),
        "TransformJobStatus",
        {"Completed", "Failed"},
    )


def test_transform_joins_one_prediction_per_input_row(aws: LocalAws, bucket: str, put, model) -> None:
    prefix = f"score-{uuid.uuid4().hex[:6]}"
    data = rows(300, seed=31)
    # The reference score file: order_id first, then the features (no label).
    lines = [f"order-{i}," + ",".join(f"{v:.6g}" for v in row[1:]) for i, row in enumerate(data)]
    put(f"{prefix}/in/part-00000.csv", "\n".join(lines[:200]) + "\n")
    put(f"{prefix}/in/sub/part-00001.csv", "\n".join(lines[200:]) + "\n")
    job = _transform(aws, model(), f"s3://{bucket}/{prefix}/in/", f"s3://{bucket}/{prefix}/out")
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")

    s3 = aws.client("s3")
    first = s3.get_object(Bucket=bucket, Key=f"{prefix}/out/part-00000.csv.out")["Body"].read().decode()
    second = s3.get_object(Bucket=bucket, Key=f"{prefix}/out/sub/part-00001.csv.out")["Body"].read().decode()
    output = first.splitlines() + second.splitlines()
    assert len(output) == 300
    correct = 0
    for i, (line, row) in enumerate(zip(output, data, strict=True)):
        order_id, probability = line.split(",")
        assert order_id == f"order-{i}"
        assert 0.0 <= float(probability) <= 1.0
        correct += (float(probability) > 0.5) == (row[0] == 1.0)
    assert correct / 300 > 0.8


def test_a_model_of_an_own_image_fails_the_job(aws: LocalAws, bucket: str, put, model) -> None:
    put("own-image/in/a.csv", "x,1,2,3,4\n")
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:2"
    job = _transform(aws, model(image=image), f"s3://{bucket}/own-image/in/", f"s3://{bucket}/own-image/out")
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"].startswith(f"cannot run this image locally: {image}")
