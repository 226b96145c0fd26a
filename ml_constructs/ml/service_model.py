"""Validate SageMaker API requests against botocore's SageMaker service model, at synth or test time.

CloudFormation has no training, tuning or transform job resources: those requests travel inside
Step Functions definitions, where neither CloudFormation nor cfn-lint can see them. This module
checks every request dict the library builds against the real API model:

* botocore's ``ParamValidator``: shapes, unknown and missing required members, types;
* a walker over ``shape.enum`` and ``shape.metadata`` for what botocore skips: enums, ``min`` /
  ``max`` on numbers, lengths of strings, lists, maps and blobs, and ``pattern`` (full match, as
  the service applies it).

Values only known at run time are :class:`Placeholder` strings (and any string that is exactly
``<...>``): the walker skips them, and botocore's type check sees a value of the right type in
their place. A string that merely contains ``<...>`` or a CDK token keeps its type check but skips
enum, length and pattern checks. :func:`placeholders` turns a request with CDK tokens and
``"X.$"`` JSONPath keys into that form; :func:`state_machine_requests` finds every SageMaker task
of a Step Functions definition; :func:`definitions_from_template` reads the definitions out of a
synthesized template with ``Ref`` / ``Fn::GetAtt`` / ``Fn::Join`` ... replaced by placeholders.

Needs botocore only (the ``regex`` module, when installed, for Java-style ``\\p{L}`` patterns).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator

try:  # Java-style Unicode classes (\p{L}, \p{Alnum}) in some SageMaker patterns
    import regex as _regex
except ImportError:  # pragma: no cover - cfn-lint brings regex in the test extra
    _regex = None

_ANGLE = re.compile(r"<[^<>]*>")
_CDK_TOKEN = re.compile(r"[$#]\{Token\[[^\]]*\]\}")
_JAVA_SURROGATES = r"\uD800\uDC00-\uDBFF\uDFFF"
_ENUM_SHOWN = 12
_TASK_RESOURCE = re.compile(r":states:::(?P<sdk>aws-sdk:)?sagemaker:(?P<op>[A-Za-z]+)(?:\.[A-Za-z]+)?$")


class Placeholder(str):
    """A value only known at run time: a JSONPath, an intrinsic function, a CloudFormation token.

    It stands for a value of whatever type the request member needs.
    """

    def __repr__(self) -> str:
        return f"Placeholder({str.__repr__(self)})"


def is_placeholder(value: Any) -> bool:
    """True for a whole-value placeholder (a :class:`Placeholder` or a string ``<...>``)."""
    return isinstance(value, Placeholder) or (isinstance(value, str) and bool(_ANGLE.fullmatch(value)))


def _has_placeholder(value: str) -> bool:
    return bool(_ANGLE.search(value) or _CDK_TOKEN.search(value))


# -- the model ----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def service_model() -> Any:
    """botocore's SageMaker service model (loaded once)."""
    return botocore.session.get_session().get_service_model("sagemaker")


def shape(name: str) -> Shape:
    """A named shape of the SageMaker model, e.g. ``shape("TrainingInstanceType")``."""
    return service_model().shape_for(name)


def enum_values(shape_name: str) -> list[str]:
    """The allowed values of an enum shape, e.g. every ``TrainingInstanceType``."""
    return list(shape(shape_name).enum)


def input_shape(operation: str) -> StructureShape:
    return service_model().operation_model(operation).input_shape


# -- validation -----------------------------------------------------------------------------------
def validate_request(operation: str, params: dict[str, Any]) -> list[str]:
    """Every problem of ``params`` as a request of SageMaker ``operation`` (empty: valid).

    ``operation`` is the API name (``"CreateTrainingJob"``). Run ``params`` through
    :func:`placeholders` first when it holds CDK tokens or ``"X.$"`` JSONPath keys.
    """
    try:
        top = input_shape(operation)
    except Exception as error:  # botocore raises OperationNotFoundError
        return [f"{operation}: not a SageMaker operation ({error})"]
    problems: list[str] = []
    report = ParamValidator().validate(_skeleton(params, top), top)
    if report.has_errors():
        problems += [line.strip() for line in report.generate_report().splitlines() if line.strip()]
    _walk(params, top, operation, problems)
    return problems


