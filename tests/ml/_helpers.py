"""Shared test helpers for the ml constructs: one synth per scenario, compliance included."""

from __future__ import annotations

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
    """Build in a fresh stack; run cdk-nag + cfn-lint (when ``compliance``) and return it all."""
    app = App(context=COMPLIANCE_CONTEXT)
    stack = Stack(app, "Test")
    built = build(stack)
    problems = compliance_problems(app) if compliance else []
    return Scenario(stack=stack, template=Template.from_stack(stack), built=built, problems=problems)


def find_state(definition: dict[str, Any], name: str) -> dict[str, Any]:
    return definition["States"][name]
