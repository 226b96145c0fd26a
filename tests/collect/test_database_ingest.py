"""DatabaseIngest: endpoints, replication, network, roles, alarm, table mappings, validation."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from ml_constructs import DataLake
from ml_constructs.collect import (
    DatabaseEngine,
    DatabaseIngest,
    DatePartitioning,
    MigrationType,
    ReplicationInstance,
    ServerlessCapacity,
    SslMode,
    TableRule,
    TableSelection,
)
from ml_constructs.testing import normalize_template
from tests.collect.conftest import raises, synth_checked


def _one(template: Template, kind: str) -> dict:
    (resource,) = template.find_resources(kind).values()
    return resource["Properties"]


def _endpoint(template: Template, endpoint_type: str) -> dict:
    (props,) = [
        r["Properties"]
        for r in template.find_resources("AWS::DMS::Endpoint").values()
        if r["Properties"]["EndpointType"] == endpoint_type
    ]
    return props


@pytest.fixture(scope="module")
def default() -> tuple[Template, DatabaseIngest, list[str]]:
    def build(stack: Stack) -> DatabaseIngest:
        lake = DataLake(stack, "Lake")
        secret_key = kms.Key(stack, "SecretKey", enable_key_rotation=True)
        secret = secretsmanager.Secret.from_secret_attributes(
            stack,
            "Credentials",
            secret_complete_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-AbCdEf",
            encryption_key=secret_key,
        )
        topic = sns.Topic(stack, "Alarms", enforce_ssl=True, master_key=lake.encryption_key)
        return DatabaseIngest(
            stack,
            "Orders",
            lake=lake,
            engine=DatabaseEngine.POSTGRES,
            database_name="shop",
            credentials=secret,
            tables=TableSelection.include("sales", "*").and_exclude("sales", "tmp_%"),
            create_service_roles=True,
            alarm_topic=topic,
        )

    return synth_checked(build)


def test_default_is_compliant(default):
    assert default[2] == []


def test_default_matches_snapshot(default, snapshot):
    assert normalize_template(default[0].to_json()) == snapshot


def test_no_password_anywhere_in_the_template(default):
    text = json.dumps(default[0].to_json())
    assert "Password" not in text and '"Username"' not in text


def test_source_endpoint_reads_its_credentials_from_secrets_manager(default):
    template, ingest, _ = default
    stack = Stack.of(ingest)
    props = _endpoint(template, "source")
    assert props["EngineName"] == "postgres"
    assert props["DatabaseName"] == "shop"
    assert props["SslMode"] == "require"
    assert props["PostgreSqlSettings"] == {
        "SecretsManagerSecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-AbCdEf",
        "SecretsManagerAccessRoleArn": stack.resolve(ingest.secret_access_role.role_arn),
    }
    statements = []
    for logical_id, policy in template.find_resources("AWS::IAM::Policy").items():
        if logical_id.startswith("OrdersSecretAccessRole"):
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statements[0]["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert statements[0]["Resource"] == "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-AbCdEf"
    # The secret's key (in this stack) lets the role decrypt through Secrets Manager only.
    key_policy = next(
        r["Properties"]["KeyPolicy"]["Statement"]
        for logical_id, r in template.find_resources("AWS::KMS::Key").items()
        if logical_id.startswith("SecretKey")
    )
    assert any(
        s["Action"] == "kms:Decrypt"
        and s["Principal"] == {"AWS": stack.resolve(ingest.secret_access_role.role_arn)}
        and "kms:ViaService" in s["Condition"]["StringEquals"]
        for s in key_policy
    )


def test_target_endpoint_writes_partitioned_parquet_with_the_lake_key(default):
    template, ingest, _ = default
    stack = Stack.of(ingest)
    settings = _endpoint(template, "target")["S3Settings"]
    key = stack.resolve(ingest.lake.encryption_key.key_arn) if hasattr(ingest, "lake") else None
    assert settings == {
        "BucketName": stack.resolve(ingest.bucket.bucket_name),
        "BucketFolder": "databases/orders",
        "ServiceAccessRoleArn": stack.resolve(ingest.target_role.role_arn),
        "ExpectedBucketOwner": {"Ref": "AWS::AccountId"},
        "DataFormat": "parquet",
        "ParquetVersion": "parquet-2-0",
        "CompressionType": "GZIP",
        "EncryptionMode": "SSE_KMS",
        "ServerSideEncryptionKmsKeyId": stack.resolve(ingest.encryption_key.key_arn),
        "DatePartitionEnabled": True,
        "DatePartitionSequence": "YYYYMMDD",
        "DatePartitionDelimiter": "SLASH",
        "IncludeOpForFullLoad": True,
        "TimestampColumnName": "dms_commit_ts",
        "EnableStatistics": True,
    }
    assert key is None or key == stack.resolve(ingest.encryption_key.key_arn)


def test_target_role_writes_only_under_the_prefix(default):
    template, ingest, _ = default
    stack = Stack.of(ingest)
    statements = []
    for logical_id, policy in template.find_resources("AWS::IAM::Policy").items():
        if logical_id.startswith("OrdersTargetRole"):
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
    bucket = stack.resolve(ingest.bucket.bucket_arn)
    assert statements[0] == {
        "Action": ["s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging"],
        "Effect": "Allow",
        "Resource": {"Fn::Join": ["", [bucket, "/databases/orders/*"]]},
    }
    assert statements[1]["Action"] == "s3:ListBucket" and statements[1]["Resource"] == bucket
    assert statements[2]["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]


def test_serverless_replication_of_the_selected_tables(default):
    template, ingest, _ = default
    props = _one(template, "AWS::DMS::ReplicationConfig")
    assert props["ReplicationType"] == "full-load-and-cdc"
    compute = props["ComputeConfig"]
    assert (compute["MinCapacityUnits"], compute["MaxCapacityUnits"], compute["MultiAZ"]) == (1, 4, False)
    assert "KmsKeyId" in compute and "ReplicationSubnetGroupId" in compute
    assert props["TableMappings"] == {
        "rules": [
            {
                "rule-type": "selection",
                "rule-id": "1",
                "rule-name": "include-1",
                "object-locator": {"schema-name": "sales", "table-name": "%"},
                "rule-action": "include",
            },
            {
                "rule-type": "selection",
                "rule-id": "2",
                "rule-name": "exclude-2",
                "object-locator": {"schema-name": "sales", "table-name": "tmp_%"},
                "rule-action": "exclude",
            },
        ]
    }
    assert props["ReplicationSettings"]["Logging"]["EnableLogging"] is True
    assert props["ReplicationSettings"]["FullLoadSettings"] == {"TargetTablePrepMode": "DO_NOTHING"}
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]+", props["ReplicationConfigIdentifier"])
    template.resource_count_is("AWS::DMS::ReplicationInstance", 0)


def test_created_vpc_is_private_with_flow_logs_and_endpoints(default):
    template, ingest, _ = default
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::InternetGateway", 0)
    template.resource_count_is("AWS::EC2::FlowLog", 1)
    subnets = _one(template, "AWS::DMS::ReplicationSubnetGroup")["SubnetIds"]
    assert len(subnets) == 2
    endpoints = [r["Properties"] for r in template.find_resources("AWS::EC2::VPCEndpoint").values()]
    assert sorted(e.get("VpcEndpointType", "Gateway") for e in endpoints) == ["Gateway", "Interface"]
    group = _one_security_group(template, "DMS replication")
    assert "SecurityGroupIngress" not in group
    assert sorted(rule["ToPort"] for rule in group["SecurityGroupEgress"]) == [443, 5432]
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {"FromPort": 443, "ToPort": 443, "SourceSecurityGroupId": Match.any_value()},
    )
    assert ingest.connections.default_port is not None


def _one_security_group(template: Template, description: str) -> dict:
    for group in template.find_resources("AWS::EC2::SecurityGroup").values():
        if group["Properties"]["GroupDescription"].startswith(description):
            return group["Properties"]
    raise AssertionError(description)


def test_service_roles_have_their_fixed_names_when_asked(default):
    template, ingest, _ = default
    names = sorted(
        r["Properties"].get("RoleName", "") for r in template.find_resources("AWS::IAM::Role").values()
    )
    assert "dms-cloudwatch-logs-role" in names and "dms-vpc-role" in names
    assert len(ingest.service_roles) == 2
    depends = template.find_resources("AWS::DMS::ReplicationSubnetGroup")
    assert len(next(iter(depends.values()))["DependsOn"]) == 2


def test_failure_events_raise_an_alarm(default):
    template, ingest, _ = default
    stack = Stack.of(ingest)
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.dms"],
                "resources": [stack.resolve(ingest.replication_arn)],
                "detail": {"category": ["Failure"]},
            }
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/Events",
            "MetricName": "TriggeredRules",
            "Threshold": 1,
            "AlarmActions": [Match.any_value()],
        },
    )


def test_provisioned_instance_in_your_vpc_without_service_roles():
    def build(stack: Stack) -> DatabaseIngest:
        vpc = ec2.Vpc.from_vpc_attributes(
            stack,
            "Vpc",
            vpc_id="vpc-0123456789abcdef0",
            availability_zones=["us-east-1a", "us-east-1b"],
            private_subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        )
        secret = secretsmanager.Secret.from_secret_name_v2(stack, "Credentials", "crm")
        return DatabaseIngest(
            stack,
            "Crm",
            lake=DataLake(stack, "Lake"),
            engine=DatabaseEngine.MYSQL,
            credentials=secret,
            tables=TableSelection.include("crm"),
            vpc=vpc,
            capacity=ReplicationInstance(
                instance_class="dms.r5.large", allocated_storage_gb=100, multi_az=True
            ),
            migration_type=MigrationType.FULL_LOAD,
            date_partitioning=DatePartitioning.HOUR,
            prefix="crm",
            logging=False,
        )

    template, ingest, problems = synth_checked(build)
    assert problems == []
    template.resource_count_is("AWS::EC2::VPC", 0)
    template.resource_count_is("AWS::DMS::ReplicationConfig", 0)
    assert ingest.service_roles == [] and ingest.secrets_endpoint is None
    instance = _one(template, "AWS::DMS::ReplicationInstance")
    assert instance["PubliclyAccessible"] is False
    assert instance["ReplicationInstanceClass"] == "dms.r5.large"
    assert (instance["AllocatedStorage"], instance["MultiAZ"]) == (100, True)
    assert "KmsKeyId" in instance
    assert _one(template, "AWS::DMS::ReplicationSubnetGroup")["SubnetIds"] == [
        "subnet-0123456789abcdef0",
        "subnet-0123456789abcdef1",
    ]
    task = _one(template, "AWS::DMS::ReplicationTask")
    assert task["MigrationType"] == "full-load"
    assert json.loads(task["TableMappings"])["rules"][0]["object-locator"] == {
        "schema-name": "crm",
        "table-name": "%",
    }
    assert json.loads(task["ReplicationTaskSettings"])["Logging"] == {"EnableLogging": False}
    source = _endpoint(template, "source")
    assert "MySqlSettings" in source and "DatabaseName" not in source
    target = _endpoint(template, "target")["S3Settings"]
    assert (target["BucketFolder"], target["DatePartitionSequence"]) == ("crm", "YYYYMMDDHH")
    group = _one_security_group(template, "DMS replication")
    assert sorted(rule["ToPort"] for rule in group["SecurityGroupEgress"]) == [443, 3306]


def test_table_selection_builds_dms_rules():
    selection = TableSelection.everything().and_exclude("audit")
    assert selection.problem() is None
    assert [r["object-locator"] for r in selection.to_table_mappings()["rules"]] == [
        {"schema-name": "%", "table-name": "%"},
        {"schema-name": "audit", "table-name": "%"},
    ]


_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"


def _error(**kwargs) -> str:
    def build(stack: Stack):
        secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Secret", _SECRET_ARN)
        arguments = {
            "lake": DataLake(stack, "Lake"),
            "engine": DatabaseEngine.MYSQL,
            "credentials": secret,
            "tables": TableSelection.include("sales"),
            **kwargs,
        }
        DatabaseIngest(stack, "Db", **arguments)

    return raises(build)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"credentials": "hunter2"},
            "invalid credentials='<a plain string>'; allowed: a secretsmanager.ISecret",
        ),
        ({"credentials": {"password": "x"}}, "invalid credentials='dict'; allowed: a secretsmanager.ISecret"),
        ({"tables": TableSelection()}, "invalid tables=[]; allowed: at least one rule"),
        (
            {"tables": TableSelection(rules=(TableRule("a", action="exclude"),))},
            "allowed: at least one include rule",
        ),
        ({"tables": TableSelection.include("sales; drop")}, "allowed: schema and table names of letters"),
        ({"tables": TableSelection.include("a").and_include("a", "*")}, "allowed: each schema/table once"),
        ({"tables": [("sales", "%")]}, "invalid tables=[('sales', '%')]; allowed: a TableSelection"),
        (
            {"capacity": ServerlessCapacity(max_capacity_units=3)},
            "invalid capacity.max_capacity_units=3; allowed: one of 1, 2, 4",
        ),
        (
            {"capacity": ServerlessCapacity(min_capacity_units=8, max_capacity_units=4)},
            "invalid capacity.min_capacity_units=8; allowed: <= max_capacity_units (4)",
        ),
        (
            {"capacity": ReplicationInstance(instance_class="t3.medium")},
            "invalid capacity.instance_class='t3.medium'",
        ),
        (
            {"capacity": ReplicationInstance(allocated_storage_gb=1)},
            "invalid capacity.allocated_storage_gb=1; allowed: 5..6144 GB",
        ),
        ({"capacity": 4}, "invalid capacity=4; allowed: a ServerlessCapacity or a ReplicationInstance"),
        (
            {"engine": DatabaseEngine.POSTGRES},
            "invalid database_name=None; allowed: the database to read (required for POSTGRES)",
        ),
        ({"engine": "db2"}, "invalid engine='db2'; allowed: one of mysql"),
        (
            {"engine": DatabaseEngine.ORACLE, "database_name": "ORCL", "ssl_mode": SslMode.REQUIRE},
            "invalid ssl_mode=<SslMode.REQUIRE: 'require'>; allowed: one of none, verify-ca",
        ),
        (
            {"ssl_mode": SslMode.VERIFY_FULL},
            "invalid certificate_arn=None; allowed: a DMS certificate ARN with ssl_mode=VERIFY_FULL",
        ),
        ({"port": 70000}, "invalid port=70000; allowed: 1..65535"),
        ({"prefix": "/db"}, "invalid prefix='/db'"),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(kwargs, message):
    error = _error(**kwargs)
    assert error.startswith("Test/Db: invalid ") and message in error, error


def test_plain_string_password_is_not_echoed_in_the_error():
    assert "hunter2" not in _error(credentials="hunter2")


def _vpc(stack: Stack, **subnets) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        stack,
        "Vpc",
        vpc_id="vpc-0123456789abcdef0",
        availability_zones=["us-east-1a", "us-east-1b"],
        **subnets,
    )


def test_isolated_subnets_are_used_when_the_vpc_has_no_private_ones():
    def build(stack: Stack) -> DatabaseIngest:
        vpc = _vpc(stack, isolated_subnet_ids=["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"])
        secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Secret", _SECRET_ARN)
        return DatabaseIngest(
            stack,
            "Db",
            lake=DataLake(stack, "Lake"),
            engine=DatabaseEngine.MARIADB,
            credentials=secret,
            tables=TableSelection.include("shop"),
            vpc=vpc,
        )

    stack = Stack()
    build(stack)
    Template.from_stack(stack).has_resource_properties(
        "AWS::DMS::ReplicationSubnetGroup",
        {"SubnetIds": ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"]},
    )


def test_a_vpc_without_private_subnets_is_rejected():
    def build(stack: Stack):
        vpc = _vpc(stack, public_subnet_ids=["subnet-0123456789abcdef4", "subnet-0123456789abcdef5"])
        secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Secret", _SECRET_ARN)
        DatabaseIngest(
            stack,
            "Db",
            engine=DatabaseEngine.MYSQL,
            credentials=secret,
            tables=TableSelection.include("shop"),
            lake=DataLake(stack, "Lake"),
            vpc=vpc,
        )

    assert "Test/Db: invalid vpc_subnets=None; allowed: a selection of private subnets" in raises(build)