def _walk(value: Any, sh: Shape, path: str, problems: list[str]) -> None:
    if is_placeholder(value):
        return
    meta = sh.metadata
    kind = sh.type_name
    if kind == "structure" and isinstance(value, dict):
        assert isinstance(sh, StructureShape)
        for key, member_value in value.items():
            if key in sh.members:
                _walk(member_value, sh.members[key], f"{path}.{key}", problems)
    elif kind == "list" and isinstance(value, (list, tuple)):
        assert isinstance(sh, ListShape)
        _check_length(len(value), meta, path, problems, "items")
        for index, item in enumerate(value):
            _walk(item, sh.member, f"{path}[{index}]", problems)
    elif kind == "map" and isinstance(value, dict):
        assert isinstance(sh, MapShape)
        _check_length(len(value), meta, path, problems, "entries")
        for key, item in value.items():
            _walk(key, sh.key, f"{path} key {key!r}", problems)
            _walk(item, sh.value, f"{path}[{key!r}]", problems)
    elif kind == "string" and isinstance(value, str):
        if _has_placeholder(value):
            return
        if sh.enum and value not in sh.enum:
            shown = ", ".join(sh.enum[:_ENUM_SHOWN])
            more = f", ... ({len(sh.enum)} in all)" if len(sh.enum) > _ENUM_SHOWN else ""
            problems.append(
                f"{path}: {value!r} is not one of the allowed values of {sh.name} ({shown}{more})"
            )
        _check_length(len(value), meta, path, problems, "characters")
        pattern = meta.get("pattern")
        if pattern:
            compiled = _compile(pattern)
            if compiled is not None and not compiled.fullmatch(value):
                problems.append(f"{path}: {value!r} does not match the pattern {pattern!r} of {sh.name}")
    elif kind == "blob" and isinstance(value, (bytes, bytearray, str)):
        _check_length(len(value), meta, path, problems, "bytes")
    elif kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        if isinstance(value, bool):
            return
        if "min" in meta and value < meta["min"]:
            problems.append(f"{path}: {value} is below the minimum {meta['min']} of {sh.name}")
        if "max" in meta and value > meta["max"]:
            problems.append(f"{path}: {value} is above the maximum {meta['max']} of {sh.name}")


def _check_length(length: int, meta: dict[str, Any], path: str, problems: list[str], unit: str) -> None:
    if "min" in meta and length < meta["min"]:
        problems.append(f"{path}: {length} {unit}, fewer than the minimum {meta['min']}")
    if "max" in meta and length > meta["max"]:
        problems.append(f"{path}: {length} {unit}, more than the maximum {meta['max']}")


@cache
def _compile(pattern: str) -> Any:
    """Compile a model pattern (Java flavour); ``None`` when neither engine can read it."""
    source = pattern.replace(_JAVA_SURROGATES, r"\U00010000-\U0010FFFF")
    for engine in (_regex, re):
        if engine is None:
            continue
        try:
            return engine.compile(source)
        except Exception:  # noqa: S112 - try the next engine
            continue
    return None


def _skeleton(value: Any, sh: Shape) -> Any:
    """``value`` with placeholders replaced by values of the right type, for botocore's check."""
    if is_placeholder(value):
        return _synthesize(sh)
    if isinstance(value, str) and _has_placeholder(value):  # botocore checks min lengths
        return value.ljust(int(sh.metadata.get("min", 0)), "x")
    if sh.type_name == "structure" and isinstance(value, dict):
        assert isinstance(sh, StructureShape)
        return {k: _skeleton(v, sh.members[k]) if k in sh.members else v for k, v in value.items()}
    if sh.type_name == "list" and isinstance(value, (list, tuple)):
        assert isinstance(sh, ListShape)
        return [_skeleton(v, sh.member) for v in value]
    if sh.type_name == "map" and isinstance(value, dict):
        assert isinstance(sh, MapShape)
        return {(k if not is_placeholder(k) else "k"): _skeleton(v, sh.value) for k, v in value.items()}
    return value


def _synthesize(sh: Shape, depth: int = 0) -> Any:
    kind = sh.type_name
    if kind == "structure":
        assert isinstance(sh, StructureShape)
        if depth > 20:
            return {}
        if sh.metadata.get("union"):
            first = next(iter(sh.members.items()))
            return {first[0]: _synthesize(first[1], depth + 1)}
        return {name: _synthesize(sh.members[name], depth + 1) for name in sh.required_members}
    minimum = sh.metadata.get("min", 0)
    if kind == "string":
        return sh.enum[0] if sh.enum else "x" * max(int(minimum), 1)
    if kind == "list":
        assert isinstance(sh, ListShape)
        return [_synthesize(sh.member, depth + 1) for _ in range(int(minimum))]
    return {
        "map": {},
        "integer": int(minimum),
        "long": int(minimum),
        "float": float(minimum),
        "double": float(minimum),
        "boolean": False,
        "blob": b"",
        "timestamp": datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    }.get(kind, "x")


