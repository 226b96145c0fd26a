"""SageMaker training jobs of the built-in XGBoost algorithm train for real, as the job's role."""

from __future__ import annotations

import io
import json
import tarfile
import uuid

import pytest

from ml_constructs.local import LocalAws

from .conftest import csv_text, rows, training_request, wait_for

DONE = {"Completed", "Failed", "Stopped"}


def _data(put, prefix: str, *, shuffle: bool = False) -> None:
    put(f"{prefix}/train/part-00000.csv", csv_text(rows(3000, seed=1, shuffle_labels=shuffle)))
    put(f"{prefix}/train/_SUCCESS", b"")  # Spark's marker: skipped as the container does
    put(f"{prefix}/validation/part-00000.csv", csv_text(rows(800, seed=2, shuffle_labels=shuffle)))


def _train(aws: LocalAws, request: dict) -> dict:
    sagemaker = aws.client("sagemaker")
    sagemaker.create_training_job(**request)
    name = request["TrainingJobName"]
    return wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=name), "TrainingJobStatus", DONE)


def _metrics(job: dict) -> dict[str, float]:
    return {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}


def test_learns_the_signal_and_writes_the_model(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"train-{uuid.uuid4().hex[:6]}"
    _data(put, prefix)
    name = f"job-{uuid.uuid4().hex[:8]}"
    request = training_request(
        name,
        role,
        bucket,
        prefix,
        HyperParameters={
            "objective": "binary:logistic",
            "eval_metric": "auc,logloss",
            "num_round": "40",
            "tree_method": "gpu_hist",
        },
        CheckpointConfig={"S3Uri": f"s3://{bucket}/{prefix}/checkpoints/"},
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    sagemaker = aws.client("sagemaker")
    sagemaker.create_training_job(**request)
    assert sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "InProgress"
    job = wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=name), "TrainingJobStatus", DONE)

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    metrics = _metrics(job)
    assert metrics["validation:auc"] > 0.8
    assert metrics["train:auc"] >= metrics["validation:auc"] - 0.05
    assert 0 < metrics["validation:logloss"] < 0.6
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert job["TrainingStartTime"] <= job["TrainingEndTime"]
    assert job["HyperParameters"]["tree_method"] == "gpu_hist"  # the request is kept as sent

    uri = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert uri == f"s3://{bucket}/{prefix}/models/{name}/output/model.tar.gz"
    s3 = aws.client("s3")
    body = s3.get_object(Bucket=bucket, Key=uri.split("/", 3)[3])["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        assert archive.getnames() == ["xgboost-model"]
    checkpoints = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/checkpoints/")["Contents"]
    assert f"{prefix}/checkpoints/xgboost-checkpoint.40" in {c["Key"] for c in checkpoints}
    assert sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"] == [{"Key": "team", "Value": "ml"}]

    logs = aws.client("logs")
    streams = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=f"{name}/algo-1-"
    )
    stream = streams["logStreams"][0]["logStreamName"]
    text = "\n".join(
        e["message"]
        for e in logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream)[
            "events"
        ]
    )
    assert "GPU requested: training on" in text
    assert "validation-auc" in text


