"""Lambda handler: is a newly trained model better than the one in production?

The workflow calls it after training with the candidate's objective metric; it finds the
production model, the newest *approved* version of the model package group (SageMaker lists
them newest first), reads the metric recorded with it (customer metadata ``ObjectiveMetric`` /
``ObjectiveValue``, written at registration) and compares.

Event::

    {"group": "<model package group>", "metric_name": "validation:auc",
     "direction": "Maximize" | "Minimize", "margin": 0.01,
     "candidate": {"MetricName": ..., "Value": ...}      # a tuning job's best objective, or
     "training_job_name": "<job>"}                       # read FinalMetricDataList from it

Answer: ``{"passed", "reason", "metric", "candidate", "production", "improvement"}``. The
candidate passes when it beats production by more than ``margin`` (in the metric's units, in
the objective's direction), when there is no approved version yet, or when the approved version
records no value of this metric (it cannot be compared; the reason says so). A candidate
without a finite value of the metric never passes. Bad events raise ``ValueError`` (the
execution fails with the message) rather than guessing.
"""

from __future__ import annotations

import math
from typing import Any

METADATA_METRIC = "ObjectiveMetric"
METADATA_VALUE = "ObjectiveValue"
DIRECTIONS = ("Maximize", "Minimize")


def handler(event: dict[str, Any], context: Any = None, sagemaker: Any = None) -> dict[str, Any]:
    import boto3

    client = sagemaker or boto3.client("sagemaker")
    group = _required(event, "group")
    metric = _required(event, "metric_name")
    direction = _required(event, "direction")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction={direction!r}: allowed: {', '.join(DIRECTIONS)}")
    margin = _number(event.get("margin", 0.0), "margin")
    if margin is None or margin < 0:
        raise ValueError(f"margin={event.get('margin')!r}: allowed: a finite number >= 0")
    if "candidate" in event:
        candidate = _candidate_value(event["candidate"], metric)
    elif "training_job_name" in event:
        job = client.describe_training_job(TrainingJobName=_required(event, "training_job_name"))
        candidate = _candidate_value(job.get("FinalMetricDataList") or [], metric)
    else:
        raise ValueError("the event needs 'candidate' (a metric) or 'training_job_name'")
    production = production_model(client, group)
    return compare(candidate, production, metric=metric, direction=direction, margin=margin)


def production_model(client: Any, group: str) -> dict[str, Any] | None:
    """The newest approved version of ``group`` (its ARN and recorded metric), or None."""
    listed = client.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )
    summaries = listed.get("ModelPackageSummaryList") or []
    if not summaries:
        return None
    arn = summaries[0]["ModelPackageArn"]
    described = client.describe_model_package(ModelPackageName=arn)
    metadata = described.get("CustomerMetadataProperties") or {}
    return {
        "model_package_arn": arn,
        "metric": metadata.get(METADATA_METRIC),
        "value": _number(metadata.get(METADATA_VALUE), METADATA_VALUE, strict=False),
    }


def compare(
    candidate: float | None,
    production: dict[str, Any] | None,
    *,
    metric: str,
    direction: str,
    margin: float,
) -> dict[str, Any]:
    """The gate's decision and its reason (pure: no AWS calls)."""
    answer: dict[str, Any] = {
        "metric": metric,
        "candidate": candidate,
        "production": production,
        "improvement": None,
    }
    if candidate is None:
        return {**answer, "passed": False, "reason": f"The new model has no finite {metric}: not deployed"}
    if production is None:
        return {
            **answer,
            "passed": True,
            "reason": f"No approved model yet: the new model ({metric} {candidate:g}) goes first",
        }
    arn = production["model_package_arn"]
    value = production.get("value")
    if value is None or production.get("metric") not in (None, metric):
        recorded = production.get("metric") or "nothing"
        return {
            **answer,
            "passed": True,
            "reason": f"The production model {arn} records {recorded}, no {metric} value: it cannot be "
            f"compared, the new model ({metric} {candidate:g}) replaces it",
        }
    improvement = candidate - value if direction == "Maximize" else value - candidate
    passed = improvement > margin
    verdict = "better" if passed else "not better"
    return {
        **answer,
        "improvement": improvement,
        "passed": passed,
        "reason": f"{metric} {candidate:g} vs {value:g} in production ({arn}): {verdict} by more than "
        f"the margin {margin:g} ({direction.lower()}, improvement {improvement:+g})",
    }


def _candidate_value(candidate: Any, metric: str) -> float | None:
    """The value of ``metric`` in a ``{"MetricName", "Value"}`` object or a list of them."""
    items = candidate if isinstance(candidate, list) else [candidate]
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(
                f"candidate={candidate!r}: allowed: {{'MetricName': ..., 'Value': ...}} or a list of them"
            )
        if item.get("MetricName") == metric:
            return _number(item.get("Value"), "candidate Value", strict=False)
    return None


def _number(value: Any, name: str, strict: bool = True) -> float | None:
    """A finite float, or None (strict: raise) for anything else."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        if strict:
            raise ValueError(f"{name}={value!r}: allowed: a number") from None
        return None
    if not math.isfinite(number):
        if strict:
            raise ValueError(f"{name}={value!r}: allowed: a finite number")
        return None
    return number


def _required(event: dict[str, Any], key: str) -> str:
    value = event.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key}={value!r}: allowed: a non-empty string")
    return value
