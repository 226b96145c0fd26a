"""SparkServerlessJob: application, execution role, logs, network, and the startJobRun.sync task."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match
from botocore.validate import ParamValidator

from ml_constructs.process import (
    FeatureLayout,
    LakePath,
    SparkArchitecture,
    SparkCapacity,
    SparkServerlessJob,
)
from ml_constructs.process.spark_job_parts import parse_conf_parameters
from ml_constructs.store import DataLake, Zone
from ml_constructs.testing import normalize_template
from tests.harness import actions_of, build_error, scenario

MY_SCRIPT = Path(__file__).parent / "fixtures" / "my_job.py"


@pytest.fixture(scope="module")
def default():
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        job = SparkServerlessJob(stack, "Features", lake=lake)
        task = job.start_task(stack, "RunFeatures", arguments={"--seed": "7"}, result_path="$.spark")
        body = sfn.DefinitionBody.from_chainable(task)
        machine = sfn.StateMachine(stack, "Workflow", definition_body=body)
        job.grant_start_run(machine)
        return lake, job, machine

    return scenario(build)


def test_default_is_compliant(default):
    # The test state machine itself has no logging/tracing (the workflow construct adds them).
    assert [p for p in default.problems if "Test/Workflow" not in p and "'WorkflowRole" not in p] == []


def test_default_matches_snapshot(default, snapshot):
    assert normalize_template(default.json) == snapshot


def test_application_starts_on_demand_stops_when_idle_and_is_capped(default):
    _, job, _ = default.built
    props = default.one("AWS::EMRServerless::Application")
    assert (props["Type"], props["ReleaseLabel"], props["Architecture"]) == (
        "SPARK",
        "emr-7.10.0",
        "ARM64",
    )
    assert props["AutoStartConfiguration"] == {"Enabled": True}
    assert props["AutoStopConfiguration"] == {"Enabled": True, "IdleTimeoutMinutes": 15}
    assert props["MaximumCapacity"] == {"Cpu": "16 vCPU", "Memory": "64 GB", "Disk": "200 GB"}
    assert "NetworkConfiguration" not in props
    logging = props["MonitoringConfiguration"]["CloudWatchLoggingConfiguration"]
    assert logging["Enabled"] is True
    assert logging["LogGroupName"] == default.resolve(job.log_group.log_group_name)


def test_log_group_is_encrypted_with_the_lake_key(default):
    lake, job, _ = default.built
    group = default.one("AWS::Logs::LogGroup", "FeaturesLogs")
    assert group["KmsKeyId"] == default.resolve(lake.encryption_key.key_arn)
    assert group["RetentionInDays"] == 90


def test_execution_role_trusts_only_emr_serverless_for_this_application(default):
    _, job, _ = default.built
    role = default.one("AWS::IAM::Role", "FeaturesExecutionRole")
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "emr-serverless.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == default.resolve(job.application_arn)
    assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]


def test_execution_role_is_least_privilege(default):
    lake, job, _ = default.built
    statements = default.policy_statements("FeaturesExecutionRole")
    text = json.dumps(statements)
    patterns = (
        "/sales*",
        "/databases/orders/sales/orders*",
        "/streams*",
        "/features/order_features*",
        "/features/train*",
    )
    for pattern in patterns:
        assert pattern in text
    writable = [s for s in statements if "s3:DeleteObject*" in s["Action"]]
    assert not any("/sales*" in json.dumps(s) or "/streams*" in json.dumps(s) for s in writable)
    (logs,) = [s for s in statements if s.get("Sid") == "WriteJobLogs"]
    assert logs["Resource"] == default.resolve(job.log_group.log_group_arn)
    assert {"logs:DescribeLogGroups"} <= actions_of(statements)
    managed = {"ManagedPolicyArns": Match.any_value()}
    default.template.resource_properties_count_is("AWS::IAM::Role", managed, 0)


def _state(default) -> dict[str, Any]:
    definition = default.one("AWS::StepFunctions::StateMachine")["DefinitionString"]
    parts = definition["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else "0token0" for p in parts)
    return json.loads(text)["States"]["RunFeatures"]


def test_start_task_runs_the_script_synchronously(default):
    _, job, _ = default.built
    state = _state(default)
    assert state["Resource"] == "arn:0token0:states:::emr-serverless:startJobRun.sync"
    assert state["ResultPath"] == "$.spark"
    params = state["Parameters"]
    assert params["Name"] == "RunFeatures" and params["ExecutionTimeoutMinutes"] == 60
    arguments = params["JobDriver"]["SparkSubmit"]["EntryPointArguments"]
    pairs = dict(zip(arguments[::2], arguments[1::2], strict=True))
    assert pairs["--seed"] == "7"  # the override
    assert pairs["--validation_ratio"] == "0.2" and pairs["--events_key"] == "customer_id"
    assert set(pairs) >= {"--sales_path", "--orders_path", "--events_path", "--features_path", "--score_path"}


def test_start_task_request_is_valid_for_botocore(default):
    _, job, _ = default.built
    request = _placeholders(default.resolve(job.job_run_request(name="features")))
    assert _validate("emr-serverless", "StartJobRun", {**_camel(request), "clientToken": "token"}) == []


def test_state_machine_may_run_watch_and_cancel_and_pass_the_role(default):
    _, job, _ = default.built
    statements = default.policy_statements("WorkflowRole")
    assert {
        "emr-serverless:StartJobRun",
        "emr-serverless:GetJobRun",
        "emr-serverless:CancelJobRun",
        "iam:PassRole",
        "events:PutRule",
        "events:PutTargets",
        "events:DescribeRule",
    } <= actions_of(statements)
    (pass_role,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"] == default.resolve(job.role.role_arn)
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}}
    assert "StepFunctionsGetEventsForEMRServerlessJobRule" in json.dumps(statements)


def test_vpc_own_script_and_settings():
    def build(stack: Stack):
        vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
            ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ])  # fmt: skip
        job = SparkServerlessJob(
            stack,
            "Compact",
            lake=DataLake(stack, "Lake"),
            script=MY_SCRIPT,
            arguments={"--day": "2024-01-01"},
            writes=[LakePath(Zone.CURATED, "compact/")],
            release_label="emr-6.15.0",
            architecture=SparkArchitecture.X86_64,
            maximum_capacity=SparkCapacity(cpu=64, memory_gb=256, disk_gb=1000),
            idle_timeout=Duration.minutes(5),
            job_timeout=Duration.hours(4),
            spark_submit_parameters="--conf spark.executor.cores=2",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            application_name="compact",
        )
        body = sfn.DefinitionBody.from_chainable(job.start_task(stack, "Run"))
        sfn.StateMachine(stack, "Machine", definition_body=body)
        return job

    built = scenario(build, compliance=False)
    job = built.built
    props = built.one("AWS::EMRServerless::Application")
    assert props["Name"] == "compact"
    assert (props["ReleaseLabel"], props["Architecture"]) == ("emr-6.15.0", "X86_64")
    assert props["MaximumCapacity"] == {"Cpu": "64 vCPU", "Memory": "256 GB", "Disk": "1000 GB"}
    assert props["AutoStopConfiguration"]["IdleTimeoutMinutes"] == 5
    network = props["NetworkConfiguration"]
    assert len(network["SubnetIds"]) == 2 and len(network["SecurityGroupIds"]) == 1
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroup", {"SecurityGroupIngress": Match.absent()}
    )
    request = job.job_run_request()
    definition = json.dumps(built.one("AWS::StepFunctions::StateMachine")["DefinitionString"])
    assert '\\"ResultPath\\":null' in definition  # by default the state's input passes through
    assert request["ExecutionTimeoutMinutes"] == 240
    assert request["JobDriver"]["SparkSubmit"]["EntryPointArguments"] == ["--day", "2024-01-01"]
    assert request["JobDriver"]["SparkSubmit"]["SparkSubmitParameters"] == (
        "--conf spark.sql.shuffle.partitions=128 --conf spark.sql.adaptive.enabled=true "
        "--conf spark.sql.adaptive.coalescePartitions.enabled=true "
        "--conf spark.sql.optimizer.canChangeCachedPlanOutputPartitioning=true --conf spark.executor.cores=2"
    )
    text = json.dumps(built.policy_statements("CompactExecutionRole"))
    assert "/compact*" in text and "/features/" not in text


def test_spark_settings_scale_with_the_capacity_and_can_be_overridden(default):
    _, job, _ = default.built
    submit = job.job_run_request()["JobDriver"]["SparkSubmit"]["SparkSubmitParameters"]
    assert parse_conf_parameters(submit) == {
        "spark.sql.shuffle.partitions": "32",  # 2 x 16 vCPU, not Spark's 200
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
    }
    assert job.spark_conf == parse_conf_parameters(submit)

    def build(stack: Stack):
        return SparkServerlessJob(
            stack,
            "Job",
            lake=DataLake(stack, "Lake"),
            maximum_capacity=SparkCapacity(cpu=4, memory_gb=16),
            spark_conf={"spark.sql.adaptive.enabled": "false", "spark.sql.files.maxRecordsPerFile": "1000"},
            spark_submit_parameters="--conf spark.sql.shuffle.partitions=5",
        )

    job = scenario(build, compliance=False).built
    submit = job.job_run_request()["JobDriver"]["SparkSubmit"]["SparkSubmitParameters"]
    assert parse_conf_parameters(submit) == {
        "spark.sql.shuffle.partitions": "5",  # spark-submit: the later --conf wins
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
        "spark.sql.files.maxRecordsPerFile": "1000",
    }
    assert job.spark_conf["spark.sql.shuffle.partitions"] == "8"  # 2 x 4 vCPU


def _error(**kwargs) -> str:
    def build(stack: Stack):
        SparkServerlessJob(stack, "Job", **{"lake": DataLake(stack, "Lake"), **kwargs})

    return build_error(build)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"release_label": "emr-6.5.0"}, "Test/Job: invalid release_label='emr-6.5.0'; allowed: emr-6.6.0"),
        ({"release_label": "7.10.0"}, "invalid release_label='7.10.0'"),
        ({"release_label": "emr-8.0.0"}, "invalid release_label='emr-8.0.0'"),
        ({"architecture": "ARM"}, "invalid architecture='ARM'; allowed: one of ARM64, X86_64"),
        ({"maximum_capacity": SparkCapacity(cpu=0)}, "invalid maximum_capacity.cpu=0; allowed: 1..100000"),
        ({"maximum_capacity": SparkCapacity(memory_gb=16)}, "memory_gb=16; allowed: >= 2 GB per vCPU"),
        (
            {"maximum_capacity": SparkCapacity(disk_gb=10)},
            "invalid maximum_capacity.disk_gb=10; allowed: 20..",
        ),
        ({"idle_timeout": Duration.days(8)}, "invalid idle_timeout=11520.0; allowed: 1..10080 minutes"),
        ({"job_timeout": Duration.seconds(30)}, "invalid job_timeout=0.5; allowed: 1..10080 minutes"),
        ({"application_name": "bad name"}, "invalid application_name='bad name'"),
        ({"vpc_subnets": ec2.SubnetSelection()}, "invalid vpc=None; allowed: a VPC when vpc_subnets"),
        ({"arguments": {"--seed": 7}}, "invalid arguments\\['--seed'\\]=7; allowed: a string value"),
        (
            {"layout": FeatureLayout(repeat_window_days=0)},
            "invalid layout.repeat_window_days=0; allowed: 1..",
        ),
        ({"script": Path(__file__).with_suffix(".txt")}, "invalid script=.*; allowed: an existing .py file"),
        ({"spark_conf": {"shuffle": "1"}}, "invalid spark_conf='shuffle'; allowed: keys of the form"),
        (
            {"spark_conf": {"spark.driver.extraJavaOptions": "-Da=1 -Db=2"}},
            "invalid spark_conf\\['spark.driver.extraJavaOptions'\\]='-Da=1 -Db=2'; allowed: a non-empty",
        ),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(kwargs, message):
    error = _error(**kwargs)
    assert re.search(message, error), error


# -- botocore validation of the request ------------------------------------------------------
_PLACEHOLDERS = {
    "ApplicationId": "00fabc123def",
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/execution",
    "EntryPoint": "s3://assets/script.py",
}


def _placeholders(value: Any, key: str = "") -> Any:
    """CloudFormation intrinsics (unknown until deploy) replaced by valid sample values."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref")):
        return _PLACEHOLDERS.get(key, "s3://bucket/prefix/")
    if isinstance(value, dict):
        return {k: _placeholders(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, key) for v in value]
    return value


