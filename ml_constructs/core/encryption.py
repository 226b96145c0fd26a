"""The customer-managed KMS key every construct encrypts with unless handed one."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


def secure_key(
    scope: Construct,
    id: str,
    *,
    description: str,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
) -> kms.Key:
    """A symmetric CMK with yearly rotation.

    The key policy is CDK's default (the account administers it through IAM); services get use
    of it through grants, and CloudWatch Logs through :func:`allow_logs`. A key that encrypted
    data is retained unless the caller explicitly destroys data.
    """
    return kms.Key(
        scope,
        id,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal_policy,
        pending_window=None,
    )


def allow_logs(key: kms.IKey) -> None:
    """Let CloudWatch Logs in this account and region use ``key`` for log groups.

    Scoped by the ``aws:logs:arn`` encryption context to this account's log groups, as the
    CloudWatch Logs documentation prescribes. Idempotent per key; a no-op for imported keys
    (their policy is not ours to change: grant CloudWatch Logs yourself).
    """
    if not isinstance(key, kms.Key) or key.node.try_find_child("AllowLogsMarker") is not None:
        return
    Construct(key, "AllowLogsMarker")
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogs",
            principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                    )
                }
            },
        )
    )
