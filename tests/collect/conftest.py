"""Collect-stage fixtures: one synth per scenario gives the template and the compliance check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from ml_constructs.testing import COMPLIANCE_CONTEXT
from tests.harness import scenario


def synth_checked(build: Callable[[Stack], Any]) -> tuple[Template, Any, list[str]]:
    """Build in a fresh stack; return its Template, what ``build`` returned and the
    compliance problems (cdk-nag, cfn-lint, custom resources) of the same synth."""
    checked = scenario(build)
    return checked.template, checked.built, checked.problems


def raises(build: Callable[[Stack], Any]) -> str:
    """The message of the ValueError ``build`` raises in a fresh stack."""
    with pytest.raises(ValueError) as caught:
        build(Stack(App(context=COMPLIANCE_CONTEXT), "Test"))
    return str(caught.value)