def _camel(value: Any) -> Any:
    """Step Functions' PascalCase request -> the service model's camelCase members."""
    if isinstance(value, dict):
        return {k[0].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _validate(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    """botocore's own validation (shapes, required, types) plus min/max/pattern/enum."""
    shape = botocore.session.get_session().get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    problems += _constraints(params, shape, operation)
    return problems


def _constraints(value: Any, shape: Any, path: str) -> list[str]:
    problems = []
    meta = shape.metadata
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in value:
                problems += _constraints(value[name], member, f"{path}.{name}")
        return problems
    if shape.type_name == "list":
        for index, item in enumerate(value):
            problems += _constraints(item, shape.member, f"{path}[{index}]")
    size = len(value) if isinstance(value, (str, list)) else value
    if "min" in meta and size < meta["min"]:
        problems.append(f"{path}: {size} < min {meta['min']}")
    if "max" in meta and size > meta["max"]:
        problems.append(f"{path}: {size} > max {meta['max']}")
    if isinstance(value, str) and "pattern" in meta and not re.fullmatch(meta["pattern"], value):
        problems.append(f"{path}: {value!r} does not match {meta['pattern']}")
    if "enum" in meta and value not in meta["enum"]:
        problems.append(f"{path}: {value!r} not in {meta['enum']}")
    return problems
