"""One name for one idea: ``vpc_subnets`` everywhere (``subnets=`` kept one release with a
deprecation warning), ``role=`` on the constructs that create an execution role."""

from __future__ import annotations

import inspect
import warnings

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

import ml_constructs
from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.notebook import Notebook
from ml_constructs.ml.training_job import TrainingJob
from ml_constructs.store.data_lake import DataLake

XGBOOST = SageMakerImage.built_in("xgboost", "1.7-1")


def vpc_stack() -> tuple[Stack, DataLake, ec2.Vpc]:
    stack = Stack(App(), "Words")
    return stack, DataLake(stack, "Lake"), ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)


def train(stack, lake, vpc, **kwargs) -> TrainingJob:
    return TrainingJob(
        stack, "Train", lake=lake, image=XGBOOST, instance_type="ml.m5.xlarge", vpc=vpc, **kwargs
    )


def test_no_public_construct_takes_subnets_by_another_name():
    for name in ml_constructs.__all__:
        construct = getattr(ml_constructs, name)
        if not inspect.isclass(construct):
            continue
        parameters = inspect.signature(construct.__init__).parameters
        assert "subnet_selection" not in parameters, name
        if "vpc" in parameters:
            assert "vpc_subnets" in parameters, f"{name} takes a vpc but no vpc_subnets"


def test_vpc_subnets_selects_the_training_subnets():
    stack, lake, vpc = vpc_stack()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name warns about nothing
        job = train(stack, lake, vpc, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC))
    assert job.subnet_ids == [s.subnet_id for s in vpc.public_subnets]


def test_the_old_subnets_name_still_works_and_warns():
    stack, lake, vpc = vpc_stack()
    with pytest.warns(
        DeprecationWarning, match=r"Words/Train: the argument subnets= is deprecated.*vpc_subnets="
    ):
        job = train(stack, lake, vpc, subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC))
    assert job.subnet_ids == [s.subnet_id for s in vpc.public_subnets]


def test_old_and_new_name_together_fail():
    stack, lake, vpc = vpc_stack()
    selection = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
    with pytest.raises(ValueError, match="Words/Train: invalid subnets/vpc_subnets=.*only one of them"):
        train(stack, lake, vpc, subnets=selection, vpc_subnets=selection)


def test_notebook_takes_your_own_role():
    stack, lake, _ = vpc_stack()
    vpc = ec2.Vpc(
        stack,
        "Private",
        max_azs=1,
        nat_gateways=1,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC),
            ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        ],
    )
    role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    notebook = Notebook(stack, "Notebook", lake=lake, vpc=vpc, role=role)
    assert notebook.role is role
    template = App.of(stack).synth().get_stack_by_name("Words").template
    role_ref = {"Ref": stack.get_logical_id(role.node.default_child)}
    attached = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and role_ref in r["Properties"]["Roles"]
    ]
    # Added to your role: the auto-stop's own policy (stop and describe this instance), and, in a
    # VPC, the network interface of this instance (what SageMaker's execution-role page lists).
    assert len(attached) == 2
    actions = {
        a
        for policy in attached
        for s in policy["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"sagemaker:StopNotebookInstance", "sagemaker:DescribeNotebookInstance"} <= actions
    assert "ec2:CreateNetworkInterface" in actions
    assert not any(a.startswith("s3:") for a in actions)
    (instance,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::NotebookInstance"
    ]
    assert instance["Properties"]["RoleArn"] == {"Fn::GetAtt": [role_ref["Ref"], "Arn"]}


def test_stream_ingest_takes_your_own_delivery_role():
    from ml_constructs import Field, RecordSchema, StreamIngest

    stack, lake, _ = vpc_stack()
    role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
    ingest = StreamIngest(stack, "Clicks", lake=lake, schema=RecordSchema.from_fields(Field("id")), role=role)
    assert ingest.role is role
    template = App.of(stack).synth().get_stack_by_name("Words").template
    role_ref = {"Ref": stack.get_logical_id(role.node.default_child)}
    assert not [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and role_ref in r["Properties"]["Roles"]
    ]
    (delivery,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::KinesisFirehose::DeliveryStream"
    ]
    config = delivery["Properties"]["ExtendedS3DestinationConfiguration"]
    assert config["RoleARN"] == {"Fn::GetAtt": [role_ref["Ref"], "Arn"]}


def test_database_ingest_takes_your_own_dms_roles():
    from aws_cdk import aws_secretsmanager as secretsmanager

    from ml_constructs import DatabaseEngine, DatabaseIngest, TableSelection

    stack, lake, vpc = vpc_stack()
    dms = iam.ServicePrincipal("dms.amazonaws.com")
    target, reader = iam.Role(stack, "Target", assumed_by=dms), iam.Role(stack, "Reader", assumed_by=dms)
    ingest = DatabaseIngest(
        stack,
        "Orders",
        lake=lake,
        engine=DatabaseEngine.POSTGRES,
        database_name="shop",
        credentials=secretsmanager.Secret.from_secret_name_v2(stack, "Db", "shop/dms"),
        tables=TableSelection.include("sales"),
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        target_role=target,
        secret_access_role=reader,
    )
    assert ingest.target_role is target and ingest.secret_access_role is reader
    template = App.of(stack).synth().get_stack_by_name("Words").template
    for role in (target, reader):
        ref = {"Ref": stack.get_logical_id(role.node.default_child)}
        assert not [
            r
            for r in template["Resources"].values()
            if r["Type"] == "AWS::IAM::Policy" and ref in r["Properties"]["Roles"]
        ]
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) == 2  # only yours: the construct made none
