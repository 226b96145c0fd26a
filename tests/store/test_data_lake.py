"""DataLake: zones, encryption, access logs, tiering, catalog, grants, bring-your-own."""

from __future__ import annotations

import pytest
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from ml_constructs import DataLake, RawTiering, Zone
from tests.conftest import synth_stack


@pytest.fixture(scope="module")
def default_lake() -> tuple[Template, DataLake]:
    def build(stack: Stack) -> DataLake:
        lake = DataLake(stack, "Lake")
        role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
        lake.grant_read(role, Zone.PROCESSED, "features/")
        lake.grant_write(role, Zone.CURATED)
        return lake

    return synth_stack(build)


def test_one_bucket_per_zone_plus_access_logs(default_lake):
    template, lake = default_lake
    template.resource_count_is("AWS::S3::Bucket", len(Zone) + 1)
    assert {lake.bucket(zone) for zone in Zone} == {
        lake.raw_bucket,
        lake.processed_bucket,
        lake.curated_bucket,
        lake.models_bucket,
    }


def test_zone_buckets_are_kms_encrypted_versioned_private_and_logged(default_lake):
    template, _ = default_lake
    buckets = template.find_resources(
        "AWS::S3::Bucket",
        {
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                            "BucketKeyEnabled": True,
                        }
                    ]
                }
            }
        },
    )
    assert len(buckets) == len(Zone)
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert "DestinationBucketName" in props["LoggingConfiguration"]
        assert props["NotificationConfiguration"] == {
            "EventBridgeConfiguration": {"EventBridgeEnabled": True}
        }
        assert bucket["DeletionPolicy"] == "Retain"


def test_every_bucket_denies_plain_http(default_lake):
    template, _ = default_lake
    policies = template.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == len(Zone) + 1
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_access_log_bucket_uses_sse_s3_and_a_bucket_policy_not_acls(default_lake):
    template, lake = default_lake
    logical = Stack.of(lake).get_logical_id(lake.access_logs_bucket.node.default_child)
    props = template.to_json()["Resources"][Stack.of(lake).resolve(logical)]["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert "AccessControl" not in props
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}
                        )
                    ]
                )
            }
        },
    )


def test_key_rotates_and_is_retained(default_lake):
    template, _ = default_lake
    template.has_resource(
        "AWS::KMS::Key", {"Properties": {"EnableKeyRotation": True}, "DeletionPolicy": "Retain"}
    )


def test_raw_zone_tiering_defaults(default_lake):
    template, _ = default_lake
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Id": "raw-tiering",
                                "Transitions": [
                                    {"StorageClass": "STANDARD_IA", "TransitionInDays": 30},
                                    {"StorageClass": "GLACIER_IR", "TransitionInDays": 90},
                                ],
                                "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_a_glue_database_per_zone(default_lake):
    template, lake = default_lake
    databases = template.find_resources("AWS::Glue::Database")
    assert len(databases) == len(Zone)
    names = {d["Properties"]["DatabaseInput"]["Name"] for d in databases.values()}
    assert all(n.islower() and n.replace("_", "").isalnum() for n in names)
    assert any(n.endswith("_raw") for n in names)


def test_grants_are_scoped_to_zone_and_prefix(default_lake):
    template, lake = default_lake
    processed = Stack.of(lake).resolve(lake.processed_bucket.bucket_arn)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                                "Resource": [processed, {"Fn::Join": ["", [processed, "/features/*"]]}],
                            }
                        ),
                    ]
                )
            }
        },
    )


@pytest.fixture(scope="module")
def custom_lake() -> tuple[Template, DataLake]:
    def build(stack: Stack) -> DataLake:
        key = kms.Key(stack, "MyKey", enable_key_rotation=True)
        mine = s3.Bucket.from_bucket_name(stack, "Existing", "my-existing-raw-bucket")
        return DataLake(
            stack,
            "Lake",
            encryption_key=key,
            buckets={Zone.RAW: mine},
            raw_tiering=None,
            removal_policy=RemovalPolicy.DESTROY,
        )

    return synth_stack(build)


def test_bring_your_own_key_and_bucket(custom_lake):
    template, lake = custom_lake
    template.resource_count_is("AWS::KMS::Key", 1)
    template.resource_count_is("AWS::S3::Bucket", len(Zone))  # 3 zones + access logs
    assert lake.raw_bucket.bucket_name == "my-existing-raw-bucket"
    template.has_resource_properties(
        "AWS::Glue::Database",
        {"DatabaseInput": Match.object_like({"LocationUri": "s3://my-existing-raw-bucket"})},
    )


def test_destroy_is_explicit(custom_lake):
    template, _ = custom_lake
    for bucket in template.find_resources("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize(
    ("tiering", "message"),
    [
        (
            RawTiering(infrequent_access_after=Duration.days(10)),
            "raw_tiering.infrequent_access_after=.10 days.; allowed: >= 30 days",
        ),
        (
            RawTiering(archive_after=Duration.days(20)),
            "raw_tiering.archive_after=.20 days.; allowed: more than infrequent_access_after",
        ),
        (
            RawTiering(expire_after=Duration.days(60)),
            "raw_tiering.expire_after=.60 days.; allowed: more than archive_after",
        ),
    ],
)
def test_bad_tiering_is_rejected(tiering, message):
    with pytest.raises(ValueError, match=rf"Test/Lake: invalid {message}"):
        synth_stack(lambda stack: DataLake(stack, "Lake", raw_tiering=tiering))


def test_bad_zone_key_is_rejected():
    with pytest.raises(ValueError, match=r"Test/Lake: invalid buckets='raw'; allowed: keys of type Zone"):
        synth_stack(lambda stack: DataLake(stack, "Lake", buckets={"raw": s3.Bucket(stack, "B")}))