def test_shuffled_labels_leave_nothing_to_learn(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"noise-{uuid.uuid4().hex[:6]}"
    _data(put, prefix, shuffle=True)
    job = _train(aws, training_request(f"job-{uuid.uuid4().hex[:8]}", role, bucket, prefix))
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert 0.4 < _metrics(job)["validation:auc"] < 0.6


def test_an_empty_csv_part_fails_as_in_the_container(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"empty-{uuid.uuid4().hex[:6]}"
    _data(put, prefix)
    put(f"{prefix}/train/part-00001.csv", b"")
    job = _train(aws, training_request(f"job-{uuid.uuid4().hex[:8]}", role, bucket, prefix))
    assert job["TrainingJobStatus"] == "Failed"
    assert "Could not determine delimiter" in job["FailureReason"]
    assert job["SecondaryStatusTransitions"][-1]["Status"] == "Failed"
    assert "ModelArtifacts" not in job


@pytest.mark.parametrize(
    ("hyperparameters", "reason"),
    [
        ({"objective": "binary:logistic"}, "Missing required hyperparameter: num_round"),
        ({"num_round": "ten"}, "Hyperparameter num_round: value 'ten' is not an integer"),
        ({"num_round": "5", "colour": "blue"}, "Extraneous hyperparameter found: colour"),
    ],
)
def test_hyperparameters_are_checked_as_the_container_does(
    aws: LocalAws, bucket: str, role: str, put, hyperparameters: dict, reason: str
) -> None:
    prefix = f"hp-{uuid.uuid4().hex[:6]}"
    job = _train(
        aws,
        training_request(
            f"job-{uuid.uuid4().hex[:8]}", role, bucket, prefix, HyperParameters=hyperparameters
        ),
    )
    assert job["TrainingJobStatus"] == "Failed"
    assert reason in job["FailureReason"]


def test_an_own_image_fails_with_the_reason(aws: LocalAws, bucket: str, role: str) -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-trainer:1"
    job = _train(
        aws,
        training_request(
            f"job-{uuid.uuid4().hex[:8]}",
            role,
            bucket,
            "own",
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        ),
    )
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"] == (
        f"cannot run this image locally: {image} (the emulator runs the built-in XGBoost algorithm only; "
        "see docs/local_deploy.md)"
    )


def test_the_job_reads_as_its_role(aws: LocalAws, role: str, put) -> None:
    """A bucket the role has no grant on: the download is refused and the job says so."""
    other = f"other-{uuid.uuid4().hex[:8]}"
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=other)
    s3.put_object(Bucket=other, Key="d/train/a.csv", Body=csv_text(rows(50, seed=3)))
    job = _train(aws, training_request(f"job-{uuid.uuid4().hex[:8]}", role, other, "d"))
    assert job["TrainingJobStatus"] == "Failed"
    assert "AccessDenied" in job["FailureReason"]


def test_stop_and_max_runtime_end_the_job_as_stopped(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"stop-{uuid.uuid4().hex[:6]}"
    _data(put, prefix)
    sagemaker = aws.client("sagemaker")
    long_run = {"objective": "binary:logistic", "num_round": "100000", "max_depth": "6"}

    name = f"job-{uuid.uuid4().hex[:8]}"
    sagemaker.create_training_job(**training_request(name, role, bucket, prefix, HyperParameters=long_run))
    wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=name), "SecondaryStatus", {"Training"})
    sagemaker.stop_training_job(TrainingJobName=name)
    job = wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=name), "TrainingJobStatus", DONE)
    assert job["TrainingJobStatus"] == "Stopped" and job["SecondaryStatus"] == "Stopped"
    assert "ModelArtifacts" not in job  # save_model_on_termination is false by default

    name = f"job-{uuid.uuid4().hex[:8]}"
    request = training_request(
        name,
        role,
        bucket,
        prefix,
        HyperParameters={**long_run, "save_model_on_termination": "true"},
        StoppingCondition={"MaxRuntimeInSeconds": 1},
    )
    job = _train(aws, request)
    assert job["TrainingJobStatus"] == "Stopped" and job["SecondaryStatus"] == "MaxRuntimeExceeded"
    assert job["ModelArtifacts"]["S3ModelArtifacts"].endswith(f"{name}/output/model.tar.gz")


def test_libsvm_channels_listed_by_a_manifest(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"libsvm-{uuid.uuid4().hex[:6]}"

    def libsvm(data: list[list[float]]) -> str:
        return "".join(
            f"{int(r[0])} " + " ".join(f"{i + 1}:{v:.5f}" for i, v in enumerate(r[1:])) + "\n" for r in data
        )

    put(f"{prefix}/data/train-a.libsvm", libsvm(rows(1000, seed=7)))
    put(f"{prefix}/data/train-b.libsvm", libsvm(rows(1000, seed=8)))
    put(f"{prefix}/data/ignored.libsvm", "this file is not in the manifest\n")
    put(f"{prefix}/data/validation.libsvm", libsvm(rows(500, seed=9)))
    manifest = put(
        f"{prefix}/train.manifest",
        json.dumps([{"prefix": f"s3://{bucket}/{prefix}/data/"}, "train-a.libsvm", "train-b.libsvm"]),
    )
    channels = [
        {
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "ManifestFile", "S3Uri": manifest}},
        },
        {
            "ChannelName": "validation",
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}/data/validation"}
            },
            "ContentType": "text/libsvm",
        },
    ]  # no ContentType: libsvm, the container's default
    job = _train(
        aws, training_request(f"job-{uuid.uuid4().hex[:8]}", role, bucket, prefix, InputDataConfig=channels)
    )
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert _metrics(job)["validation:auc"] > 0.8
