"""Role-signed calls are authorized the way local.iam documents it: actions always, resources
only where moto knows them, CloudFormation's inline policies read."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from ml_constructs.local import iam
from tests.local.stepfunctions.conftest import execute, task
from tests.local.test_models import att, ref


def role_with(aws, statements: list[dict]) -> str:
    client = aws.client("iam")
    name = f"p-{uuid.uuid4().hex[:10]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = client.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    client.put_role_policy(
        RoleName=name,
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    return str(arn)


def test_least_privilege_statements_allow_their_actions(aws):
    """A statement on specific resources, with a condition moto cannot evaluate, allows its
    actions (moto passes no resource for Glue); other actions stay denied."""
    role = role_with(
        aws,
        [
            {
                "Effect": "Allow",
                "Action": ["glue:GetCrawler"],
                "Resource": "arn:aws:glue:us-east-1:123456789012:crawler/features-*",
                "Condition": {"StringEquals": {"aws:ResourceAccount": "123456789012"}},
            }
        ],
    )
    glue = iam.client_as(role, "glue")
    with pytest.raises(ClientError) as missing:
        glue.get_crawler(Name="features-nightly")
    assert missing.value.response["Error"]["Code"] == "EntityNotFoundException"  # authorized, then not found
    with pytest.raises(ClientError) as denied:
        glue.get_crawlers()
    assert "glue:GetCrawlers" in str(denied.value)


def test_explicit_deny_still_wins(aws):
    role = role_with(
        aws,
        [
            {"Effect": "Allow", "Action": "glue:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "glue:GetCrawler", "Resource": "*"},
        ],
    )
    run = execute(aws, task("arn:aws:states:::aws-sdk:glue:getCrawler", {"Name": "any"}), role_arn=role)
    assert run.status == "FAILED"
    assert run.error == "Glue.AccessDeniedException"


def test_inline_policies_of_a_stack_role_authorize_its_machine(deploy, aws):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "states:ListExecutions",
                "Resource": "arn:aws:states:us-east-1:123456789012:stateMachine:*",
            }
        ],
    }
    stack = deploy(
        {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "states.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "Policies": [{"PolicyName": "inline", "PolicyDocument": policy}],
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": att("Role", "Arn"),
                    "DefinitionString": json.dumps(
                        task(
                            "arn:aws:states:::aws-sdk:sfn:listExecutions",
                            {"StateMachineArn.$": "$$.StateMachine.Id"},
                            ResultSelector={"running.$": "States.ArrayLength($.Executions)"},
                        )
                    ),
                },
            },
        },
        {"Machine": ref("Machine")},
    )
    sfn = aws.client("stepfunctions")
    from tests.local.stepfunctions.conftest import wait

    run = wait(aws, sfn.start_execution(stateMachineArn=stack.outputs["Machine"])["executionArn"])
    assert run.status == "SUCCEEDED", run.description
    assert run.output == {"running": 1}


def test_managed_policy_arns_of_a_stack_role_apply(deploy, aws):
    """moto ignored ManagedPolicyArns; the CDK deploy role needs AWSCloudFormationReadOnlyAccess."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    stack = deploy(
        {
            "Reader": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": trust,
                    "ManagedPolicyArns": [
                        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSCloudFormationReadOnlyAccess"}
                    ],
                },
            },
            "Nobody": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust}},
        },
        {"Reader": att("Reader", "Arn"), "Nobody": att("Nobody", "Arn")},
    )
    stacks = iam.client_as(stack.outputs["Reader"], "cloudformation").describe_stacks(StackName=stack.name)
    assert stacks["Stacks"][0]["StackName"] == stack.name
    with pytest.raises(ClientError) as denied:
        iam.client_as(stack.outputs["Nobody"], "cloudformation").describe_stacks(StackName=stack.name)
    assert "cloudformation:DescribeStacks" in str(denied.value)
