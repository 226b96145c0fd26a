"""Declarative record validation shared by the Firehose transform and the S3 pre-processor.

A schema is plain JSON (the constructs pass it through a Lambda environment variable)::

    {"fields": [{"name": "user_id", "type": "string", "required": true, "max_length": 64},
                {"name": "amount", "type": "number", "minimum": 0},
                {"name": "country", "type": "string", "required": false, "default": "unknown",
                 "allowed": ["unknown", "DE", "FR"]}],
     "extra_fields": "keep"}

Types: ``string``, ``integer``, ``number``, ``boolean``, ``timestamp`` (ISO 8601 text).
An ``integer`` must fit 64 bits and a ``number`` a finite 64-bit float: the catalog declares
them ``bigint`` and ``double``, and a value outside would break the reader of the whole column.
``extra_fields``: ``keep`` (default), ``drop`` or ``reject`` fields the schema does not name.
Standard library only.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

TYPES = ("string", "integer", "number", "boolean", "timestamp")
EXTRA_FIELDS = ("keep", "drop", "reject")
_FIELD_KEYS = {
    "name",
    "type",
    "required",
    "minimum",
    "maximum",
    "allowed",
    "max_length",
    "pattern",
    "default",
}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_MISSING = object()
# The ranges of the catalog's column types (bigint, double).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FLOAT_MAX = sys.float_info.max


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if -FLOAT_MAX <= value <= FLOAT_MAX:
        return value
    raise ValueError(f"number {text[:40]} is out of the 64-bit float range")


def strict_json_decoder() -> json.JSONDecoder:
    """A JSON decoder that refuses what standard JSON readers cannot read back.

    ``NaN``/``Infinity`` are not JSON, and a literal like ``1e400`` parses to ``inf``, which
    ``json.dumps`` writes as ``Infinity``: both raise ``ValueError`` here, as a syntax error
    does. Deep nesting raises ``RecursionError``, which callers must catch too.
    """
    return json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


# A field check takes a present, non-null value and returns (value, error).
Check = Callable[[Any], tuple[Any, str | None]]


class SchemaError(ValueError):
    """The schema itself is malformed (raised at synth time by the constructs)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number_problem(value: int | float) -> str | None:
    """Why a parsed int or float cannot be a ``number`` (a double), or None.

    Compares instead of calling ``math.isfinite``, which raises ``OverflowError`` on an int
    beyond the float range (a 400-digit JSON integer).
    """
    if -FLOAT_MAX <= value <= FLOAT_MAX:
        return None
    return "expected finite number" if isinstance(value, float) else "out of the 64-bit float range"


def integer_problem(value: int) -> str | None:
    """Why a parsed int cannot be an ``integer`` (a bigint), or None."""
    return None if INT64_MIN <= value <= INT64_MAX else "out of the 64-bit integer range"


def _build_check(spec: dict[str, Any], coerce: bool) -> Check:
    name, kind = spec["name"], spec["type"]
    minimum, maximum = spec.get("minimum"), spec.get("maximum")
    allowed = spec.get("allowed")
    allowed_set = set(allowed) if allowed is not None else None
    max_length = spec.get("max_length")
    pattern = re.compile(spec["pattern"]) if spec.get("pattern") else None

    def parse(value: Any) -> tuple[Any, str | None]:
        if kind == "string":
            return (value, None) if isinstance(value, str) else (value, "expected string")
        if kind == "integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value, integer_problem(value)
            if coerce and isinstance(value, str):
                try:  # int() refuses more than 4,300 digits (ValueError): no quadratic parse
                    number = int(value.strip())
                except ValueError:
                    pass
                else:
                    return number, integer_problem(number)
            return value, "expected integer"
        if kind == "number":
            if _is_number(value):
                return value, number_problem(value)
            if coerce and isinstance(value, str):
                try:
                    real = float(value.strip())
                except ValueError:
                    return value, "expected number"
                if math.isfinite(real):
                    # "12" stays an integer; "1e300" stays a float (not a 301-digit integer)
                    exact = real.is_integer() and "." not in value and abs(real) <= 2**53
                    return (int(real) if exact else real), None
                return value, "expected finite number"
            return value, "expected number"
        if kind == "boolean":
            if isinstance(value, bool):
                return value, None
            if coerce and isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in _TRUE:
                    return True, None
                if lowered in _FALSE:
                    return False, None
            return value, "expected boolean"
        # timestamp
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value)
                return value, None
            except ValueError:
                pass
        return value, "expected ISO 8601 timestamp"

    def check(value: Any) -> tuple[Any, str | None]:
        value, error = parse(value)
        if error:
            return value, f"field {name!r}: {error}, got {_short(value)}"
        if minimum is not None and value < minimum:
            return value, f"field {name!r}: {_short(value)} below minimum {minimum!r}"
        if maximum is not None and value > maximum:
            return value, f"field {name!r}: {_short(value)} above maximum {maximum!r}"
        if max_length is not None and len(value) > max_length:
            return value, f"field {name!r}: longer than {max_length} characters"
        if allowed_set is not None and value not in allowed_set:
            return value, f"field {name!r}: {_short(value)} not one of {allowed!r}"
        if pattern is not None and not pattern.fullmatch(value):
            return value, f"field {name!r}: {_short(value)} does not match {pattern.pattern!r}"
        return value, None

    return check


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Schema:
    """A compiled record schema. ``coerce`` parses text values (CSV cells) into their types."""

    def __init__(self, spec: dict[str, Any], *, coerce: bool = False) -> None:
        validate_spec(spec)
        self.spec = spec
        self.extra_fields: str = spec.get("extra_fields", "keep")
        self.names = [f["name"] for f in spec["fields"]]
        self._known = set(self.names)
        self._fields = [
            (f["name"], f.get("required", True), f.get("default", _MISSING), _build_check(f, coerce))
            for f in spec["fields"]
        ]
        self._empty_is_missing = coerce

    def validate(self, record: Any) -> tuple[dict[str, Any] | None, str | None, bool]:
        """Check one record.

        Returns ``(record, None, changed)`` when valid, where ``changed`` says whether the
        record differs from the input (defaults filled, values coerced, extra fields dropped),
        or ``(None, reason, False)`` when not.
        """
        if not isinstance(record, dict):
            return None, f"expected a JSON object, got {type(record).__name__}", False
        changed = False
        out = record
        for name, required, default, check in self._fields:
            value = record.get(name, _MISSING)
            if value is None or (self._empty_is_missing and value == ""):
                value = _MISSING
            if value is _MISSING:
                if required:
                    return None, f"field {name!r}: required but missing", False
                if default is not _MISSING:
                    if out is record:
                        out = dict(record)
                    out[name] = default
                    changed = True
                continue
            parsed, error = check(value)
            if error:
                return None, error, False
            if parsed is not value:
                if out is record:
                    out = dict(record)
                out[name] = parsed
                changed = True
        if self.extra_fields != "keep":
            extra = [key for key in record if key not in self._known]
            if extra:
                if self.extra_fields == "reject":
                    return None, f"unexpected fields {sorted(extra)!r}", False
                out = {key: value for key, value in out.items() if key in self._known}
                changed = True
        return out, None, changed


