"""Shared fixtures: synthesize once per test session, validator off (one test turns it on)."""

from __future__ import annotations

import os

os.environ.setdefault("CDK_VALIDATION", "false")  # aws-cdk-lib's built-in validator: 3-9 s a synth
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from aws_cdk import App, Stack  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from aws_cdk.cx_api import CloudAssembly  # noqa: E402

from ml_constructs.testing import COMPLIANCE_CONTEXT, templates  # noqa: E402
from stacks.app import build_app  # noqa: E402
from tests.harness import scenario  # noqa: E402


@pytest.fixture(scope="session")
def reference_app() -> App:
    """The reference app, built once, with cdk-nag findings reported (not raised)."""
    return build_app(App(context=COMPLIANCE_CONTEXT))


@pytest.fixture(scope="session")
def reference_assembly(reference_app: App) -> CloudAssembly:
    """The reference app's cloud assembly (``App.synth`` caches it)."""
    return reference_app.synth()


@pytest.fixture(scope="session")
def reference_templates(reference_assembly: CloudAssembly) -> dict[str, dict[str, Any]]:
    return templates(reference_assembly)


def synth_stack(build: Callable[[Stack], Any]) -> tuple[Template, Any]:
    """Build one construct (or several) in a fresh stack; return its Template and what
    ``build`` returned, without compliance checks (see ``tests.harness.scenario``). Use inside
    module-scoped fixtures so each scenario synthesizes once."""
    built = scenario(build, compliance=False)
    return built.template, built.built


_LOCAL = os.path.join("tests", "local") + os.sep


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test of the embedded emulator (tests/local) is an end-to-end test: marked ``local``,
    it runs in ``make test-e2e`` rather than in the fast ``make test``."""
    for item in items:
        if _LOCAL in str(item.path):
            item.add_marker(pytest.mark.local)
