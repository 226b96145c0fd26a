"""Explicit, encrypted log groups (never CDK's ``log_retention`` custom resource)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from .encryption import allow_logs

DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS


def secure_log_group(
    scope: Construct,
    id: str,
    *,
    encryption_key: kms.IKey,
    retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
    log_group_name: str | None = None,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
) -> logs.LogGroup:
    """A KMS-encrypted log group with a retention period.

    ``log_group_name`` is needed where the service picks the name itself (Lambda writes to
    ``/aws/lambda/<function name>``; Step Functions and Firehose take any name).
    """
    allow_logs(encryption_key)
    group = logs.LogGroup(
        scope,
        id,
        log_group_name=log_group_name,
        encryption_key=encryption_key,
        retention=retention,
        removal_policy=removal_policy,
    )
    return group
