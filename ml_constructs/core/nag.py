"""cdk-nag acknowledgments, always with a reason specific to the resource.

cdk-nag 3.x runs as a CDK policy-validation plugin; acknowledgments go through CDK's own
``Validations.of(construct).acknowledge``. Granular findings (``AwsSolutions-IAM5`` names the
wildcard it found) are acknowledged one finding at a time, never the whole rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_s3 as s3
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str, *, findings: Iterable[str] = ()) -> None:
    """Acknowledge ``rule`` on ``construct`` (and its children) for ``reason``.

    ``findings`` narrows a granular rule to the listed findings, e.g.
    ``acknowledge(role, "AwsSolutions-IAM5", "...", findings=["Action::s3:GetObject*"])``
    acknowledges ``AwsSolutions-IAM5[Action::s3:GetObject*]`` and nothing else.
    """
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledgment of {rule} needs a specific reason, got {reason!r}")
    ids = [f"{rule}[{finding}]" for finding in findings] or [rule]
    Validations.of(construct).acknowledge(*[Acknowledgment(id=i, reason=reason) for i in ids])


def render(scope: IConstruct, value: str) -> str:
    """Render a CDK value the way cdk-nag names it in a finding (``<Logical.Arn>/prefix/*``)."""
    return _render(Stack.of(scope).resolve(value))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::Join":
            return arg[0].join(_render(part) for part in arg[1])
    return json.dumps(value, sort_keys=True)


def acknowledge_wildcards(
    construct: IConstruct,
    reason: str,
    *,
    actions: Iterable[str] = (),
    resources: Iterable[str] = (),
) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for exactly these wildcard actions and resources."""
    findings = [f"Action::{a}" for a in actions]
    findings += [f"Resource::{render(construct, r)}" for r in resources]
    acknowledge(construct, "AwsSolutions-IAM5", reason, findings=findings)


# The wildcard action families in CDK's own bucket grants (grant_read / grant_put) and in the
# KMS grants that come with them. Each is limited to the granted bucket, prefix and key.
S3_READ_GRANT_ACTIONS = ("s3:GetObject*", "s3:GetBucket*", "s3:List*")
S3_WRITE_GRANT_ACTIONS = ("s3:Abort*",)
KMS_WRITE_GRANT_ACTIONS = ("kms:ReEncrypt*", "kms:GenerateDataKey*")


def acknowledge_object_grants(
    role: IConstruct,
    *,
    reads: Iterable[tuple[s3.IBucket, str]] = (),
    writes: Iterable[tuple[s3.IBucket, str]] = (),
    purpose: str,
) -> None:
    """Acknowledge the wildcards of ``bucket.grant_read/grant_put(role, prefix + '*')`` grants.

    The object ARN ends in ``prefix/*`` because S3 object keys under a prefix cannot be listed
    in advance; the action families are CDK's standard object grants. ``purpose`` says why the
    role needs them, e.g. "the pre-processor reads new files and writes clean rows".
    """
    reads, writes = list(reads), list(writes)
    actions: list[str] = []
    if reads:
        actions += S3_READ_GRANT_ACTIONS
    if writes:
        actions += S3_WRITE_GRANT_ACTIONS + KMS_WRITE_GRANT_ACTIONS
    prefixes = ", ".join(
        [f"read {p or '(all)'}" for _, p in reads] + [f"write {p or '(all)'}" for _, p in writes]
    )
    acknowledge_wildcards(
        role,
        f"Object-level S3 grants limited to key prefixes ({prefixes}) and the data lake key: "
        f"{purpose}. Object keys under a prefix are not known in advance, and the action "
        "families are CDK's standard object read/write grants.",
        actions=dict.fromkeys(actions),
        resources=dict.fromkeys(b.arn_for_objects(f"{p}*") for b, p in reads + writes),
    )
