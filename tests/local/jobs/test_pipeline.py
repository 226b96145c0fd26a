"""The reference pipeline's compute, end to end on the emulator with plain boto3: the feature
script as a Glue job, XGBoost training on its CSVs, batch transform of its score set."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import ml_constructs.runtime.spark.features as features
from ml_constructs.local import LocalAws

from .conftest import IMAGE, wait_for

CUSTOMERS = 80


def _sales(count: int, seed: int) -> str:
    """Orders whose repeat label depends on the customer: odd customers buy often (90% of the
    orders, within 150 days), even ones rarely (over 600 days)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    lines = []
    for index in range(count):
        customer = 2 * rng.randrange(CUSTOMERS // 2) + (1 if rng.random() < 0.9 else 0)
        row = {
            "order_id": f"o{index}",
            "customer_id": f"c{customer}",
            "street_number": str(1 + customer % 40),
            "street_name": "Main Street",
            "zip_code": f"{98100 + customer % 7}",
            "amount": round(rng.uniform(1, 500), 2),
            "quantity": rng.randint(1, 5),
            "channel": rng.choice(["web", "store", "phone"]),
            "ordered_at": (start + timedelta(days=rng.uniform(0, 150 if customer % 2 else 600))).isoformat(),
        }
        lines.append(json.dumps(row))
    return "\n".join(lines) + "\n"


@pytest.mark.spark
def test_features_then_training_then_scoring(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"pipeline-{uuid.uuid4().hex[:6]}"
    lake = f"s3://{bucket}/{prefix}"
    put(f"{prefix}/processed/sales/part-0.jsonl", _sales(1500, seed=5))
    script = put(f"{prefix}/scripts/features.py", Path(features.__file__).read_bytes())
    glue = aws.client("glue")
    job_name = f"features-{uuid.uuid4().hex[:6]}"
    glue.create_job(
        Name=job_name,
        Role=role,
        Command={"Name": "glueetl", "ScriptLocation": script, "PythonVersion": "3"},
        GlueVersion="5.0",
        DefaultArguments={
            "--job-language": "python",
            "--job-bookmark-option": "job-bookmark-disable",
            "--sales_path": f"{lake}/processed/sales/",
            "--sales_format": "json",
            "--output_path": f"{lake}/curated/",
        },
    )
    run_id = glue.start_job_run(JobName=job_name)["JobRunId"]
    run = wait_for(
        lambda: glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"],
        "JobRunState",
        {"SUCCEEDED", "FAILED"},
        timeout=400,
    )
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")

    sagemaker = aws.client("sagemaker")
    name = f"train-{uuid.uuid4().hex[:8]}"
    channels = [
        {
            "ChannelName": channel,
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{lake}/curated/features/{channel}/"}
            },
            "ContentType": "text/csv",
        }
        for channel in ("train", "validation")
    ]
    sagemaker.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=role,
        HyperParameters={
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "num_round": "50",
            "tree_method": "gpu_hist",
        },
        InputDataConfig=channels,
        OutputDataConfig={"S3OutputPath": f"{lake}/models"},
        ResourceConfig={"InstanceType": "ml.g5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    job = wait_for(
        lambda: sagemaker.describe_training_job(TrainingJobName=name),
        "TrainingJobStatus",
        {"Completed", "Failed"},
    )
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    auc = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}["validation:auc"]
    assert auc > 0.8

    model = f"model-{uuid.uuid4().hex[:8]}"
    sagemaker.create_model(
        ModelName=model,
        ExecutionRoleArn=role,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]},
    )
    transform = f"score-{uuid.uuid4().hex[:8]}"
    sagemaker.create_transform_job(
        TransformJobName=transform,
        ModelName=model,
        TransformInput={
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"{lake}/curated/features/score/"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={
            "S3OutputPath": f"{lake}/predictions/",
            "Accept": "text/csv",
            "AssembleWith": "Line",
        },
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    )
    result = wait_for(
        lambda: sagemaker.describe_transform_job(TransformJobName=transform),
        "TransformJobStatus",
        {"Completed", "Failed"},
    )
    assert result["TransformJobStatus"] == "Completed", result.get("FailureReason")

    s3 = aws.client("s3")
    scored = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/predictions/")["Contents"]:
        scored += s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode().splitlines()
    inputs = []
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/curated/features/score/")["Contents"]:
        if not item["Key"].rsplit("/", 1)[-1].startswith("_"):
            inputs += s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode().splitlines()
    assert scored and len(scored) == len(inputs)
    assert {line.split(",")[0] for line in scored} == {line.split(",")[0] for line in inputs}
    assert all(0.0 <= float(line.split(",")[1]) <= 1.0 for line in scored)
