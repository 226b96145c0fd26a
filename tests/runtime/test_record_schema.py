"""The record schema shared by the Firehose transform and the S3 pre-processor (no CDK)."""

from __future__ import annotations

import pytest

from ml_constructs.runtime.record_schema import Schema, SchemaError, strict_json_decoder, validate_spec

SPEC = {
    "fields": [
        {"name": "id", "type": "string", "max_length": 8, "pattern": "[a-z0-9]+"},
        {"name": "amount", "type": "number", "minimum": 0, "maximum": 100},
        {"name": "count", "type": "integer", "required": False},
        {"name": "ok", "type": "boolean", "required": False},
        {"name": "at", "type": "timestamp", "required": False},
        {
            "name": "channel",
            "type": "string",
            "required": False,
            "default": "web",
            "allowed": ["web", "shop"],
        },
    ]
}


@pytest.fixture(scope="module")
def strict() -> Schema:
    return Schema(SPEC)


@pytest.fixture(scope="module")
def from_text() -> Schema:
    return Schema(SPEC, coerce=True)


def test_valid_record_passes_unchanged_when_complete(strict):
    record = {"id": "a1", "amount": 5, "channel": "shop"}
    out, error, changed = strict.validate(record)
    assert (out, error, changed) == (record, None, False)
    assert out is record


def test_missing_optional_field_gets_its_default(strict):
    out, error, changed = strict.validate({"id": "a1", "amount": 5.5})
    assert error is None and changed and out == {"id": "a1", "amount": 5.5, "channel": "web"}


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"amount": 1}, "field 'id': required but missing"),
        ({"id": None, "amount": 1}, "field 'id': required but missing"),
        ({"id": 7, "amount": 1}, "field 'id': expected string, got 7"),
        ({"id": "toolongvalue", "amount": 1}, "field 'id': longer than 8 characters"),
        ({"id": "A-1", "amount": 1}, "field 'id': 'A-1' does not match '[a-z0-9]+'"),
        ({"id": "a", "amount": -1}, "field 'amount': -1 below minimum 0"),
        ({"id": "a", "amount": 101}, "field 'amount': 101 above maximum 100"),
        ({"id": "a", "amount": True}, "field 'amount': expected number, got True"),
        ({"id": "a", "amount": float("nan")}, "field 'amount': expected finite number"),
        ({"id": "a", "amount": 1, "count": 1.5}, "field 'count': expected integer, got 1.5"),
        ({"id": "a", "amount": 1, "ok": "yes"}, "field 'ok': expected boolean, got 'yes'"),
        ({"id": "a", "amount": 1, "at": "yesterday"}, "field 'at': expected ISO 8601 timestamp"),
        ({"id": "a", "amount": 1, "channel": "fax"}, "field 'channel': 'fax' not one of ['web', 'shop']"),
        (["not", "an", "object"], "expected a JSON object, got list"),
        ({"id": "a", "amount": 10**400}, "field 'amount': out of the 64-bit float range, got 1000"),
        ({"id": "a", "amount": -(10**400)}, "field 'amount': out of the 64-bit float range"),
        ({"id": "a", "amount": 1, "count": 2**63}, "field 'count': out of the 64-bit integer range"),
        ({"id": "a", "amount": 1, "count": -(2**63) - 1}, "field 'count': out of the 64-bit integer range"),
    ],
)
def test_each_rule_rejects_with_a_reason(strict, record, reason):
    out, error, changed = strict.validate(record)
    assert out is None and not changed
    assert error == reason or error.startswith(reason)


def test_text_values_are_coerced_for_csv(from_text):
    out, error, changed = from_text.validate(
        {
            "id": "a1",
            "amount": "12.5",
            "count": "3",
            "ok": "true",
            "at": "2026-01-02T03:04:05Z",
            "channel": "",
        }
    )
    assert error is None and changed
    assert out == {
        "id": "a1",
        "amount": 12.5,
        "count": 3,
        "ok": True,
        "at": "2026-01-02T03:04:05Z",
        "channel": "web",
    }