# -- placeholders -----------------------------------------------------------------------------
def placeholders(params: Any) -> Any:
    """A copy of ``params`` ready for :func:`validate_request`.

    * ``"X.$": "<JSONPath or intrinsic>"`` becomes ``"X": Placeholder(...)``, and so does a
      JSONata ``"{% ... %}"`` value;
    * CloudFormation intrinsics (``{"Ref": ...}``, ``{"Fn::...": ...}``), CDK string, list and
      number tokens become placeholders (a string with a token inside stays a string whose
      content is not checked).
    """
    if isinstance(params, dict):
        if _is_intrinsic(params):
            return Placeholder(f"<{_intrinsic_name(params)}>")
        result: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(key, str) and key.endswith(".$"):
                result[key[:-2]] = Placeholder(f"<{value}>")
            else:
                result[key] = placeholders(value)
        return result
    if isinstance(params, (list, tuple)):
        if len(params) == 1 and isinstance(params[0], str) and params[0].startswith("#{Token["):
            return Placeholder("<list token>")
        return [placeholders(v) for v in params]
    if isinstance(params, str):
        if _CDK_TOKEN.fullmatch(params):
            return Placeholder("<token>")
        if params.startswith("{%") and params.endswith("%}"):  # a JSONata expression
            return Placeholder(f"<{params}>")
        return params
    if isinstance(params, float) and not isinstance(params, bool) and abs(params) > 1e280:
        return Placeholder("<number token>")  # CDK encodes number tokens as huge doubles
    return params


def _is_intrinsic(value: dict[str, Any]) -> bool:
    if len(value) != 1:
        return False
    key = str(next(iter(value)))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


def _intrinsic_name(value: dict[str, Any]) -> str:
    ((fn, arg),) = value.items()
    if fn == "Ref":
        return f"Ref:{arg}"
    if fn == "Fn::GetAtt":
        return "GetAtt:" + ".".join(map(str, arg if isinstance(arg, list) else [arg]))
    return fn.replace("Fn::", "")


# -- state machines ---------------------------------------------------------------------------
def api_operation(task_operation: str) -> str:
    """``createTrainingJob`` -> ``CreateTrainingJob``."""
    return task_operation[:1].upper() + task_operation[1:]


def state_machine_requests(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(operation, request) for every SageMaker task of a Step Functions definition.

    Finds ``arn:...:states:::sagemaker:<op>[.sync|.waitForTaskToken]`` and
    ``...:states:::aws-sdk:sagemaker:<op>`` tasks at any depth (Parallel branches, Map item
    processors); their ``Parameters`` (or JSONata ``Arguments``) go through :func:`placeholders`.
    """
    found: list[tuple[str, dict[str, Any]]] = []
    for state in _states(definition):
        resource = state.get("Resource")
        if state.get("Type") != "Task" or not isinstance(resource, str):
            continue
        match = _TASK_RESOURCE.search(resource)
        if not match:
            continue
        params = state.get("Parameters", state.get("Arguments", {}))
        found.append((api_operation(match["op"]), placeholders(params)))
    return found


def _states(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        states = node.get("States")
        if isinstance(states, dict):
            for state in states.values():
                if isinstance(state, dict):
                    yield state
                    for key in ("Branches", "Iterator", "ItemProcessor"):
                        if key in state:
                            yield from _states(state[key])
    elif isinstance(node, list):
        for item in node:
            yield from _states(item)


def validate_state_machine(definition: dict[str, Any]) -> list[str]:
    """Problems of every SageMaker request in ``definition`` (empty: all valid)."""
    problems = []
    for operation, request in state_machine_requests(definition):
        problems += validate_request(operation, request)
    return problems


def definitions_from_template(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state machine definition of a synthesized template, by logical id.

    ``DefinitionString`` (a string or an ``Fn::Join``) is rebuilt with each intrinsic replaced
    by a ``<Ref:...>`` / ``<GetAtt:...>`` / ``<FindInMap>`` placeholder (quoted where it stands
    for a whole JSON value), then parsed.
    """
    found = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        props = resource.get("Properties", {})
        if "Definition" in props:
            found[logical_id] = placeholders(props["Definition"])
            continue
        found[logical_id] = json.loads(_join_text(props.get("DefinitionString", "{}")))
    return found


def _join_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        text = ""
        for index, part in enumerate(parts):
            if index:
                text += separator
            if isinstance(part, str):
                text += part
            else:
                marker = f"<{_intrinsic_name(part) if isinstance(part, dict) else 'value'}>"
                marker = marker.replace('"', "'").replace("\\", "/")
                text += marker if _inside_string(text) else json.dumps(marker)
        return text
    if isinstance(value, dict):
        return json.dumps(f"<{_intrinsic_name(value)}>")
    raise ValueError(f"unreadable DefinitionString: {value!r}")


def _inside_string(text: str) -> bool:
    """Whether the end of ``text`` (JSON so far) is inside a string literal."""
    inside, escaped = False, False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = inside
        elif char == '"':
            inside = not inside
    return inside
