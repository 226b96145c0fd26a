"""Argument validation shared by every construct.

A bad argument fails at synth time with a ``ValueError`` that names the construct path, the
argument, the value given and what is allowed -- never later in CloudFormation.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable
from typing import Any

from aws_cdk import Duration, Token
from constructs import Construct


def invalid(scope: Construct | str, argument: str, value: Any, allowed: str) -> ValueError:
    """Build the library's standard error for a bad argument.

    ``scope`` is the construct being configured (or its path as a string).
    """
    path = scope if isinstance(scope, str) else scope.node.path
    return ValueError(f"{path}: invalid {argument}={shown(value)}; allowed: {allowed}")


def shown(value: Any) -> str:
    """``repr(value)``, with CDK Durations (alone or inside settings dataclasses) readable
    rather than ``<aws_cdk.Duration object at 0x...>``."""
    if isinstance(value, Duration):
        try:
            return f"Duration.seconds({value.to_seconds():g})"
        except Exception:  # a token duration has no number at synth
            return "Duration(<token>)"
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and "object at 0x" in repr(value):
        parts = ", ".join(f"{f.name}={shown(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__name__}({parts})"
    return repr(value)


def is_token(value: Any) -> bool:
    """True when ``value`` is a CDK token (only known at deploy time, so not checkable here)."""
    return Token.is_unresolved(value)


def check_range(
    scope: Construct | str,
    argument: str,
    value: float | None,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    unit: str = "",
) -> None:
    """Raise unless ``minimum <= value <= maximum``. ``None`` and tokens pass."""
    if value is None or is_token(value):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(scope, argument, value, "a number")
    low = float("-inf") if minimum is None else minimum
    high = float("inf") if maximum is None else maximum
    if not low <= value <= high:
        suffix = f" {unit}" if unit else ""
        if minimum is not None and maximum is not None:
            allowed = f"{minimum}..{maximum}{suffix}"
        elif minimum is not None:
            allowed = f">= {minimum}{suffix}"
        else:
            allowed = f"<= {maximum}{suffix}"
        raise invalid(scope, argument, value, allowed)


def check_choice(scope: Construct | str, argument: str, value: Any, choices: Iterable[Any]) -> None:
    """Raise unless ``value`` is one of ``choices``. Tokens pass."""
    if is_token(value):
        return
    options = list(choices)
    if value not in options:
        raise invalid(scope, argument, value, "one of " + ", ".join(map(str, options)))


def check_s3_prefix(scope: Construct | str, argument: str, value: str | None) -> str | None:
    """Normalise an S3 key prefix: no leading slash, trailing slash added, no wildcards."""
    if value is None or value == "":
        return value
    if is_token(value):
        return value
    if value.startswith("/") or "*" in value or "//" in value:
        raise invalid(scope, argument, value, "a key prefix without a leading '/', '//' or '*' (e.g. 'raw/')")
    return value if value.endswith("/") else value + "/"


def check_not_both(
    scope: Construct | str, first: str, first_value: Any, second: str, second_value: Any
) -> None:
    """Raise when two mutually exclusive arguments are both given."""
    if first_value is not None and second_value is not None:
        raise invalid(scope, f"{first}/{second}", (first_value, second_value), "only one of them")


def check_construct_id(scope: Construct, id: Any, construct: str) -> None:
    """Raise unless ``id`` can name a child of ``scope`` (CDK's own error names neither)."""
    if isinstance(id, str) and id:
        return
    path = scope.node.path if isinstance(scope, Construct) else repr(scope)
    raise ValueError(
        f"{path}/<{construct}>: invalid id={id!r}; allowed: a non-empty construct id "
        "(unique among its siblings)"
    )


def renamed(scope: Construct | str, old: str, old_value: Any, new: str, new_value: Any) -> Any:
    """The value of an argument renamed from ``old`` to ``new``, kept one release.

    Passing ``old`` still works with a ``DeprecationWarning``; passing both raises.
    """
    if old_value is None:
        return new_value
    check_not_both(scope, old, old_value, new, new_value)
    path = scope if isinstance(scope, str) else scope.node.path
    warnings.warn(
        f"{path}: the argument {old}= is deprecated and will be removed in the next release; use {new}=",
        DeprecationWarning,
        stacklevel=3,
    )
    return old_value
