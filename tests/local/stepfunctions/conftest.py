"""Helpers to run state machines in the session's emulator and read what they did."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from ml_constructs.local import LocalAws

ACCOUNT = "123456789012"


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """.sync tasks poll their describe API every 50 ms here."""
    monkeypatch.setenv("ML_CONSTRUCTS_LOCAL_SFN_POLL_SECONDS", "0.05")


def make_role(aws: LocalAws, actions: Iterable[str], *, service: str = "states.amazonaws.com") -> str:
    """A role allowed ``actions`` on every resource (what moto's evaluator matches anyway)."""
    iam = aws.client("iam")
    name = f"r-{uuid.uuid4().hex[:10]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if actions:
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": sorted(actions), "Resource": "*"}],
        }
        iam.put_role_policy(RoleName=name, PolicyName="grants", PolicyDocument=json.dumps(policy))
    return str(arn)


@dataclass
class Run:
    """One finished execution: describe_execution's answer and its history."""

    description: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def status(self) -> str:
        return str(self.description["status"])

    @property
    def output(self) -> Any:
        return json.loads(self.description["output"]) if "output" in self.description else None

    @property
    def error(self) -> str | None:
        return self.description.get("error")

    @property
    def cause(self) -> str:
        return str(self.description.get("cause") or "")

    def details(self, event_type: str) -> list[dict[str, Any]]:
        """The details of every event of ``event_type`` (e.g. ``TaskFailed``), in order."""
        found = []
        for event in self.events:
            if event["type"] == event_type:
                found += [v for k, v in event.items() if k.endswith("EventDetails")]
        return found


def wait(aws: LocalAws, execution_arn: str, timeout: float = 30) -> Run:
    sfn = aws.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        description = sfn.describe_execution(executionArn=execution_arn)
        if description["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert description["status"] != "RUNNING", f"{execution_arn} still running after {timeout} s"
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return Run(description, events)


def create_machine(aws: LocalAws, definition: dict[str, Any], role_arn: str) -> str:
    sfn = aws.client("stepfunctions")
    name = f"m-{uuid.uuid4().hex[:10]}"
    return str(
        sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role_arn)[
            "stateMachineArn"
        ]
    )


def execute(
    aws: LocalAws,
    definition: dict[str, Any],
    *,
    role_arn: str | None = None,
    input: Any = None,
    timeout: float = 30,
) -> Run:
    """Create a machine for ``definition`` (role: ``role_arn`` or one without permissions), run it
    once on ``input`` and wait for the end."""
    machine = create_machine(aws, definition, role_arn or make_role(aws, []))
    started = aws.client("stepfunctions").start_execution(
        stateMachineArn=machine, input=json.dumps(input if input is not None else {})
    )
    return wait(aws, started["executionArn"], timeout)


def task(resource: str, parameters: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A one-state machine: a Task on ``resource``."""
    state: dict[str, Any] = {"Type": "Task", "Resource": resource, "End": True, **fields}
    if parameters is not None:
        state["Parameters"] = parameters
    return {"StartAt": "Task", "States": {"Task": state}}
