"""What enterprise accounts ask of the reference app: CDK's own permissions boundary reaches every
role the library creates, and the stack's tags reach every SageMaker resource the workflows create
at run time (cost allocation)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack, Tags
from aws_cdk import aws_iam as iam

from ml_constructs.ml.service_model import definitions_from_template, state_machine_requests
from ml_constructs.testing import templates
from stacks.app import build_app

BOUNDARY = "ml-permissions-boundary"
TAGS = {"cost-center": "ml-42", "team": "forecasting"}


@pytest.fixture(scope="module")
def knob_templates() -> dict[str, dict[str, Any]]:
    app = App()
    build_app(app, nag=False)
    (stack,) = [c for c in app.node.children if isinstance(c, Stack)]
    boundary = iam.ManagedPolicy.from_managed_policy_name(stack, "Boundary", BOUNDARY)
    iam.PermissionsBoundary.of(app).apply(boundary)  # the whole app, as an account rule asks
    for key, value in TAGS.items():
        Tags.of(app).add(key, value)
    return templates(app.synth())


def test_permissions_boundary_reaches_every_role(knob_templates):
    roles = 0
    for name, template in knob_templates.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::User"):
                roles += 1
                boundary = resource["Properties"].get("PermissionsBoundary")
                assert boundary is not None, f"{name}/{logical_id} has no permissions boundary"
                assert BOUNDARY in str(boundary), (logical_id, boundary)
    assert roles >= 10, roles  # the app creates many roles: the check saw them


def test_stack_tags_reach_every_sagemaker_resource_created_at_run_time(knob_templates):
    creates: dict[str, int] = {}
    for template in knob_templates.values():
        for logical_id, definition in definitions_from_template(template).items():
            for operation, request in state_machine_requests(definition):
                if not operation.startswith("Create"):
                    continue
                creates[operation] = creates.get(operation, 0) + 1
                tags = {t["Key"]: t["Value"] for t in request.get("Tags", [])}
                assert tags.items() >= TAGS.items(), (logical_id, operation, request.get("Tags"))
    # Every kind of SageMaker resource the reference workflows create is covered.
    assert {
        "CreateTrainingJob",
        "CreateHyperParameterTuningJob",
        "CreateTransformJob",
        "CreateModel",
        "CreateEndpointConfig",
        "CreateEndpoint",
        "CreateModelPackage",
    } <= set(creates), creates