def test_catalog_ranges_are_inclusive_and_checked_without_overflow(strict, from_text):
    assert strict.validate({"id": "a", "amount": 1, "count": 2**63 - 1})[1] is None
    assert strict.validate({"id": "a", "amount": 1, "count": -(2**63)})[1] is None
    unbounded = Schema({"fields": [{"name": "x", "type": "number"}]})
    assert unbounded.validate({"x": 1.7976931348623157e308})[1] is None
    assert (
        unbounded.validate({"x": 2**1024})[1]
        == "field 'x': out of the 64-bit float range, got " + repr(2**1024)[:57] + "..."
    )
    assert from_text.validate({"id": "a", "amount": "1", "count": "9" * 19})[1].startswith(
        "field 'count': out of the 64-bit integer range"
    )
    assert from_text.validate({"id": "a", "amount": "1", "count": "9" * 5000})[1].startswith(
        "field 'count': expected integer"  # int() refuses 4,300+ digits: no quadratic parse
    )
    assert from_text.validate({"id": "a", "amount": "9" * 400})[1].startswith(
        "field 'amount': expected finite number"
    )
    # integral text stays an integer only while a double holds it exactly
    assert from_text.validate({"id": "a", "amount": "12"})[0]["amount"] == 12
    assert (
        type(
            Schema({"fields": [{"name": "x", "type": "number"}]}, coerce=True).validate({"x": "1e300"})[0][
                "x"
            ]
        )
        is float
    )


def test_strict_json_decoder_refuses_what_json_readers_cannot_read_back():
    decode = strict_json_decoder().decode
    assert decode('{"a": 1e308, "b": 10000000000000000000000000000}')["a"] == 1e308
    for text, message in [
        ("NaN", "NaN is not valid JSON"),
        ('{"a": -Infinity}', "-Infinity is not valid JSON"),
        ("1e400", "number 1e400 is out of the 64-bit float range"),
        ("[-1.5E999]", "number -1.5E999 is out of the 64-bit float range"),
    ]:
        with pytest.raises(ValueError, match=message):
            decode(text)
    with pytest.raises(RecursionError):
        decode("[" * 100_000)


def test_coercion_still_rejects_bad_text(from_text):
    assert (
        from_text.validate({"id": "a1", "amount": "twelve"})[1]
        == "field 'amount': expected number, got 'twelve'"
    )
    assert from_text.validate({"id": "a1", "amount": "inf"})[1].startswith(
        "field 'amount': expected finite number"
    )


@pytest.mark.parametrize(
    ("mode", "expected"), [("keep", {"id": "a", "amount": 1, "x": 1}), ("drop", {"id": "a", "amount": 1})]
)
def test_extra_fields_keep_or_drop(mode, expected):
    schema = Schema({"fields": SPEC["fields"][:2], "extra_fields": mode})
    assert schema.validate({"id": "a", "amount": 1, "x": 1})[0] == expected


def test_extra_fields_reject():
    schema = Schema({"fields": SPEC["fields"][:2], "extra_fields": "reject"})
    assert schema.validate({"id": "a", "amount": 1, "x": 1})[1] == "unexpected fields ['x']"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "non-empty 'fields'"),
        ({"fields": [{"name": "a", "type": "date"}]}, "type 'date' is not one of"),
        ({"fields": [{"name": "a"}, {"name": "a", "type": "string"}]}, "type None"),
        ({"fields": [{"name": "a", "type": "string"}, {"name": "a", "type": "string"}]}, "declared twice"),
        ({"fields": [{"name": "a", "type": "integer", "minimum": 3, "maximum": 1}]}, "minimum 3 > maximum 1"),
        ({"fields": [{"name": "a", "type": "string", "minimum": 1}]}, "numeric fields only"),
        ({"fields": [{"name": "a", "type": "string", "pattern": "("}]}, "bad pattern"),
        ({"fields": [{"name": "a", "type": "string", "default": "x"}]}, "only makes sense on an optional"),
        (
            {"fields": [{"name": "a", "type": "integer", "required": False, "default": "x"}]},
            "default does not pass",
        ),
        ({"fields": [{"name": "a", "type": "integer", "allowed": [1, "b"]}]}, "allowed value does not pass"),
        ({"fields": [{"name": "a", "type": "string", "colour": 1}]}, "unknown keys ['colour']"),
        ({"fields": [{"name": "a", "type": "string"}], "extra_fields": "maybe"}, "extra_fields 'maybe'"),
        ({"fields": [{"name": "a", "type": "number", "minimum": float("nan")}]}, "minimum must be a finite"),
        ({"fields": [{"name": "a", "type": "number", "maximum": float("inf")}]}, "maximum must be a finite"),
        ({"fields": [{"name": "a", "type": "integer", "minimum": 10**400}]}, "minimum must be a finite"),
        ({"fields": [{"name": "a", "type": "string", "required": "no"}]}, "required must be true or false"),
        ({"fields": [{"name": "a", "type": "string", "max_length": True}]}, "max_length must be a positive"),
        ({"fields": [{"name": "a", "type": "string", "pattern": 5}]}, "pattern must be a regular expression"),
    ],
)
def test_bad_specs_are_rejected(spec, message):
    with pytest.raises(SchemaError, match=__import__("re").escape(message)):
        validate_spec(spec)
