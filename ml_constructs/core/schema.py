"""Typed record schemas the constructs hand to their runtime validators.

The construct side builds a schema from typed fields; the runtime side
(:mod:`ml_constructs.runtime.record_schema`) checks records against its JSON form. Both use the
same spec validation, so a schema that synthesizes is one the Lambda can load.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..runtime.record_schema import SchemaError, validate_spec


class FieldType(StrEnum):
    """The value type of a record field."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"  # ISO 8601 text


class ExtraFields(StrEnum):
    """What to do with fields a record has but the schema does not name."""

    KEEP = "keep"
    DROP = "drop"
    REJECT = "reject"


# Other languages' type names, for the hint of a type given as a string.
_TYPE_ALIASES = {
    "str": "string",
    "text": "string",
    "int": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "decimal": "number",
    "bool": "boolean",
    "datetime": "timestamp",
    "date": "timestamp",
}


@dataclass(frozen=True)
class Field:
    """One field of a record.

    ``minimum``/``maximum`` apply to numbers, ``max_length``/``pattern`` to strings,
    ``allowed`` to any type; ``default`` fills a missing optional field.
    """

    name: str
    type: FieldType = FieldType.STRING
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[Any, ...] | None = None
    max_length: int | None = None
    pattern: str | None = None
    default: Any = field(default=None)

    def problem(self) -> str | None:
        """What is wrong with this field's Python arguments, or ``None`` (the spec checks the rest)."""
        where = f"field {self.name!r}"
        if not isinstance(self.type, FieldType) and self.type not in [t.value for t in FieldType]:
            close = difflib.get_close_matches(
                str(self.type).lower(), list(_TYPE_ALIASES) + [t.value for t in FieldType], n=1
            )
            guess = _TYPE_ALIASES.get(close[0], close[0]) if close else None
            hint = f" (did you mean FieldType.{FieldType(guess).name}?)" if guess else ""
            return (
                f"{where}: type={self.type!r} is not a FieldType; allowed: "
                + ", ".join(f"FieldType.{t.name}" for t in FieldType)
                + hint
            )
        if not isinstance(self.required, bool):
            return f"{where}: required={self.required!r}; allowed: True or False"
        if self.allowed is not None and (
            isinstance(self.allowed, (str, bytes, dict))
            or not isinstance(self.allowed, (tuple, list, set, frozenset))
        ):
            return (
                f"{where}: allowed={self.allowed!r}; allowed: a tuple or list of values, e.g. "
                f"allowed=({self.allowed!r},)"
            )
        return None

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": self.name, "type": FieldType(self.type).value}
        if not self.required:
            spec["required"] = False
        for key in ("minimum", "maximum", "max_length", "pattern", "default"):
            value = getattr(self, key)
            if value is not None:
                spec[key] = value
        if self.allowed is not None:
            spec["allowed"] = list(self.allowed)
        return spec


@dataclass(frozen=True)
class RecordSchema:
    """The declared shape of incoming records: field names, types, required, ranges, enums."""

    fields: tuple[Field, ...]
    extra_fields: ExtraFields = ExtraFields.KEEP

    @classmethod
    def from_fields(cls, *fields: Field, extra_fields: ExtraFields = ExtraFields.KEEP) -> RecordSchema:
        return cls(fields=tuple(fields), extra_fields=extra_fields)

    def to_spec(self) -> dict[str, Any]:
        return {
            "fields": [f.to_spec() for f in self.fields],
            "extra_fields": ExtraFields(self.extra_fields).value,
        }

    def to_json(self) -> str:
        """Compact JSON, as passed to the runtime through the environment."""
        return json.dumps(self.to_spec(), separators=(",", ":"), sort_keys=True)

    def problem(self) -> str | None:
        """What is wrong with this schema, or ``None``."""
        for f in self.fields:
            if not isinstance(f, Field):
                return f"{f!r} is not a Field"
            problem = f.problem()
            if problem:
                return problem
        try:
            validate_spec(self.to_spec())
        except SchemaError as error:
            return str(error)
        return None

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


# Lambda allows 4 KB of environment in total; leave room for the other variables.
MAX_SCHEMA_JSON_BYTES = 3000
