"""Escape hatches and run-time tags for the SageMaker requests the constructs build.

Step Functions creates training, tuning and transform jobs, models, endpoint configs and
endpoints at run time, outside CloudFormation: they get none of the stack's tags unless the
request carries them, and no CDK escape hatch (``add_property_override``) reaches into a state
machine definition. So every construct that builds such a request takes ``*_overrides``: a dict
merged deeply into the request (a nested dict merges key by key, any other value replaces, and
``None`` removes a key), then the whole request is checked against botocore's SageMaker model at
synth, like the library's own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import IAnyProducer, IResolveContext, Lazy, Stack
from constructs import Construct

from ..core.validation import invalid
from .service_model import placeholders, validate_request

# SageMaker rejects keys in the reserved aws: namespace (CDK's own aws:cdk:* tags included).
_RESERVED_TAG_PREFIX = "aws:"
MAX_TAGS = 50


def check_overrides(scope: Construct, argument: str, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """A private deep copy of ``overrides``; a non-mapping or a non-string key fails with the path."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise invalid(scope, argument, overrides, "a dict of request members to merge, e.g. {'Tags': [...]}")
    bad = [k for k in overrides if not isinstance(k, str) or not k]
    if bad:
        raise invalid(scope, argument, bad, "request member names (non-empty strings)")
    return copy.deepcopy(dict(overrides))


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` merged deeply into a copy of ``base``.

    A nested dict merges member by member; a list or scalar replaces; ``None`` removes the member.
    A member and its JSONPath form (``X`` / ``X.$``) are one member: setting either replaces both.
    """
    result = dict(base)
    for key, value in overrides.items():
        plain = key.removesuffix(".$")
        twin = plain if key.endswith(".$") else f"{key}.$"
        if twin in result:
            del result[twin]
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping) and not key.endswith(".$"):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


@jsii.implements(IAnyProducer)
class _StackTags:
    """The stack's tags when the template is written (after ``Tags.of(...)`` aspects ran), plus
    the request's own ``Tags`` (those win on the same key)."""

    def __init__(self, scope: Construct, extra: list[dict[str, Any]]) -> None:
        self._stack = Stack.of(scope)
        self._extra = extra

    def produce(self, context: IResolveContext) -> Any:
        tags = {
            key: value
            for key, value in sorted(self._stack.tags.tag_values().items())
            if not key.startswith(_RESERVED_TAG_PREFIX)
        }
        listed = [
            {"Key": k, "Value": v} for k, v in tags.items() if k not in {t.get("Key") for t in self._extra}
        ]
        return (listed + self._extra)[:MAX_TAGS]


def stack_tags(scope: Construct, extra: list[dict[str, Any]] | None = None) -> Any:
    """A token for a request's ``Tags``: the stack's tags (and ``extra``), resolved at synth;
    omitted when there are none."""
    return Lazy.uncached_any(_StackTags(scope, list(extra or [])), omit_empty_array=True)


def finish_request(
    scope: Construct,
    argument: str,
    operation: str,
    request: Mapping[str, Any],
    overrides: Mapping[str, Any],
    *,
    tags: bool = True,
    validate: bool = True,
) -> dict[str, Any]:
    """``request`` with the stack's tags (for a ``Create*`` request that takes them) and
    ``overrides`` merged in, checked against botocore's model for ``operation``.

    A ``Tags`` override adds to the stack's tags (same key: the override's value wins).
    """
    rest = {k: v for k, v in overrides.items() if k != "Tags"}
    result = merge(request, rest)
    if tags:
        extra = overrides.get("Tags") or []
        if not isinstance(extra, list) or not all(isinstance(t, Mapping) and "Key" in t for t in extra):
            raise invalid(scope, f"{argument}.Tags", extra, "a list of {'Key': ..., 'Value': ...}")
        result["Tags"] = stack_tags(scope, [dict(t) for t in extra])
    if validate:
        check_request(scope, argument, operation, result)
    return result


def check_request(scope: Construct, argument: str, operation: str, request: Mapping[str, Any]) -> None:
    """Fail with the construct path unless ``request`` is a valid ``operation`` request."""
    problems = validate_request(operation, placeholders(Stack.of(scope).resolve(dict(request))))
    if problems:
        raise invalid(scope, argument, "; ".join(problems), f"members that keep a valid {operation} request")
