"""EventBridge in the emulator matches like EventBridge: one upload, one run per matching rule."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.local.test_models import att, ref, role

PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


def lake_and_workflow() -> dict[str, Any]:
    """A bucket sending events to EventBridge, a state machine, and the two rules MlWorkflow
    makes: new data under ``sales/`` of this bucket, and a schedule."""
    target = [{"Arn": ref("Machine"), "Id": "workflow", "RoleArn": att("EventsRole", "Arn")}]
    return {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
            },
        },
        "Other": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
            },
        },
        "MachineRole": role("states.amazonaws.com"),
        "EventsRole": role("events.amazonaws.com"),
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {"DefinitionString": PASS, "RoleArn": att("MachineRole", "Arn")},
        },
        "NewData": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventPattern": {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {
                        "bucket": {"name": [ref("Bucket")]},
                        "object": {"key": [{"prefix": "sales/"}]},
                    },
                },
                "Targets": target,
            },
        },
        "Schedule": {
            "Type": "AWS::Events::Rule",
            "Properties": {"ScheduleExpression": "rate(1 day)", "Targets": target},
        },
    }


def executions(sfn: Any, machine: str) -> int:
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
    return sum(len(page["executions"]) for page in pages)


def test_each_matching_upload_starts_exactly_one_run(deploy) -> None:
    stack = deploy(lake_and_workflow())
    s3, sfn = stack.client("s3"), stack.client("stepfunctions")
    bucket, other, machine = stack.physical["Bucket"], stack.physical["Other"], stack.physical["Machine"]
    uploads = 20
    for i in range(uploads):
        s3.put_object(Bucket=bucket, Key=f"sales/part-{i}.csv", Body=b"id\n1\n")
    # none of these may start a run: another prefix, another bucket, tags, a delete
    s3.put_object(Bucket=bucket, Key="incoming/sales/a.csv", Body=b"id\n1\n")
    s3.put_object(Bucket=other, Key="sales/a.csv", Body=b"id\n1\n")
    s3.put_object_tagging(
        Bucket=bucket, Key="sales/part-0.csv", Tagging={"TagSet": [{"Key": "checked", "Value": "yes"}]}
    )
    s3.delete_object(Bucket=bucket, Key="sales/part-1.csv")
    deadline = time.time() + 30
    while time.time() < deadline and executions(sfn, machine) < uploads:
        time.sleep(0.2)
    time.sleep(1.0)  # deliveries are asynchronous: give any extra one time to arrive
    assert executions(sfn, machine) == uploads
    for key in [f"sales/part-{i}.csv" for i in range(uploads)] + ["incoming/sales/a.csv"]:
        s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_object(Bucket=other, Key="sales/a.csv")
    stack.delete()


def test_a_schedule_only_or_disabled_rule_receives_no_event(aws) -> None:
    from moto.events.models import EventPattern

    from ml_constructs.local.events import receives

    class Rule:
        def __init__(self, pattern: dict[str, Any] | None, state: str = "ENABLED") -> None:
            self.event_pattern = EventPattern.load(json.dumps(pattern) if pattern else None)
            self.state = state

    event = {"source": "aws.s3", "detail-type": "Object Created", "detail": {"bucket": {"name": "b"}}}
    assert receives(Rule({"source": ["aws.s3"]}), event)
    assert not receives(Rule(None), event)  # ScheduleExpression only
    assert not receives(Rule({"source": ["aws.s3"]}, state="DISABLED"), event)
    assert not receives(Rule({"detail-type": ["Object Tags Added"]}), event)


def test_put_events_reaches_only_matching_rules_and_test_event_pattern_agrees(deploy) -> None:
    stack = deploy(
        {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Matching": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {"source": ["ml.test"]},
                    "Targets": [{"Arn": att("Queue", "Arn"), "Id": "q"}],
                },
            },
            "Scheduled": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "ScheduleExpression": "rate(1 hour)",
                    "Targets": [{"Arn": att("Queue", "Arn"), "Id": "q"}],
                },
            },
        }
    )
    events, sqs = stack.client("events"), stack.client("sqs")
    entry = {"Source": "ml.test", "DetailType": "t", "Detail": "{}"}
    events.put_events(Entries=[entry, {**entry, "Source": "ml.other"}])
    url = stack.physical["Queue"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
        "Messages", []
    )
    assert [json.loads(m["Body"])["source"] for m in messages] == ["ml.test"]
    event = json.dumps(
        {
            "source": "ml.other",
            "detail-type": "t",
            "detail": {},
            "id": "1",
            "account": "1",
            "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "version": "0",
        }
    )
    assert (
        events.test_event_pattern(EventPattern=json.dumps({"source": ["ml.test"]}), Event=event)["Result"]
        is False
    )
    stack.delete()


def test_the_smoke_counts_executions_over_every_page(aws) -> None:
    from ml_constructs.local.smoke import _executions

    sfn = aws.client("stepfunctions")
    iam = aws.client("iam")
    role_arn = iam.create_role(
        RoleName="smoke-count",
        AssumeRolePolicyDocument=json.dumps(
            role("states.amazonaws.com")["Properties"]["AssumeRolePolicyDocument"]
        ),
    )["Role"]["Arn"]
    machine = sfn.create_state_machine(name="smoke-count", definition=PASS, roleArn=role_arn)[
        "stateMachineArn"
    ]
    for i in range(130):
        sfn.start_execution(stateMachineArn=machine, name=f"run-{i}")
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 100  # one page
    assert _executions(sfn, machine) == 130
    sfn.delete_state_machine(stateMachineArn=machine)
    iam.delete_role(RoleName="smoke-count")
