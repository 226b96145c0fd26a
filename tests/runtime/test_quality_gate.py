"""The quality gate's decision (runtime/quality_gate.py), without CDK or AWS."""

from __future__ import annotations

import math

import pytest

from ml_constructs.runtime import quality_gate as gate


class Registry:
    """A SageMaker client answering ListModelPackages / DescribeModelPackage / DescribeTrainingJob
    from a list of (arn, status, metadata), newest last."""

    def __init__(self, versions=(), final_metrics=None):
        self.versions = list(versions)
        self.final_metrics = final_metrics or []
        self.listed = []

    def list_model_packages(self, **request):
        self.listed.append(request)
        approved = [v for v in self.versions if v[1] == request["ModelApprovalStatus"]]
        newest = list(reversed(approved))[: request["MaxResults"]]
        return {"ModelPackageSummaryList": [{"ModelPackageArn": arn} for arn, _, _ in newest]}

    def describe_model_package(self, ModelPackageName):  # noqa: N803 - boto3's name
        for arn, status, metadata in self.versions:
            if arn == ModelPackageName:
                return {
                    "ModelPackageArn": arn,
                    "ModelApprovalStatus": status,
                    "CustomerMetadataProperties": metadata,
                }
        raise AssertionError(ModelPackageName)

    def describe_training_job(self, TrainingJobName):  # noqa: N803
        return {"TrainingJobName": TrainingJobName, "FinalMetricDataList": self.final_metrics}


def event(value, **extra):
    return {
        "group": "models",
        "metric_name": "validation:auc",
        "direction": "Maximize",
        "margin": 0.01,
        "candidate": {"MetricName": "validation:auc", "Value": value},
        **extra,
    }


AUC = {"ObjectiveMetric": "validation:auc"}


def test_first_model_passes_and_the_newest_approved_version_is_production():
    assert gate.handler(event(0.7), sagemaker=Registry())["passed"] is True
    registry = Registry(
        [
            ("arn:1", "Approved", {**AUC, "ObjectiveValue": "0.9"}),
            ("arn:2", "Rejected", {**AUC, "ObjectiveValue": "0.5"}),
            ("arn:3", "Approved", {**AUC, "ObjectiveValue": "0.80"}),
            ("arn:4", "PendingManualApproval", {**AUC, "ObjectiveValue": "0.99"}),
        ]
    )
    answer = gate.handler(event(0.82), sagemaker=registry)
    assert answer["production"]["model_package_arn"] == "arn:3"
    assert answer["passed"] is True and math.isclose(answer["improvement"], 0.02)
    assert registry.listed[0]["SortBy"] == "CreationTime" and registry.listed[0]["SortOrder"] == "Descending"
    assert "better by more than the margin 0.01" in answer["reason"]


@pytest.mark.parametrize(
    ("candidate", "production", "direction", "passed"),
    [
        (0.80, 0.80, "Maximize", False),  # equal is not better
        (0.805, 0.80, "Maximize", False),  # within the margin
        (0.79, 0.80, "Maximize", False),
        (0.85, 0.80, "Maximize", True),
        (0.30, 0.35, "Minimize", True),  # a loss: lower is better
        (0.345, 0.35, "Minimize", False),
        (0.40, 0.35, "Minimize", False),
    ],
)
def test_the_candidate_must_beat_production_by_more_than_the_margin(candidate, production, direction, passed):
    registry = Registry([("arn:1", "Approved", {**AUC, "ObjectiveValue": str(production)})])
    answer = gate.handler(event(candidate, direction=direction), sagemaker=registry)
    assert answer["passed"] is passed
    assert ("not better" in answer["reason"]) is (not passed)


def test_a_candidate_without_the_metric_never_passes():
    for candidate in (
        {"MetricName": "train:auc", "Value": 0.9},
        {"MetricName": "validation:auc", "Value": "NaN"},
    ):
        answer = gate.handler({**event(0), "candidate": candidate}, sagemaker=Registry())
        assert answer["passed"] is False and "no finite validation:auc" in answer["reason"]


def test_a_production_model_without_a_recorded_value_cannot_be_compared():
    for metadata in (
        {},
        {"ObjectiveMetric": "validation:rmse", "ObjectiveValue": "0.2"},
        {**AUC, "ObjectiveValue": "x"},
    ):
        answer = gate.handler(event(0.6), sagemaker=Registry([("arn:1", "Approved", metadata)]))
        assert answer["passed"] is True and "cannot be compared" in answer["reason"]


def test_a_single_training_job_is_read_for_its_final_metrics():
    registry = Registry(
        [("arn:1", "Approved", {**AUC, "ObjectiveValue": "0.7"})],
        final_metrics=[
            {"MetricName": "train:auc", "Value": 0.99},
            {"MetricName": "validation:auc", "Value": 0.75},
        ],
    )
    request = {k: v for k, v in event(0).items() if k != "candidate"} | {"training_job_name": "job-1"}
    answer = gate.handler(request, sagemaker=registry)
    assert answer["candidate"] == 0.75 and answer["passed"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"direction": "Up"}, "direction='Up': allowed: Maximize, Minimize"),
        ({"margin": -1}, "margin=-1: allowed: a finite number >= 0"),
        ({"margin": "inf"}, "margin='inf'"),
        ({"group": ""}, "group='': allowed: a non-empty string"),
        ({"candidate": [1, 2]}, "candidate=\\[1, 2\\]: allowed"),
    ],
)
def test_bad_events_fail_loudly(change, message):
    with pytest.raises(ValueError, match=message):
        gate.handler({**event(0.5), **change}, sagemaker=Registry())
    with pytest.raises(ValueError, match="'candidate' \\(a metric\\) or 'training_job_name'"):
        gate.handler({k: v for k, v in event(0.5).items() if k != "candidate"}, sagemaker=Registry())
