"""CloudWatch alarms the library's way: one evaluation period, missing data is not a breach."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


def alarm_at_least(
    scope: Construct,
    id: str,
    metric: cloudwatch.IMetric,
    *,
    description: str,
    threshold: float = 1,
    topic: sns.ITopic | None = None,
    comparison: cloudwatch.ComparisonOperator = AT_LEAST,
    evaluation_periods: int = 1,
) -> cloudwatch.Alarm:
    """An alarm when ``metric`` reaches ``threshold`` (by default: at least once), notifying
    ``topic`` when given. No data (nothing happened) is not a breach."""
    alarm = cloudwatch.Alarm(
        scope,
        id,
        metric=metric,
        alarm_description=description,
        threshold=threshold,
        evaluation_periods=evaluation_periods,
        comparison_operator=comparison,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    if topic is not None:
        alarm.add_alarm_action(cw_actions.SnsAction(topic))
    return alarm
