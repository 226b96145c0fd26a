"""The secure S3 bucket every construct stores data in."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Annotations, Duration, RemovalPolicy, Token
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .nag import acknowledge


def secure_bucket(
    scope: Construct,
    id: str,
    *,
    encryption_key: kms.IKey,
    access_logs_bucket: s3.IBucket,
    access_logs_prefix: str,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    lifecycle_rules: Sequence[s3.LifecycleRule] = (),
    event_bridge: bool = True,
) -> s3.Bucket:
    """A KMS-encrypted (bucket key on), versioned, SSL-only, private bucket with access logs.

    ``event_bridge`` turns on S3 -> EventBridge notifications natively on the ``CfnBucket``
    (CDK's ``event_bridge_enabled`` would add a ``Custom::S3BucketNotifications`` resource).
    """
    bucket = s3.Bucket(
        scope,
        id,
        encryption=s3.BucketEncryption.KMS,
        encryption_key=encryption_key,
        bucket_key_enabled=True,
        versioned=True,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        server_access_logs_bucket=access_logs_bucket,
        server_access_logs_prefix=access_logs_prefix,
        lifecycle_rules=list(lifecycle_rules),
        removal_policy=removal_policy,
    )
    if event_bridge:
        cfn = bucket.node.default_child
        assert isinstance(cfn, s3.CfnBucket)
        cfn.add_property_override(
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
        )
        bucket._ml_constructs_event_bridge = True  # type: ignore[attr-defined]
    return bucket


def warn_unless_event_bridge(scope: Construct, bucket: s3.IBucket, purpose: str) -> None:
    """A synth warning on ``scope`` when ``bucket`` may not send S3 events to EventBridge.

    Buckets from :func:`secure_bucket` (every bucket a ``DataLake`` creates) send them; a bucket
    CDK's ``event_bridge_enabled`` configured does too. An imported bucket, or one defined here
    without them, gets the warning: on AWS the rule would never fire.
    """
    if getattr(bucket, "_ml_constructs_event_bridge", False):
        return
    if bucket.node.try_find_child("Notifications") is not None:  # CDK's event_bridge_enabled=True
        return
    imported = not isinstance(bucket.node.default_child, s3.CfnBucket)
    name = bucket.bucket_name if not Token.is_unresolved(bucket.bucket_name) else bucket.node.path
    Annotations.of(scope).add_warning_v2(
        "ml-constructs:bucket-without-eventbridge",
        f"{purpose} relies on S3 -> EventBridge notifications of the bucket {name}, "
        + ("which is imported: CDK cannot see or set them. " if imported else "which does not enable them. ")
        + "Turn them on (S3 console: Properties > Amazon EventBridge > On; or aws s3api "
        f"put-bucket-notification-configuration --bucket {name} --notification-configuration "
        "'{\"EventBridgeConfiguration\": {}}', which replaces the bucket's other notification settings), "
        "or the rule never fires.",
    )


def access_logs_bucket(
    scope: Construct, id: str, *, removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
) -> s3.Bucket:
    """The bucket S3 server access logs go to.

    S3 server access logging only delivers to buckets encrypted with SSE-S3, so this one bucket
    is not KMS-encrypted; it holds no data, only access records, and expires them after a year.
    """
    bucket = s3.Bucket(
        scope,
        id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        versioned=True,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="expire-access-logs",
                expiration=Duration.days(365),
                noncurrent_version_expiration=Duration.days(30),
            )
        ],
        removal_policy=removal_policy,
    )
    acknowledge(
        bucket,
        "AwsSolutions-S1",
        "This is the server access log bucket itself; logging its own accesses into itself "
        "would create a loop of log records.",
    )
    return bucket
