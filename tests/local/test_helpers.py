"""The pieces around the models: request shaping, policy conditions, CLI output, smoke data."""

from __future__ import annotations

import json

import boto3
import pytest

from ml_constructs.local import api
from ml_constructs.local.cdk import CdkRun
from ml_constructs.local.cloudformation import deletion_order, dependencies
from ml_constructs.local.deployment import empty_bucket
from ml_constructs.local.inventory import Inventory, ResourceCheck
from ml_constructs.local.s3 import conditions_hold
from ml_constructs.local.smoke import _matching_key, _sample_file


@pytest.fixture(scope="module")
def clients() -> dict[str, object]:
    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    return {name: session.client(name) for name in ("emr-serverless", "kms", "dms", "glue")}


def test_cloudformation_properties_become_api_requests(clients) -> None:
    application = {
        "Name": "features",
        "Type": "SPARK",
        "ReleaseLabel": "emr-7.5.0",
        "AutoStopConfiguration": {"Enabled": "true", "IdleTimeoutMinutes": "15"},
        "InitialCapacity": [
            {
                "Key": "Driver",
                "Value": {"WorkerCount": 1, "WorkerConfiguration": {"Cpu": "2 vCPU", "Memory": "4 GB"}},
            }
        ],
        "Tags": [{"Key": "stage", "Value": "process"}],
        "NotAnApiMember": 1,
    }
    params = api.api_params(clients["emr-serverless"], "CreateApplication", application, clientToken="t")
    assert params == {
        "name": "features",
        "type": "SPARK",
        "releaseLabel": "emr-7.5.0",
        "autoStopConfiguration": {"enabled": True, "idleTimeoutMinutes": 15},
        "initialCapacity": {
            "Driver": {"workerCount": 1, "workerConfiguration": {"cpu": "2 vCPU", "memory": "4 GB"}}
        },
        "tags": {"stage": "process"},
        "clientToken": "t",
    }


def test_tags_follow_the_api_shape_and_json_objects_become_strings(clients) -> None:
    kms = api.api_params(clients["kms"], "CreateKey", {"Tags": [{"Key": "a", "Value": "b"}]})
    assert kms == {"Tags": [{"TagKey": "a", "TagValue": "b"}]}
    glue = api.api_params(
        clients["glue"],
        "CreateJob",
        {"Name": "j", "Role": "r", "Command": {"Name": "glueetl"}, "Tags": {"k": "v"}},
    )
    assert glue["Tags"] == {"k": "v"}
    dms = api.api_params(
        clients["dms"], "CreateReplicationConfig", {"TableMappings": {"rules": []}, "Tags": {"k": "v"}}
    )
    assert json.loads(dms["TableMappings"]) == {"rules": []} and dms["Tags"] == [{"Key": "k", "Value": "v"}]


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (None, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, True),
        ({"Bool": {"aws:SecureTransport": ["false"]}}, False),
        ({"StringEquals": {"aws:SourceAccount": "123456789012"}}, False),  # unknown key: does not apply
        ({"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}}, True),
        ({"Null": {"aws:SourceArn": "true"}}, True),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, False),
    ],
)
def test_bucket_policy_conditions(condition, holds) -> None:
    assert conditions_hold(condition) is holds


def test_deploy_output_tells_no_changes() -> None:
    unchanged = CdkRun(
        "deploy", 1.0, ["✨  Synthesis time: 0.01s", " ✅  MlConstructs (no changes)", "Stack ARN:"]
    )
    changed = CdkRun("deploy", 1.0, [" ✅  MlConstructs", "Stack ARN:"])
    assert unchanged.no_changes and not changed.no_changes
    assert not CdkRun("deploy", 1.0, []).no_changes


def test_inventory_report() -> None:
    inventory = Inventory(
        rows=[
            ResourceCheck("S", "Bucket", "AWS::S3::Bucket", "b", True, "s3 bucket b"),
            ResourceCheck("S", "Job", "AWS::Glue::Job", "", False, "not created"),
        ],
        stacks=["S"],
    )
    text = inventory.format()
    assert "MISSING AWS::Glue::Job" in text and "1/2 present in the emulator; 1 missing" in text
    assert not inventory.ok and [r.logical_id for r in inventory.missing] == ["Job"]


def test_empty_bucket_removes_every_version(aws) -> None:
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="versions-to-empty")
    s3.put_bucket_versioning(Bucket="versions-to-empty", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        s3.put_object(Bucket="versions-to-empty", Key="k", Body=body)
    s3.delete_object(Bucket="versions-to-empty", Key="k")
    assert empty_bucket(s3, "versions-to-empty") == 3  # two versions and a delete marker
    s3.delete_bucket(Bucket="versions-to-empty")
    assert empty_bucket(s3, "versions-to-empty") == 0  # gone: nothing to do


def test_smoke_file_matches_the_rule_and_the_schema() -> None:
    assert _matching_key([{"wildcard": "in/*.jsonl"}, {"wildcard": "in/*.csv"}]).startswith("in/smoke-")
    assert _matching_key([{"wildcard": "in/*.jsonl"}, {"wildcard": "in/*.csv"}]).endswith(".csv")
    assert _matching_key([{"prefix": "raw/"}]).startswith("raw/smoke-")
    schema = {
        "fields": [
            {"name": "id", "type": "string", "max_length": 4},
            {"name": "zip", "type": "string", "pattern": "[0-9]{5}"},
            {"name": "amount", "type": "number", "minimum": 0},
            {"name": "channel", "type": "string", "allowed": ["web", "store"]},
        ]
    }
    body, rows = _sample_file(json.dumps(schema))
    header, good, bad = body.decode().splitlines()
    assert (
        header == "id,zip,amount,channel"
        and good == "12345"[:4] + ",12345,0,web"
        and bad == "1234,12345,-1,web"
    )
    assert rows == "1 valid row, 1 invalid row"


def test_deletes_run_dependents_first() -> None:
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC"},
        "Table": {"Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Endpoint": {"Properties": {"VpcId": {"Ref": "Vpc"}, "RouteTableIds": [{"Ref": "Table"}]}},
        "Role": {},
        "Policy": {"Properties": {"Roles": [{"Ref": "Role"}]}},
        "Function": {"Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}, "DependsOn": "Policy"},
        "Alarm": {"Properties": {"Name": {"Fn::Sub": "${Function.Arn}-${AWS::Region}"}}},
    }
    order = deletion_order(resources)
    assert order.index("Endpoint") < order.index("Table") < order.index("Vpc")
    assert order.index("Alarm") < order.index("Function") < order.index("Policy") < order.index("Role")
    assert dependencies(resources["Alarm"], set(resources)) == {"Function"}
