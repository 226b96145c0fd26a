"""The reference app as a whole: snapshots for drift, compliance, CDK's own validator."""

from __future__ import annotations

import pytest
from aws_cdk import App
from syrupy.extensions.json import JSONSnapshotExtension

from ml_constructs.testing import (
    COMPLIANCE_CONTEXT,
    acknowledgments,
    custom_resources,
    lint_problems,
    nag_findings,
    normalize_template,
)
from stacks.app import build_app


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def test_the_app_has_its_stacks(reference_templates):
    assert sorted(reference_templates) == ["MlConstructs"]


def test_snapshot_of_every_stack(reference_templates, json_snapshot):
    """Drift guard: review the diff and run `make snapshot-update` when a change is intended."""
    for name, template in sorted(reference_templates.items()):
        assert normalize_template(template) == json_snapshot(name=name)


def test_no_open_cdk_nag_findings(reference_assembly):
    assert nag_findings(reference_assembly) == []


@pytest.mark.parametrize("name", ["MlConstructs"])
def test_cfn_lint_clean(reference_templates, name):
    assert lint_problems(reference_templates[name]) == []


def test_no_custom_resources(reference_templates):
    for name, template in reference_templates.items():
        assert custom_resources(template) == [], name


def test_every_acknowledgment_is_granular_and_has_a_specific_reason(reference_app, reference_assembly):
    found = acknowledgments(reference_app)
    assert found, "the app acknowledges at least the access-log bucket's S1"
    for path, rule, reason in found:
        assert len(reason) >= 60, (path, rule, reason)
        if rule.startswith("AwsSolutions-IAM5"):
            assert "[" in rule, f"{path}: IAM5 must be acknowledged finding by finding, not as a whole"


def test_synth_with_cdk_builtin_validator_and_default_rules(monkeypatch, tmp_path):
    """One synth with aws-cdk-lib's CloudFormation validator on (3-9 s), default rules included."""
    monkeypatch.delenv("CDK_VALIDATION", raising=False)
    app = App(
        outdir=str(tmp_path),
        builtin_cloud_formation_validation=True,
        context={**COMPLIANCE_CONTEXT, "@aws-cdk/core:validateAgainstDefaultRules": True},
    )
    assembly = build_app(app, nag=False).synth()
    assert nag_findings(assembly) == []


def test_every_sagemaker_request_in_the_app_is_valid(reference_templates):
    """Training, tuning, transform, model, endpoint config: each request inside each synthesized
    state machine passes botocore's SageMaker model (shapes, types, enums, ranges, patterns)."""
    from ml_constructs.ml.service_model import (
        definitions_from_template,
        state_machine_requests,
        validate_request,
    )

    operations, problems = set(), {}
    for name, template in reference_templates.items():
        for logical_id, definition in definitions_from_template(template).items():
            for operation, request in state_machine_requests(definition):
                operations.add(operation)
                problems[f"{name}/{logical_id}:{operation}"] = validate_request(operation, request)
    assert {
        "CreateTrainingJob",
        "CreateHyperParameterTuningJob",
        "CreateTransformJob",
        "CreateModel",
        "CreateEndpointConfig",
    } <= operations, operations
    assert {k: v for k, v in problems.items() if v} == {}
