"""Grants AWS documents the roles need, and no more: autoscaling conditioned to SageMaker
variants, a bounded processor concurrency, a notebook's network interfaces in its VPC, a DMS
secret's customer-managed key, and no ECR grant for built-in algorithm images."""

from __future__ import annotations

import json

import pytest
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager

from ml_constructs import (
    Autoscaling,
    DatabaseEngine,
    DatabaseIngest,
    DataLake,
    Field,
    ModelEndpoint,
    Notebook,
    ObjectTrigger,
    RecordSchema,
    SageMakerImage,
    TableSelection,
    TrainingJob,
)
from ml_constructs.core.state_machines import secure_state_machine
from tests.harness import actions_of, scenario
from tests.ml.test_notebook import private_vpc

XGBOOST = SageMakerImage.built_in("xgboost", "1.7-1")
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders-AbCdEf"


def _statements_with(statements, action):
    return [s for s in statements if action in actions_of([s])]


# -- the workflow's autoscaling registration --------------------------------------------------------
@pytest.fixture(scope="module")
def deploying():
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        endpoint = ModelEndpoint(stack, "Serve", lake=lake, image=XGBOOST, autoscaling=Autoscaling())
        machine, _ = secure_state_machine(
            stack,
            "Machine",
            definition=endpoint.deploy_tasks(stack, "Deploy", model_data_path="$.model"),
            encryption_key=lake.encryption_key,
            timeout=Duration.hours(1),
            removal_policy=RemovalPolicy.DESTROY,
            purpose="deploy",
        )
        endpoint.grant_deploy(machine)
        return machine

    return scenario(build)


def test_autoscaling_registration_is_conditioned_to_sagemaker_variants(deploying):
    statements = deploying.policy_statements("MachineRole")
    for action in (
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
    ):
        (statement,) = _statements_with(statements, action)
        assert statement["Condition"] == {
            "StringEquals": {
                "application-autoscaling:service-namespace": "sagemaker",
                "application-autoscaling:scalable-dimension": "sagemaker:variant:DesiredInstanceCount",
            }
        }
        assert ":scalable-target/*" in json.dumps(statement["Resource"])
    # Of Application Auto Scaling, only the Describe calls remain on '*' (no resource level).
    on_any = {a for st in statements if st["Resource"] == "*" for a in actions_of([st])}
    assert {a for a in on_any if a.startswith("application-autoscaling:")} == {
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
    }
    assert deploying.problems == []


# -- the S3-triggered function's concurrency ----------------------------------------------------------
def _trigger(**kwargs):
    def build(stack: Stack):
        return ObjectTrigger(
            stack,
            "Files",
            lake=DataLake(stack, "Lake"),
            schema=RecordSchema.from_fields(Field("id")),
            **kwargs,
        )

    return scenario(build, compliance=False)


def test_the_processor_has_a_bounded_reserved_concurrency_by_default():
    built = _trigger()
    assert built.one("AWS::Lambda::Function")["ReservedConcurrentExecutions"] == 10


def test_the_reserved_concurrency_is_configurable_and_can_be_lifted():
    assert (
        _trigger(reserved_concurrency=50).one("AWS::Lambda::Function")["ReservedConcurrentExecutions"] == 50
    )
    assert "ReservedConcurrentExecutions" not in _trigger(reserved_concurrency=None).one(
        "AWS::Lambda::Function"
    )


def test_a_reserved_concurrency_out_of_range_is_refused():
    with pytest.raises(ValueError, match=r"Test/Files: invalid reserved_concurrency=0; allowed: 1..1000"):
        _trigger(reserved_concurrency=0)


# -- a notebook instance's network interface -------------------------------------------------------------
@pytest.fixture(scope="module")
def notebook():
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        vpc = private_vpc(stack, lake)
        return Notebook(stack, "Explore", lake=lake, vpc=vpc)

    return scenario(build)


def test_the_notebook_role_may_manage_its_network_interface_in_its_vpc_only(notebook):
    statements = notebook.policy_statements("ExploreRole")
    # The SageMaker execution-role page's list for a notebook instance in a private VPC.
    assert {
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcs",
    } <= actions_of(statements)
    (create,) = _statements_with(statements, "ec2:CreateNetworkInterface")
    text = json.dumps(create["Resource"])
    assert ":network-interface/*" in text and ":subnet/" in text and ":security-group/" in text
    (delete,) = _statements_with(statements, "ec2:DeleteNetworkInterface")
    assert "ec2:Vpc" in delete["Condition"]["ArnEquals"]
    assert notebook.problems == []


# -- DMS credentials under a customer-managed key -------------------------------------------------
def test_dms_may_decrypt_the_secret_with_its_customer_managed_key_through_secrets_manager():
    def build(stack: Stack):
        key = kms.Key.from_key_arn(stack, "SecretKey", KEY_ARN)
        return DatabaseIngest(
            stack,
            "Db",
            lake=DataLake(stack, "Lake"),
            engine=DatabaseEngine.MYSQL,
            credentials=secretsmanager.Secret.from_secret_complete_arn(stack, "Secret", SECRET),
            credentials_key=key,
            tables=TableSelection.include("sales"),
        )

    built = scenario(build)
    statements = built.policy_statements("SecretAccessRole")
    (decrypt,) = [
        s
        for s in statements
        if s["Resource"] == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    ]
    assert actions_of([decrypt]) == {"kms:Decrypt"}
    assert "secretsmanager." in json.dumps(decrypt["Condition"]["StringEquals"]["kms:ViaService"])
    assert built.problems == []


# -- built-in algorithm images --------------------------------------------------------------------
def test_built_in_algorithm_images_need_no_ecr_grant():
    """AWS: SageMaker pulls built-in algorithm images with its own credentials (the
    AlgorithmSpecification reference); an ECR grant would be dead weight."""

    def build(stack: Stack):
        return TrainingJob(
            stack,
            "Train",
            lake=DataLake(stack, "Lake"),
            image=XGBOOST,
            instance_type="ml.g5.2xlarge",
            gpu=True,
        )

    built = scenario(build, compliance=False)
    assert not [a for a in actions_of(built.policy_statements("TrainRole")) if a.startswith("ecr:")]
