"""Synthesize a process-stage scenario once, with cdk-nag + cfn-lint, and look into it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

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


def scenario(build: Callable[[Stack], Any], *, compliance: bool = True) -> Scenario:
    """Build in a fresh stack; run cdk-nag + cfn-lint (when ``compliance``)."""
    app = App(context=COMPLIANCE_CONTEXT)
    stack = Stack(app, "Test")
    built = build(stack)
    problems = compliance_problems(app) if compliance else []
    return Scenario(stack=stack, template=Template.from_stack(stack), built=built, problems=problems)


def build_error(build: Callable[[Stack], Any]) -> str:
    """The message of the ValueError ``build`` raises (no synth: validation happens in the
    constructor)."""
    app = App(context=COMPLIANCE_CONTEXT)
    stack = Stack(app, "Test")
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
