"""S3 bucket policies: moto evaluates them on object requests but ignores the ``Bool`` operator,
so a secure bucket's "deny unless ``aws:SecureTransport``" statement denied every request.
Statements now apply only when their conditions hold, evaluated against the request context of
the emulator, which treats its loopback connections as secure transport. (The emulator is no
security boundary: an unknown condition key makes a statement not apply.) :func:`install` is
idempotent."""

from __future__ import annotations

import json
from typing import Any

_installed = False


def install() -> None:
    """Patch moto's S3 (once per process)."""
    global _installed
    if _installed:
        return
    _fix_bucket_policy_conditions()
    _installed = True


REQUEST_CONTEXT = {"aws:securetransport": "true"}
"""Condition keys of every request to the emulator (lower case): loopback counts as TLS."""


def conditions_hold(conditions: dict[str, Any] | None) -> bool:
    """Whether an IAM ``Condition`` block holds for :data:`REQUEST_CONTEXT`."""
    from fnmatch import fnmatchcase

    for operator, checks in (conditions or {}).items():
        if_exists = operator.endswith("IfExists")
        name = operator.removesuffix("IfExists")
        for key, expected in checks.items():
            wanted = [str(e) for e in (expected if isinstance(expected, list) else [expected])]
            actual = REQUEST_CONTEXT.get(key.lower())
            if name == "Null":
                if (actual is None) != (wanted[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if if_exists:
                    continue
                return False
            if name == "Bool":
                holds = actual.lower() in [w.lower() for w in wanted]
            elif name == "StringEquals":
                holds = actual in wanted
            elif name == "StringNotEquals":
                holds = actual not in wanted
            elif name == "StringEqualsIgnoreCase":
                holds = actual.lower() in [w.lower() for w in wanted]
            elif name == "StringLike":
                holds = any(fnmatchcase(actual, w) for w in wanted)
            elif name == "StringNotLike":
                holds = not any(fnmatchcase(actual, w) for w in wanted)
            else:
                return False
            if not holds:
                return False
    return True


def _fix_bucket_policy_conditions() -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        permitted = False
        for statement in statements if isinstance(statements, list) else [statements]:
            if not conditions_hold(statement.get("Condition")):
                continue  # the statement does not apply to this request
            unconditional = {k: v for k, v in statement.items() if k != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    setattr(FakeBucket, "get_permission", get_permission)  # noqa: B010
