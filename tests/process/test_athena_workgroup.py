"""AthenaWorkgroup: encrypted results in the lake, enforced settings, cost cap, grants."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import Size, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from ml_constructs.process import AthenaEngineVersion, AthenaWorkgroup, ResultEncryption
from ml_constructs.store import DataLake, Zone
from ml_constructs.testing import normalize_template
from tests.harness import actions_of, build_error, scenario


@pytest.fixture(scope="module")
def default():
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        workgroup = AthenaWorkgroup(stack, "Queries", lake=lake)
        analyst = iam.Role(stack, "Analyst", assumed_by=iam.AccountRootPrincipal())
        workgroup.grant_query(analyst, zones=[Zone.PROCESSED, Zone.CURATED])
        return lake, workgroup, analyst

    return scenario(build)


def test_default_is_compliant(default):
    assert default.problems == []


def test_default_matches_snapshot(default, snapshot):
    assert normalize_template(default.json) == snapshot


def test_results_are_encrypted_in_the_curated_zone_and_settings_enforced(default):
    lake, workgroup, _ = default.built
    props = default.one("AWS::Athena::WorkGroup")
    config = props["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    results = config["ResultConfiguration"]
    assert results["OutputLocation"] == default.resolve(lake.s3_uri(Zone.CURATED, "athena-results/"))
    assert results["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": default.resolve(lake.encryption_key.key_arn),
    }
    assert props["State"] == "ENABLED" and props["RecursiveDeleteOption"] is True
    assert workgroup.results_location == lake.s3_uri(Zone.CURATED, "athena-results/")


def test_grant_query_covers_workgroup_results_zones_and_catalog(default):
    lake, workgroup, _ = default.built
    statements = default.policy_statements("Analyst")
    actions = actions_of(statements)
    assert {
        "athena:StartQueryExecution",
        "athena:GetQueryResults",
        "glue:GetTable",
        "glue:GetPartitions",
    } <= actions
    (athena,) = [s for s in statements if "athena:StartQueryExecution" in s["Action"]]
    assert athena["Resource"] == default.resolve(workgroup.workgroup_arn)
    text = json.dumps(statements)
    assert "/athena-results/*" in text
    for zone in (Zone.PROCESSED, Zone.CURATED):
        assert json.dumps(default.resolve(lake.database_name(zone))) in text
    assert json.dumps(default.resolve(lake.database_name(Zone.RAW))) not in text
    assert not any(s["Resource"] == "*" for s in statements)


def test_bring_your_own_bucket_and_key_without_a_lake():
    def build(stack: Stack):
        key = kms.Key(stack, "Key", enable_key_rotation=True)
        bucket = s3.Bucket.from_bucket_name(stack, "Results", "my-results")
        workgroup = AthenaWorkgroup(
            stack,
            "Queries",
            results_bucket=bucket,
            results_prefix="team-a",
            encryption_key=key,
            encryption=ResultEncryption.CSE_KMS,
            bytes_scanned_cutoff=Size.mebibytes(100),
            engine_version=AthenaEngineVersion.AUTO,
            workgroup_name="team-a",
            enforce_configuration=True,
        )
        workgroup.grant_query(iam.Role(stack, "Reader", assumed_by=iam.AccountRootPrincipal()))
        return workgroup

    built = scenario(build, compliance=False)
    config = built.one("AWS::Athena::WorkGroup")["WorkGroupConfiguration"]
    assert built.one("AWS::Athena::WorkGroup")["Name"] == "team-a"
    assert config["ResultConfiguration"]["OutputLocation"] == "s3://my-results/team-a/"
    assert config["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "CSE_KMS"
    assert config["BytesScannedCutoffPerQuery"] == 100 * 1024**2
    assert config["EngineVersion"] == {"SelectedEngineVersion": "AUTO"}
    assert "glue:GetTable" not in actions_of(built.policy_statements("Reader"))


def _error(**kwargs) -> str:
    def build(stack: Stack):
        AthenaWorkgroup(stack, "Queries", **{"lake": DataLake(stack, "Lake"), **kwargs})

    return build_error(build)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"bytes_scanned_cutoff": Size.mebibytes(5)},
            "Test/Queries: invalid bytes_scanned_cutoff='5242880 bytes'; allowed: >= 10000000 bytes",
        ),
        ({"results_prefix": "/results"}, "invalid results_prefix='/results'"),
        ({"results_prefix": ""}, "invalid results_prefix=''; allowed: a non-empty key prefix"),
        ({"workgroup_name": "my workgroup"}, "invalid workgroup_name='my workgroup'"),
        ({"engine_version": "Athena engine version 2"}, "invalid engine_version='Athena engine version 2'"),
        ({"encryption": "SSE_S3"}, "invalid encryption='SSE_S3'; allowed: one of SSE_KMS, CSE_KMS"),
        ({"lake": None}, "invalid results_bucket=None; allowed: a bucket, or a lake"),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(kwargs, message):
    error = _error(**kwargs)
    assert re.search(message, error), error


def test_a_bucket_without_a_key_is_rejected():
    def build(stack: Stack):
        AthenaWorkgroup(stack, "Queries", results_bucket=s3.Bucket.from_bucket_name(stack, "B", "my-results"))

    assert "invalid encryption_key=None; allowed: a KMS key, or a lake" in build_error(build)
