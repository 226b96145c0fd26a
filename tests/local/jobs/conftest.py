"""Fixtures for the job engines: a bucket, a job role limited to it, synthetic XGBoost data."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from ml_constructs.local import LocalAws

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


@pytest.fixture(scope="session")
def bucket(aws: LocalAws) -> str:
    name = f"jobs-{uuid.uuid4().hex[:8]}"
    aws.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def role(aws: LocalAws, bucket: str) -> str:
    """A job role that may read and write its bucket only."""
    iam = aws.client("iam")
    name = f"job-role-{uuid.uuid4().hex[:6]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["sagemaker.amazonaws.com", "glue.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="data", PolicyDocument=json.dumps(policy))
    return arn


def rows(count: int, *, seed: int, shuffle_labels: bool = False) -> list[list[float]]:
    """label, then 4 features; the label depends on features 0 and 1 (plus noise)."""
    rng = random.Random(seed)
    data = []
    for _ in range(count):
        x = [rng.random() for _ in range(4)]
        label = 1.0 if x[0] + 0.5 * x[1] + rng.gauss(0, 0.15) > 0.75 else 0.0
        data.append([label, *x])
    if shuffle_labels:
        labels = [r[0] for r in data]
        rng.shuffle(labels)
        data = [[label, *r[1:]] for label, r in zip(labels, data, strict=True)]
    return data


def csv_text(data: list[list[float]]) -> str:
    return "".join(",".join(f"{v:.6g}" for v in row) + "\n" for row in data)


@pytest.fixture
def put(aws: LocalAws, bucket: str) -> Callable[[str, str | bytes], str]:
    s3 = aws.client("s3")

    def upload(key: str, body: str | bytes) -> str:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        return f"s3://{bucket}/{key}"

    return upload


def wait_for(
    describe: Callable[[], dict[str, Any]], field: str, done: set[str], timeout: float = 120
) -> dict[str, Any]:
    """Poll ``describe()`` until ``field`` is in ``done`` (as Step Functions' .sync does)."""
    deadline = time.monotonic() + timeout
    while True:
        result = describe()
        if result.get(field) in done:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{field} still {result.get(field)} after {timeout} s: {result}")
        time.sleep(0.2)


def training_request(name: str, role: str, bucket: str, prefix: str, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": role,
        "HyperParameters": {
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "num_round": "30",
            "max_depth": "3",
        },
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{bucket}/{prefix}/{channel}/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "text/csv",
            }
            for channel in ("train", "validation")
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/{prefix}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }
    request.update(overrides)
    return request


@pytest.fixture(scope="session")
def trained_model(aws: LocalAws, bucket: str, role: str) -> str:
    """A model trained on :func:`rows` by a real training job: its model.tar.gz URI."""
    s3 = aws.client("s3")
    prefix = f"model-{uuid.uuid4().hex[:6]}"
    s3.put_object(Bucket=bucket, Key=f"{prefix}/train/part-0.csv", Body=csv_text(rows(2000, seed=21)))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/validation/part-0.csv", Body=csv_text(rows(400, seed=22)))
    sagemaker = aws.client("sagemaker")
    name = f"job-{uuid.uuid4().hex[:8]}"
    sagemaker.create_training_job(**training_request(name, role, bucket, prefix))
    job = wait_for(
        lambda: sagemaker.describe_training_job(TrainingJobName=name),
        "TrainingJobStatus",
        {"Completed", "Failed"},
    )
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    return job["ModelArtifacts"]["S3ModelArtifacts"]


@pytest.fixture
def model(aws: LocalAws, role: str, trained_model: str) -> Callable[..., str]:
    """``model(image=IMAGE, data=trained_model)``: CreateModel; returns its name."""

    def create(*, image: str = IMAGE, data: str | None = None) -> str:
        name = f"model-{uuid.uuid4().hex[:8]}"
        aws.client("sagemaker").create_model(
            ModelName=name,
            ExecutionRoleArn=role,
            PrimaryContainer={"Image": image, "ModelDataUrl": data or trained_model},
        )
        return name

    return create
