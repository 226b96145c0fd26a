"""The test harness every construct test uses: one synth per scenario, compliance included.

``scenario(build)`` builds in a fresh stack, runs cdk-nag + cfn-lint + the no-custom-resource
check over that one synth (``compliance=False`` skips them), and returns a :class:`Scenario`
to look into. ``build_error(build)`` returns the message of the ValueError a bad argument raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from ml_constructs.ml.service_model import (
    definitions_from_template,
    placeholders,
    state_machine_requests,
    validate_request,
)
from ml_constructs.testing import COMPLIANCE_CONTEXT, compliance_problems


@dataclass
class Scenario:
    stack: Stack
    template: Template
    built: Any
    problems: list[str]

    @property
    def json(self) -> dict[str, Any]:
        return self.template.to_json()

    def resolve(self, value: Any) -> Any:
        return self.stack.resolve(value)

    # -- resources ------------------------------------------------------------------------
    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return self.template.find_resources(type_)

    def one(self, type_: str, fragment: str = "") -> dict[str, Any]:
        """Properties of the one resource of ``type_`` whose logical id contains ``fragment``."""
        found = [r for lid, r in self.resources(type_).items() if fragment in lid]
        assert len(found) == 1, (type_, fragment, len(found))
        return found[0].get("Properties", {})

    def policy_statements(self, role_fragment: str) -> list[dict[str, Any]]:
        statements = []
        for logical_id, policy in self.resources("AWS::IAM::Policy").items():
            roles = json.dumps(policy["Properties"].get("Roles", []))
            if role_fragment in roles or role_fragment in logical_id:
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        return statements

    # -- state machines and SageMaker requests --------------------------------------------
    def definitions(self) -> dict[str, dict[str, Any]]:
        return definitions_from_template(self.json)

    def definition(self, fragment: str) -> dict[str, Any]:
        (found,) = [d for lid, d in self.definitions().items() if fragment in lid]
        return found

    def request_problems(self, operation: str, request: dict[str, Any]) -> list[str]:
        return validate_request(operation, placeholders(self.resolve(request)))

    def state_machine_problems(self) -> dict[str, list[str]]:
        """Every SageMaker request of every state machine, validated (logical id -> problems)."""
        result = {}
        for logical_id, definition in self.definitions().items():
            for operation, request in state_machine_requests(definition):
                result[f"{logical_id}:{operation}"] = validate_request(operation, request)
        return result


def scenario(build: Callable[[Stack], Any], *, compliance: bool = True) -> Scenario:
    """Build in a fresh stack; run cdk-nag + cfn-lint (when ``compliance``) on the same synth."""
    app = App(context=COMPLIANCE_CONTEXT)
    stack = Stack(app, "Test")
    built = build(stack)
    if not compliance:
        return Scenario(stack=stack, template=Template.from_stack(stack), built=built, problems=[])
    problems = compliance_problems(app)  # adds cdk-nag and synthesizes once
    template = Template.from_json(app.synth().get_stack_by_name("Test").template)
    return Scenario(stack=stack, template=template, built=built, problems=problems)


def build_error(build: Callable[[Stack], Any]) -> str:
    """The message of the ValueError ``build`` raises (validation happens in the constructor)."""
    stack = Stack(App(context=COMPLIANCE_CONTEXT), "Test")
    try:
        build(stack)
    except ValueError as error:
        return str(error)
    raise AssertionError("no ValueError raised")


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for statement in statements:
        action = statement["Action"]
        found.update([action] if isinstance(action, str) else action)
    return found


def find_state(definition: dict[str, Any], name: str) -> dict[str, Any]:
    return definition["States"][name]
