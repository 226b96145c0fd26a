"""A state machine created by a CloudFormation stack executes: from the API, from an
EventBridge rule target, from a Scheduler schedule and from another machine's task."""

from __future__ import annotations

import json
import time
import uuid

from ml_constructs.local.stepfunctions import fire_schedule
from tests.local.stepfunctions.conftest import execute, make_role, task, wait
from tests.local.test_models import att, ref

DEFINITION = {
    "Fn::Join": [
        "",
        [
            '{"StartAt":"Greet","States":{"Greet":{"Type":"Pass","Parameters":{"greeting.$":',
            "\"States.Format('hello {} from ",
            {"Ref": "AWS::Region"},
            ' \\\\{stack\\\\}\', $.name)"},"End":true}}}',
        ],
    ]
}


def stack_resources(source: str) -> dict:
    return {
        "MachineRole": {
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
                }
            },
        },
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"DefinitionString": DEFINITION, "RoleArn": att("MachineRole", "Arn")},
        },
        "Rule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventPattern": {"source": [source]},
                "Targets": [
                    {
                        "Arn": ref("Machine"),
                        "Id": "machine",
                        "InputTransformer": {
                            "InputPathsMap": {"name": "$.detail.name"},
                            "InputTemplate": '{"name": "<name>"}',
                        },
                    }
                ],
            },
        },
    }


def executions(aws, machine_arn: str, count: int, timeout: float = 15) -> list[dict]:
    sfn = aws.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        found = sfn.list_executions(stateMachineArn=machine_arn)["executions"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_stack_machine_executes_from_api_rules_schedules_and_tasks(deploy, aws):
    source = f"test.{uuid.uuid4().hex[:8]}"
    stack = deploy(stack_resources(source), {"MachineArn": ref("Machine")})
    machine = stack.outputs["MachineArn"]
    sfn = aws.client("stepfunctions")
    assert sfn.describe_state_machine(stateMachineArn=machine)["stateMachineArn"] == machine

    # the API
    started = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"name": "api"}))
    run = wait(aws, started["executionArn"])
    assert run.status == "SUCCEEDED", run.description
    assert run.output == {"greeting": "hello api from us-east-1 {stack}"}

    # an EventBridge rule target (asynchronous, as on AWS)
    aws.client("events").put_events(
        Entries=[{"Source": source, "DetailType": "test", "Detail": json.dumps({"name": "rule"})}]
    )
    found = executions(aws, machine, 2)
    assert len(found) == 2
    outputs = {json.dumps(wait(aws, e["executionArn"]).output) for e in found}
    assert json.dumps({"greeting": "hello rule from us-east-1 {stack}"}) in outputs

    # a Scheduler schedule's tick, signed as the schedule's role
    schedule = f"s-{uuid.uuid4().hex[:8]}"
    aws.client("scheduler").create_schedule(
        Name=schedule,
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": machine,
            "RoleArn": make_role(aws, ["states:StartExecution"], service="scheduler.amazonaws.com"),
            "Input": json.dumps({"name": "schedule"}),
        },
    )
    execution_arn = fire_schedule(schedule)
    assert execution_arn is not None
    assert wait(aws, execution_arn).output == {"greeting": "hello schedule from us-east-1 {stack}"}

    # another machine's states:startExecution.sync:2 task
    parent = task(
        "arn:aws:states:::states:startExecution.sync:2",
        {"StateMachineArn": machine, "Input": {"name": "task"}},
    )
    run = execute(aws, parent, role_arn=make_role(aws, ["states:StartExecution", "states:DescribeExecution"]))
    assert run.status == "SUCCEEDED", run.description
    assert run.output["Output"] == {"greeting": "hello task from us-east-1 {stack}"}


def test_a_stack_update_changes_what_runs(deploy, aws):
    stack = deploy(stack_resources("test.update"), {"MachineArn": ref("Machine")})
    machine = stack.outputs["MachineArn"]
    resources = stack_resources("test.update")
    resources["Machine"]["Properties"]["DefinitionString"] = json.dumps(
        {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": "updated", "End": True}}}
    )
    stack.update(resources, {"MachineArn": ref("Machine")})
    started = aws.client("stepfunctions").start_execution(stateMachineArn=machine)
    run = wait(aws, started["executionArn"])
    assert run.status == "SUCCEEDED", run.description
    assert run.output == "updated"