def validate_spec(spec: Any) -> None:
    """Raise :class:`SchemaError` naming what is wrong with ``spec``."""
    if not isinstance(spec, dict) or not isinstance(spec.get("fields"), list) or not spec["fields"]:
        raise SchemaError("schema needs a non-empty 'fields' list")
    extra = spec.get("extra_fields", "keep")
    if extra not in EXTRA_FIELDS:
        raise SchemaError(f"extra_fields {extra!r} is not one of {EXTRA_FIELDS}")
    seen: set[str] = set()
    for field in spec["fields"]:
        if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not field["name"]:
            raise SchemaError(f"each field needs a non-empty 'name': {field!r}")
        name = field["name"]
        if name in seen:
            raise SchemaError(f"field {name!r} is declared twice")
        seen.add(name)
        unknown = set(field) - _FIELD_KEYS
        if unknown:
            raise SchemaError(f"field {name!r}: unknown keys {sorted(unknown)}")
        kind = field.get("type")
        if kind not in TYPES:
            raise SchemaError(f"field {name!r}: type {kind!r} is not one of {TYPES}")
        if not isinstance(field.get("required", True), bool):
            raise SchemaError(f"field {name!r}: required must be true or false")
        low, high = field.get("minimum"), field.get("maximum")
        for key in ("minimum", "maximum"):
            if field.get(key) is not None and (
                kind not in ("integer", "number") or not _is_number(field[key])
            ):
                raise SchemaError(f"field {name!r}: {key} applies to numeric fields only")
            if field.get(key) is not None and number_problem(field[key]):
                # NaN would compare false with every value and let everything through
                raise SchemaError(f"field {name!r}: {key} must be a finite number")
        if low is not None and high is not None and low > high:
            raise SchemaError(f"field {name!r}: minimum {low} > maximum {high}")
        if field.get("max_length") is not None and (
            kind != "string"
            or not isinstance(field["max_length"], int)
            or isinstance(field["max_length"], bool)
            or field["max_length"] < 1
        ):
            raise SchemaError(f"field {name!r}: max_length must be a positive integer on a string")
        if field.get("pattern") is not None:
            if kind != "string":
                raise SchemaError(f"field {name!r}: pattern applies to string fields only")
            if not isinstance(field["pattern"], str):
                raise SchemaError(f"field {name!r}: pattern must be a regular expression string")
            try:
                re.compile(field["pattern"])
            except re.error as bad:
                raise SchemaError(f"field {name!r}: bad pattern: {bad}") from None
        allowed = field.get("allowed")
        if allowed is not None and (not isinstance(allowed, list) or not allowed):
            raise SchemaError(f"field {name!r}: allowed must be a non-empty list")
        if "default" in field:
            if field.get("required", True):
                raise SchemaError(f"field {name!r}: a default only makes sense on an optional field")
            _, problem = _build_check(field, coerce=False)(field["default"])
            if problem:
                raise SchemaError(f"default does not pass its own field's rules: {problem}")
        if allowed is not None:
            check = _build_check({**field, "allowed": None}, coerce=False)
            for value in allowed:
                _, problem = check(value)
                if problem:
                    raise SchemaError(f"allowed value does not pass its field's rules: {problem}")
