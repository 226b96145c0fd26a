"""ml_constructs.testing: what users run in their own CI."""

from __future__ import annotations

import pytest
from aws_cdk import App, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from ml_constructs import DataLake
from ml_constructs.testing import (
    COMPLIANCE_CONTEXT,
    compliance_problems,
    normalize_template,
    stack_template,
)


def _lake_app() -> App:
    app = App(context=COMPLIANCE_CONTEXT)
    DataLake(Stack(app, "Lake"), "Lake")
    return app


def test_two_synths_of_the_same_app_normalize_to_the_same_template():
    assert stack_template(_lake_app(), "Lake") == stack_template(_lake_app(), "Lake")


def test_normalize_removes_volatile_parts():
    template = {
        "Resources": {
            "CDKMetadata": {"Type": "AWS::CDK::Metadata"},
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Metadata": {"aws:asset:path": "x"},
                "Properties": {"Code": {"S3Key": "0123456789abcdef" * 4 + ".zip"}},
            },
        },
        "Conditions": {"CDKMetadataAvailable": {}},
        "Parameters": {"BootstrapVersion": {}},
        "Rules": {"CheckBootstrapVersion": {}},
    }
    assert normalize_template(template) == {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Key": "<asset-hash>.zip"}}}
        }
    }


def test_compliance_passes_a_clean_app():
    assert compliance_problems(_lake_app()) == []


def test_compliance_reports_nag_findings_lint_warnings_and_custom_resources():
    app = App(context=COMPLIANCE_CONTEXT)
    stack = Stack(app, "Bad")
    s3.Bucket(stack, "Plain", removal_policy=RemovalPolicy.DESTROY, auto_delete_objects=True)
    queue = sqs.Queue(stack, "Q")
    queue.node.default_child.add_property_override("DelaySeconds", 9000)  # over the 900 s maximum
    problems = compliance_problems(app)
    assert any(p.startswith("cdk-nag: AwsSolutions-S10 at Bad/Plain") for p in problems)
    assert any(p.startswith("cdk-nag: AwsSolutions-SQS3 at Bad/Q") for p in problems)
    assert any(p.startswith("cfn-lint Bad: E3034") for p in problems), problems
    assert any(p.startswith("custom resource Bad: PlainAutoDeleteObjectsCustomResource") for p in problems)


def test_compliance_needs_the_reporting_context():
    with pytest.raises(ValueError, match="COMPLIANCE_CONTEXT"):
        compliance_problems(App())


def test_public_api_is_complete_and_lazy():
    """Every name in __all__ resolves; nothing is imported until it is asked for."""
    import subprocess
    import sys

    import ml_constructs

    assert sorted(ml_constructs.__all__) == sorted(ml_constructs._EXPORTS)
    for name in ml_constructs.__all__:
        assert getattr(ml_constructs, name) is not None, name
    probe = (
        "import sys, ml_constructs; from ml_constructs import DataLake; "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('ml_constructs.ml', 'aws_cdk.aws_sagemaker'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", loaded
