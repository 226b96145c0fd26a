"""Every resource type of the full reference app, in the shapes CDK synthesizes, through the
emulator's CloudFormation: all created (checked in each service's API), all deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, DefaultStackSynthesizer, Stack

from ml_constructs.local import LocalAws
from ml_constructs.local.coverage import TARGET_TYPES, format_support, type_support
from ml_constructs.local.inventory import stacks_in_assembly, still_present, take_inventory
from tests.local import cdk_shapes


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("shapes")
    app = App(outdir=str(outdir), analytics_reporting=True)
    stack = Stack(app, "Shapes", synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False))
    cdk_shapes.build(stack)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def template(assembly: Path) -> dict[str, Any]:
    return dict(stacks_in_assembly(assembly))["Shapes"]


def test_the_stack_holds_every_target_type(template: dict[str, Any]) -> None:
    types = {r["Type"] for r in template["Resources"].values()}
    assert sorted(set(TARGET_TYPES) - types) == []
    assert sorted(types - set(TARGET_TYPES)) == []


def test_every_target_type_is_known_to_the_emulator_and_the_inventory() -> None:
    rows = type_support()
    assert [r.type for r in rows if r.status == "MISSING" or not r.checked] == [], format_support(rows)


def test_all_resources_exist_in_their_services_then_go_with_the_stack(
    aws: LocalAws, assembly: Path, template: dict[str, Any]
) -> None:
    import json

    cloudformation = aws.client("cloudformation")
    cloudformation.create_stack(StackName="Shapes", TemplateBody=json.dumps(template))
    inventory = take_inventory(assembly)
    assert inventory.missing == [], inventory.format()
    assert len(inventory.rows) == len(template["Resources"]) > 100
    cloudformation.delete_stack(StackName="Shapes")
    assert still_present(inventory) == []
