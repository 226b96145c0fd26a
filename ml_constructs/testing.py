"""Helpers for testing CDK stacks built with ml-constructs (or any CDK stacks).

Snapshot tests: :func:`normalize_template` removes what changes between otherwise identical
synths (asset hashes, ``CDKMetadata``, the bootstrap-version parameter and rule, resource
``Metadata``), and :func:`stack_template` returns a stack's normalized template, ready for a
syrupy ``snapshot`` or a plain JSON file::

    def test_my_stack(snapshot):
        assert stack_template(app, "MyStack") == snapshot

Compliance: :func:`compliance_problems` runs cdk-nag (AwsSolutions), cfn-lint and a
no-``Custom::``-resource check over every stack of an app and returns one line per problem::

    app = App(context=COMPLIANCE_CONTEXT)
    MyStack(app, "MyStack")
    assert compliance_problems(app) == []

Neither needs AWS credentials or network.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations, cx_api

# Synth keeps going on cdk-nag findings so they can be read from the validation report.
COMPLIANCE_CONTEXT: dict[str, Any] = {"@aws-cdk/core:failSynthOnValidationErrors": False}

_ASSET_HASH = re.compile(r"[0-9a-f]{64}")
_PLACEHOLDER = "<asset-hash>"


def normalize_template(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``template`` without the parts that change between identical synths."""
    result = json.loads(_ASSET_HASH.sub(_PLACEHOLDER, json.dumps(template)))
    resources = result.get("Resources", {})
    resources.pop("CDKMetadata", None)
    for resource in resources.values():
        resource.pop("Metadata", None)
    conditions = result.get("Conditions", {})
    conditions.pop("CDKMetadataAvailable", None)
    if not conditions:
        result.pop("Conditions", None)
    parameters = result.get("Parameters", {})
    parameters.pop("BootstrapVersion", None)
    if not parameters:
        result.pop("Parameters", None)
    rules = result.get("Rules", {})
    rules.pop("CheckBootstrapVersion", None)
    if not rules:
        result.pop("Rules", None)
    return result


def synth(app: App) -> cx_api.CloudAssembly:
    """Synthesize ``app`` once (later calls return the same cloud assembly)."""
    return app.synth()


def templates(assembly: cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    """Every stack's template in ``assembly``, by stack name (nested stages included)."""
    found: dict[str, dict[str, Any]] = {}
    for artifact in assembly.stacks_recursively:
        found[artifact.stack_name] = artifact.template
    return found


def stack_template(app_or_assembly: App | cx_api.CloudAssembly, stack_name: str) -> dict[str, Any]:
    """The normalized template of one stack, for snapshots."""
    assembly = app_or_assembly.synth() if isinstance(app_or_assembly, App) else app_or_assembly
    return normalize_template(templates(assembly)[stack_name])


def nag_findings(assembly: cx_api.CloudAssembly) -> list[str]:
    """Open cdk-nag (and other policy-validation plugin) findings as ``rule at path`` lines.

    The app needs :data:`COMPLIANCE_CONTEXT`; without it a finding already failed the synth.
    """
    report_path = Path(assembly.directory) / "validation-report.json"
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text())
    lines = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                lines.append(f"{violation['ruleName']} at {construct['constructPath']}")
    return sorted(lines)


def lint_problems(template: dict[str, Any], *, regions: Iterable[str] = ("us-east-1",)) -> list[str]:
    """cfn-lint errors and warnings (informational matches excluded) for one template."""
    from cfnlint.api import lint
    from cfnlint.config import ManualArgs

    matches = lint(
        json.dumps(template),
        config=ManualArgs(regions=list(regions)),
    )
    return sorted(
        f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})"
        for m in matches
        if m.rule.severity.lower() in ("error", "warning")
    )


def custom_resources(template: dict[str, Any]) -> list[str]:
    """Logical IDs of ``Custom::`` / ``AWS::CloudFormation::CustomResource`` resources."""
    return sorted(
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"].startswith("Custom::")
        or resource["Type"] == "AWS::CloudFormation::CustomResource"
    )


def compliance_problems(app_or_assembly: App | cx_api.CloudAssembly) -> list[str]:
    """Everything that stops a stack from being compliant, as readable lines (empty = pass).

    Runs cdk-nag AwsSolutions (added here when the app has no validation plugin yet), cfn-lint
    on every template, and the no-custom-resource rule.
    """
    if isinstance(app_or_assembly, App):
        app = app_or_assembly
        if app.node.try_get_context("@aws-cdk/core:failSynthOnValidationErrors") is not False:
            raise ValueError(
                "create the App with context=ml_constructs.testing.COMPLIANCE_CONTEXT so cdk-nag "
                "findings are reported rather than failing the synth"
            )
        _ensure_nag(app)
        assembly = app.synth()
    else:
        assembly = app_or_assembly
    problems = [f"cdk-nag: {line}" for line in nag_findings(assembly)]
    for name, template in templates(assembly).items():
        problems += [f"cfn-lint {name}: {line}" for line in lint_problems(template)]
        problems += [f"custom resource {name}: {line}" for line in custom_resources(template)]
    return problems


def _ensure_nag(app: App) -> None:
    from cdk_nag import AwsSolutionsChecks

    if not getattr(app, "_ml_constructs_nag", False):
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
        app._ml_constructs_nag = True  # type: ignore[attr-defined]


def acknowledgments(app: App) -> list[tuple[str, str, str]]:
    """Every acknowledged rule in ``app`` as ``(construct path, rule id, reason)``, for audits."""
    found = []
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in dict(entry.data).items():
                    found.append((construct.node.path, rule.removeprefix("Annotation::"), reason))
    return found


def disable_builtin_validation() -> None:
    """Turn off aws-cdk-lib's built-in CloudFormation validator for this process (tests)."""
    os.environ.setdefault("CDK_VALIDATION", "false")


__all__ = [
    "COMPLIANCE_CONTEXT",
    "acknowledgments",
    "compliance_problems",
    "custom_resources",
    "disable_builtin_validation",
    "lint_problems",
    "nag_findings",
    "normalize_template",
    "stack_template",
    "synth",
    "templates",
]
