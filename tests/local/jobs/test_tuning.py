"""Hyperparameter tuning runs a real Bayesian search whose trials are real training jobs."""

from __future__ import annotations

import re
import uuid

from ml_constructs.local import LocalAws

from .conftest import IMAGE, csv_text, rows, wait_for


def test_tuning_runs_every_trial_and_picks_the_best(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"tune-{uuid.uuid4().hex[:6]}"
    put(f"{prefix}/train/part-00000.csv", csv_text(rows(1500, seed=11)))
    put(f"{prefix}/validation/part-00000.csv", csv_text(rows(500, seed=12)))
    name = f"tune-{uuid.uuid4().hex[:8]}"
    channels = [
        {
            "ChannelName": channel,
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}/{channel}/"}
            },
            "ContentType": "text/csv",
        }
        for channel in ("train", "validation")
    ]
    sagemaker = aws.client("sagemaker")
    sagemaker.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.3", "ScalingType": "Logarithmic"},
                    {
                        "Name": "subsample",
                        "MinValue": "0.5",
                        "MaxValue": "0.99",
                        "ScalingType": "ReverseLogarithmic",
                    },
                ],
                "IntegerParameterRanges": [
                    {"Name": "max_depth", "MinValue": "2", "MaxValue": "6", "ScalingType": "Auto"}
                ],
                "CategoricalParameterRanges": [{"Name": "grow_policy", "Values": ["depthwise", "lossguide"]}],
            },
            "TrainingJobEarlyStoppingType": "Off",
        },
        TrainingJobDefinition={
            "StaticHyperParameters": {"objective": "binary:logistic", "num_round": "20"},
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": role,
            "InputDataConfig": channels,
            "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/{prefix}/models"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "CheckpointConfig": {"S3Uri": f"s3://{bucket}/{prefix}/checkpoints"},
        },
    )
    assert (
        sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
            "HyperParameterTuningJobStatus"
        ]
        == "InProgress"
    )
    tuning = wait_for(
        lambda: sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name),
        "HyperParameterTuningJobStatus",
        {"Completed", "Failed", "Stopped"},
    )
    assert tuning["HyperParameterTuningJobStatus"] == "Completed", tuning.get("FailureReason")
    assert tuning["TrainingJobStatusCounters"]["Completed"] == 4
    assert tuning["TrainingJobStatusCounters"]["InProgress"] == 0
    assert tuning["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}

    summaries = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "TrainingJobSummaries"
    ]
    assert len(summaries) == 4
    for summary in summaries:
        assert re.fullmatch(rf"{name}-00[1-4]-[0-9a-f]{{8}}", summary["TrainingJobName"])
        tuned = summary["TunedHyperParameters"]
        assert set(tuned) == {"eta", "subsample", "max_depth", "grow_policy"}
        assert 0.01 <= float(tuned["eta"]) <= 0.3 and 0.5 <= float(tuned["subsample"]) <= 0.99
        assert 2 <= int(tuned["max_depth"]) <= 6
    values = [s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in summaries]
    best = tuning["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"] == {
        "Type": "Maximize",
        "MetricName": "validation:auc",
        "Value": max(values),
    }
    assert max(values) > 0.8

    trial = sagemaker.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert trial["TuningJobArn"] == tuning["HyperParameterTuningJobArn"]
    assert trial["HyperParameters"]["num_round"] == "20"
    assert trial["HyperParameters"]["_tuning_objective_metric"] == "validation:auc"
    assert trial["HyperParameters"]["eta"] == best["TunedHyperParameters"]["eta"]
    assert (
        trial["CheckpointConfig"]["S3Uri"] == f"s3://{bucket}/{prefix}/checkpoints/{best['TrainingJobName']}"
    )
    assert trial["ModelArtifacts"]["S3ModelArtifacts"].endswith(
        f"/{best['TrainingJobName']}/output/model.tar.gz"
    )
    by_value = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        SortBy="FinalObjectiveMetricValue",
        SortOrder="Descending",
        MaxResults=1,
    )
    assert by_value["TrainingJobSummaries"][0]["TrainingJobName"] == best["TrainingJobName"]


def test_tuning_fails_when_every_trial_fails(aws: LocalAws, bucket: str, role: str) -> None:
    name = f"tune-{uuid.uuid4().hex[:8]}"
    sagemaker = aws.client("sagemaker")
    sagemaker.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:logloss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "4"}]
            },
        },
        TrainingJobDefinition={
            "StaticHyperParameters": {"num_round": "5"},
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": role,
            "InputDataConfig": [
                {
                    "ChannelName": "train",
                    "DataSource": {
                        "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/nothing-here/"}
                    },
                }
            ],
            "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/models"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    )
    tuning = wait_for(
        lambda: sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name),
        "HyperParameterTuningJobStatus",
        {"Completed", "Failed"},
    )
    assert tuning["HyperParameterTuningJobStatus"] == "Failed"
    assert tuning["FailureReason"].startswith("All training jobs failed.")
    assert "No S3 objects found" in tuning["FailureReason"]
    assert "BestTrainingJob" not in tuning
    assert tuning["TrainingJobStatusCounters"]["NonRetryableError"] == 2
