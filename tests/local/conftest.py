"""Fixtures for the embedded emulator: one in-process server per test session."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ml_constructs.local import LocalAws
from ml_constructs.local.deployment import LocalDeployment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def aws() -> Iterator[LocalAws]:
    with LocalAws() as emulator:
        yield emulator


def reference_app(
    aws: LocalAws, assembly: Path, context: Mapping[str, str] | None = None
) -> Iterator[LocalDeployment]:
    """The reference app deployed with the real CDK CLI (``context`` over the local context), for
    a module fixture to yield; destroyed after. Workflow waits and retry intervals run at 1/100
    of AWS's (the endpoint polls wait a minute on AWS)."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: the CDK CLI cannot run")
    os.environ.setdefault("ML_CONSTRUCTS_LOCAL_SFN_TIME_SCALE", "0.01")
    log: list[str] = []
    deployment = LocalDeployment(
        aws, project=ROOT, assembly=assembly, log=log.append, context=dict(context or {})
    )
    deployment.synth()
    deployment.bootstrap()
    deployment.deploy()
    yield deployment
    deployment.destroy()


@dataclass
class Deployed:
    """A test stack in the emulator: its outputs and the physical id of each resource."""

    aws: LocalAws
    name: str
    outputs: dict[str, str]
    physical: dict[str, str]

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    def update(self, resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> Deployed:
        cfn = self.aws.client("cloudformation")
        cfn.update_stack(StackName=self.name, TemplateBody=_template(resources, outputs))
        return _describe(self.aws, self.name)

    def delete(self) -> None:
        cfn = self.aws.client("cloudformation")
        stack_id = cfn.describe_stacks(StackName=self.name)["Stacks"][0]["StackId"]
        cfn.delete_stack(StackName=self.name)
        assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


def _template(resources: dict[str, Any], outputs: dict[str, Any] | None) -> str:
    template: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    if outputs:
        template["Outputs"] = {key: {"Value": value} for key, value in outputs.items()}
    return json.dumps(template)


def _describe(aws: LocalAws, name: str) -> Deployed:
    cfn = aws.client("cloudformation")
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
    }
    return Deployed(aws, name, outputs, physical)


@pytest.fixture
def deploy(aws: LocalAws):
    """``deploy(resources, outputs)``: create a stack from a tiny template; returns Deployed."""

    def create(resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> Deployed:
        name = f"t-{uuid.uuid4().hex[:10]}"
        aws.client("cloudformation").create_stack(StackName=name, TemplateBody=_template(resources, outputs))
        return _describe(aws, name)

    return create
