"""The Firehose transform: each rule, the fast paths against the reference path, properties."""

from __future__ import annotations

import base64
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_constructs.runtime import firehose_transform as ft
from ml_constructs.runtime.record_schema import Schema, strict_json_decoder

SPEC = {
    "fields": [
        {"name": "id", "type": "string", "max_length": 12, "pattern": "[a-z0-9-]+"},
        {"name": "amount", "type": "number", "minimum": 0, "maximum": 1000},
        {"name": "quantity", "type": "integer", "required": False, "minimum": 1, "maximum": 99},
        {
            "name": "channel",
            "type": "string",
            "required": False,
            "default": "web",
            "allowed": ["web", "store"],
        },
        {"name": "gift", "type": "boolean", "required": False},
        {"name": "at", "type": "timestamp"},
    ],
    "extra_fields": "keep",
}
SCHEMA = Schema(SPEC)
GOOD = {
    "id": "a-1",
    "amount": 12.5,
    "quantity": 2,
    "channel": "store",
    "gift": False,
    "at": "2025-03-01T10:00:00+00:00",
}
OK, DROPPED, FAILED = ft.OK, ft.DROPPED, ft.FAILED
STRICT = strict_json_decoder().decode  # what standard JSON readers can read back


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def text(record: dict, newline: bool = True) -> bytes:
    return (json.dumps(record, separators=(",", ":")) + ("\n" if newline else "")).encode()


def event(*payloads: bytes | str) -> dict:
    records = []
    for number, payload in enumerate(payloads):
        data = payload if isinstance(payload, str) else b64(payload)
        records.append({"recordId": f"r{number}", "approximateArrivalTimestamp": 1, "data": data})
    return {
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/clicks",
        "records": records,
    }


def run(*payloads: bytes | str, schema: Schema = SCHEMA) -> tuple[list[dict], dict]:
    response, report = ft.transform(event(*payloads), schema)
    return response["records"], report


def one(payload: bytes | str, schema: Schema = SCHEMA) -> tuple[str, bytes, str | None]:
    records, report = run(payload, schema=schema)
    (record,) = records
    reason = next(iter(report["reasons"].values()))[2] if report["reasons"] else None
    return record["result"], base64.b64decode(record["data"]), reason


# -- Ok -----------------------------------------------------------------------------------------
def test_valid_newline_terminated_record_comes_back_with_its_original_base64_string():
    data = b64(text(GOOD))
    records, _ = run(data)
    assert records[0]["result"] == OK
    assert records[0]["data"] is data  # the very same string object: not re-encoded


@pytest.mark.parametrize("extra", ["", "x", "xy"])  # payload lengths of each remainder mod 3
def test_valid_record_without_newline_gets_one_appended_without_reserializing(extra):
    record = {**GOOD, "id": "a-1" + "0" * len(extra)}
    raw = text(record, newline=False)
    result, data, _ = one(b64(raw))
    assert (result, data) == (OK, raw + b"\n")


@settings(deadline=None)
@given(st.binary(min_size=1, max_size=300))
def test_appending_a_newline_to_base64_is_exact(raw):
    assert ft.with_newline(b64(raw), raw) == b64(raw + b"\n")


def test_missing_optional_field_gets_its_default_and_the_record_is_reserialized():
    record = {k: v for k, v in GOOD.items() if k != "channel"}
    result, data, _ = one(text(record, newline=False))
    assert result == OK
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert json.loads(data) == {**record, "channel": "web"}


def test_multi_line_json_is_reserialized_onto_one_line():
    result, data, _ = one(json.dumps(GOOD, indent=2).encode())
    assert result == OK
    assert data == text(GOOD)


def test_crlf_terminated_record_is_reserialized():
    result, data, _ = one(text(GOOD, newline=False) + b"\r\n")
    assert (result, data) == (OK, text(GOOD))


def test_extra_fields_kept_by_default_dropped_or_rejected_on_request():
    record = {**GOOD, "note": "hi"}
    assert one(text(record))[:2] == (OK, text(record))
    drop = Schema({**SPEC, "extra_fields": "drop"})
    assert one(text(record), schema=drop)[:2] == (OK, text(GOOD))
    reject = Schema({**SPEC, "extra_fields": "reject"})
    result, _, reason = one(text(record), schema=reject)
    assert result == FAILED and "unexpected fields ['note']" in reason


def test_unicode_text_is_kept_as_utf8():
    record = {**GOOD, "id": "a-1", "note": "café ☕"}
    raw = json.dumps(record, ensure_ascii=False).encode()
    assert one(raw)[:2] == (OK, raw + b"\n")


# -- Dropped and ProcessingFailed -----------------------------------------------------------------
@pytest.mark.parametrize("payload", [b"", b"   ", b"\n", b" \r\n\t"])
def test_empty_records_are_dropped(payload):
    result, _, reason = one(payload)
    assert result == DROPPED and reason == "empty record"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("not base64!", "invalid base64"),
        ("QUJD=", "invalid base64"),  # bad padding
        (b"\xff\xfe{}", "not UTF-8: bad byte at offset 0"),
        (b'{"id": "a-1", "amount": 1', "invalid JSON"),
        (b'{"id": "a-1"} {"id": "b"}', "invalid JSON"),
        (b"[1, 2]", "expected a JSON object, got list"),
        (b'"text"', "expected a JSON object, got str"),
        (text({**GOOD, "amount": float("nan")}), "invalid JSON: NaN is not valid JSON"),
        (text({**GOOD, "amount": float("inf")}), "invalid JSON: Infinity is not valid JSON"),
        (text({**GOOD, "amount": "12"}), "field 'amount': expected number"),
        (text({**GOOD, "amount": -1}), "field 'amount': -1 below minimum 0"),
        (text({**GOOD, "amount": 1001}), "field 'amount': 1001 above maximum 1000"),
        (text({**GOOD, "quantity": 2.0}), "field 'quantity': expected integer"),
        (text({**GOOD, "quantity": True}), "field 'quantity': expected integer"),
        (text({**GOOD, "gift": "yes"}), "field 'gift': expected boolean"),
        (text({**GOOD, "channel": "fax"}), "field 'channel': 'fax' not one of ['web', 'store']"),
        (text({**GOOD, "id": "A!"}), "field 'id': 'A!' does not match"),
        (text({**GOOD, "id": "a" * 13}), "field 'id': longer than 12 characters"),
        (text({**GOOD, "at": "yesterday"}), "field 'at': expected ISO 8601 timestamp"),
        (text({k: v for k, v in GOOD.items() if k != "id"}), "field 'id': required but missing"),
        (text({**GOOD, "id": None}), "field 'id': required but missing"),
        (b"[" * 100_000, "invalid JSON"),  # nesting deeper than the recursion limit
        (b'{"id": ' + b"9" * 5000 + b"}", "invalid JSON"),  # integer longer than Python allows
    ],
)
def test_bad_records_fail_with_their_reason_and_original_data(payload, reason):
    records, report = run(payload)
    assert records[0]["result"] == FAILED
    original = payload if isinstance(payload, str) else b64(payload)
    assert records[0]["data"] == original
    ((count, record_id, example),) = report["reasons"].values()
    assert (count, record_id) == (1, "r0")
    assert reason in example


def test_a_number_beyond_the_float_range_fails_wherever_it_is():
    # 1e999 parses to inf: json.dumps would write Infinity. Refused in an extra field too, so a
    # record's verdict does not depend on whether it needs re-serializing.
    raw = b'{"id":"a-1","amount":1,"channel":"web","at":"2025-03-01","big":1e999}\n'
    for payload in (raw, raw.replace(b",", b",\n")):
        result, _, reason = one(payload)
        assert result == FAILED and reason == "invalid JSON: number 1e999 is out of the 64-bit float range"


HUGE = 10**400  # a valid JSON integer; math.isfinite(HUGE) raises OverflowError


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({**GOOD, "amount": HUGE}, "field 'amount': out of the 64-bit float range, got 1000000"),
        ({**GOOD, "amount": -HUGE}, "field 'amount': out of the 64-bit float range"),
        ({**GOOD, "quantity": 2**63}, "field 'quantity': out of the 64-bit integer range"),
        ({**GOOD, "quantity": -(2**63) - 1}, "field 'quantity': out of the 64-bit integer range"),
    ],
)
def test_numbers_out_of_the_catalog_types_fail_their_record_only(record, reason):
    """Issue 11: a 400-digit price raised OverflowError in the fast check and failed all 500."""
    spec = {**SPEC, "fields": [{**f, "minimum": None, "maximum": None} for f in SPEC["fields"]]}
    for schema in (SCHEMA, Schema(spec)):  # with and without bounds of their own
        payloads = [text(GOOD)] * 250 + [text(record)] + [text(GOOD)] * 249
        records, report = run(*payloads, schema=schema)
        assert [r["recordId"] for r in records] == [f"r{n}" for n in range(500)]
        assert [r["result"] for r in records] == [OK] * 250 + [FAILED] + [OK] * 249
        ((count, record_id, example),) = report["reasons"].values()
        assert (count, record_id) == (1, "r250") and example.startswith(reason)
    assert one(text({**GOOD, "quantity": 2**63 - 1}), schema=Schema(spec))[0] == OK


def test_huge_integers_and_lone_surrogates_in_kept_extra_fields_are_ok_as_they_came():
    record = {**GOOD, "big": HUGE, "odd": "\ud800 \u2028 \x1c"}
    raw = json.dumps(record).encode()  # ASCII, escapes kept
    assert one(raw)[:2] == (OK, raw + b"\n")
    # the same record re-serialized (default filled): UTF-8 cannot hold the surrogate, so the
    # record is written with escapes, not failed
    short = {k: v for k, v in record.items() if k != "channel"}
    result, data, _ = one(json.dumps(short, indent=1).encode())
    assert result == OK and STRICT(data.decode()) == {**short, "channel": "web"}


def test_deep_nesting_fails_the_record_not_the_batch():
    deep = b'{"id":"a-1","x":' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    records, report = run(text(GOOD), deep, text(GOOD))
    assert [r["result"] for r in records] == [OK, FAILED, OK]
    assert "invalid JSON" in next(iter(report["reasons"].values()))[2]


def test_an_unforeseen_exception_in_a_chunk_is_judged_record_by_record(monkeypatch):
    def explode(self, values):
        raise RuntimeError("boom")

    monkeypatch.setattr(ft.FastAccept, "rejects", explode)
    payloads = [text(GOOD), text({**GOOD, "amount": -1}), b"", b"{oops"] * 100
    records, report = run(*payloads)
    expected = [ft.transform_record(SCHEMA, b64(p))[:2] for p in payloads]
    assert [(r["result"], r["data"]) for r in records] == expected
    assert report["summary"]["failed"] == 200


def test_a_record_whose_check_raises_fails_alone(monkeypatch):

    def fragile(self, record):
        if record.get("id") == "BAD":  # fails the pattern: the fast check sends it here
            raise MemoryError("no room")
        return record, None, False

    monkeypatch.setattr(Schema, "validate", fragile)
    records, report = run(text({**GOOD, "id": "BAD"}), text({**GOOD, "amount": -1}))
    assert [r["result"] for r in records] == [FAILED, OK]
    assert "MemoryError: no room" in next(iter(report["reasons"].values()))[2]


def test_record_data_that_is_not_a_string_fails():
    response, report = ft.transform({"records": [{"recordId": "x", "data": 12}]}, SCHEMA)
    assert response["records"] == [{"recordId": "x", "result": FAILED, "data": ""}]
    response, _ = ft.transform({"records": [{"recordId": 7, "data": b64(text(GOOD))}]}, SCHEMA)
    assert response["records"] == [{"recordId": 7, "result": OK, "data": b64(text(GOOD))}]


# -- the batch parser cannot be fooled ---------------------------------------------------------
def test_records_that_are_not_whole_values_cannot_borrow_from_their_neighbours():
    # Joined, these parse as three values: {"a":1},{"b":2} | {"x":[{}, {"z":1}]} - misaligned.
    texts = ['{"a":1},{"b":2}', '{"x":[{}', '{"z":1}]}', '{"ok":1}']
    values, unparsed = ft.parse_many(texts, "0123456789abcdef")
    assert values[:3] == [ft._UNPARSED] * 3 and sorted(unparsed) == [0, 1, 2]
    assert values[3] == {"ok": 1}


def test_parse_many_matches_json_loads_on_mixed_texts():
    rng = random.Random(3)
    texts = []
    for n in range(600):
        good = json.dumps({"n": n, "s": "x" * rng.randrange(5)})
        texts.append(rng.choice([good, good[:-1], good + "]", "{", "NaN", '{"a":1e999}', good]))
    values, unparsed = ft.parse_many(texts, "feedfacecafebeef")
    assert sorted(unparsed) == [i for i, v in enumerate(values) if v is ft._UNPARSED]
    for value, original in zip(values, texts, strict=True):
        try:
            expected = STRICT(original)
        except ValueError:
            expected = ft._UNPARSED
        assert value == expected or (value is expected)


def test_batch_with_a_bad_record_in_every_position_gives_the_same_verdicts_as_one_by_one():
    payloads = [text({**GOOD, "id": f"a-{n}"}, newline=n % 2 == 0) for n in range(40)]
    for bad in (0, 17, 39):
        mixed = list(payloads)
        mixed[bad] = b'{"id": "broken'
        records, _ = run(*mixed)
        expected = [ft.transform_record(SCHEMA, b64(p)) for p in mixed]
        assert [(r["result"], r["data"]) for r in records] == [(e[0], e[1]) for e in expected]


# -- response size --------------------------------------------------------------------------------
def test_response_is_kept_under_the_limit_by_failing_the_records_that_grew_most(monkeypatch):
    short = {k: v for k, v in GOOD.items() if k != "channel"}  # gets a default: grows
    payloads = [text(short, newline=False)] * 10 + [text(GOOD)] * 10
    unlimited, _ = run(*payloads)
    size = sum(len(r["recordId"]) + len(r["data"]) + ft.ENTRY_OVERHEAD for r in unlimited) + 16
    monkeypatch.setattr(ft, "MAX_RESPONSE_BYTES", size - 30)
    records, report = run(*payloads)
    assert [r["recordId"] for r in records] == [f"r{n}" for n in range(20)]
    failed = [r for r in records if r["result"] == FAILED]
    assert 1 <= len(failed) <= 3
    assert all(r["data"] == b64(text(short, newline=False)) for r in failed)
    assert report["summary"]["response_bytes_estimate"] <= size - 30
    assert report["reasons"]["response size limit"][0] == len(failed)


# -- the handler ----------------------------------------------------------------------------------
def test_handler_reads_the_schema_from_the_environment_and_logs_json_lines(monkeypatch, capsys):
    monkeypatch.setenv("SCHEMA", json.dumps(SPEC))
    response = ft.handler(event(text(GOOD), text({**GOOD, "amount": -5}), text({**GOOD, "amount": -6}), b""))
    assert [r["result"] for r in response["records"]] == [OK, FAILED, FAILED, DROPPED]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == {
        "event": "firehose_batch",
        "delivery_stream": "clicks",
        "records": 4,
        "ok": 1,
        "dropped": 1,
        "failed": 2,
        "response_bytes_estimate": lines[0]["response_bytes_estimate"],
    }
    failed = next(line for line in lines if line["event"] == "records_failed")
    assert failed["reason"] == "field 'amount'" and failed["count"] == 2
    assert failed["example_record_id"] == "r1" and failed["delivery_stream"] == "clicks"
    assert any(line["event"] == "records_dropped" for line in lines)


# -- properties -----------------------------------------------------------------------------------
def _values(kind: str):
    return {
        "string": st.text(max_size=14),
        "integer": st.integers(-5, 120),
        "number": st.one_of(st.integers(-5, 1200), st.floats(-5, 1200, allow_nan=False)),
        "boolean": st.booleans(),
        "timestamp": st.sampled_from(["2025-03-01T10:00:00+00:00", "2025-03-01", "noon", "2025-13-01"]),
    }[kind]


# A value of the right type most of the time, of any JSON type sometimes.
_ANY = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2)
)
_record = st.fixed_dictionaries(
    {},
    optional={
        **{f["name"]: st.one_of(_values(f["type"]), _ANY) for f in SPEC["fields"]},
        "id": st.one_of(st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True), _ANY),
        "channel": st.one_of(st.sampled_from(["web", "store", "fax"]), _ANY),
        "extra": _ANY,
    },
)


@st.composite
def _payload(draw) -> str:
    """One record's base64 data: valid, schema-breaking or malformed, in every shape."""
    record = draw(_record)
    shape = draw(st.integers(0, 11))
    if shape <= 4:  # compact JSON, with or without a newline
        raw = text(record, newline=shape % 2 == 0)
    elif shape == 5:
        raw = json.dumps(record, indent=draw(st.integers(0, 2))).encode()
    elif shape == 6:  # truncated
        raw = text(record)[: draw(st.integers(0, 20))]
    elif shape == 7:
        raw = draw(st.binary(max_size=30))
    elif shape == 8:
        raw = json.dumps(draw(_ANY)).encode()
    elif shape == 9:
        raw = draw(st.sampled_from([b"", b" \n", b"{}", b"NaN", b'{"a": Infinity}', b"\xc3\x28"]))
    elif shape == 10:  # a neighbour-borrowing fragment
        raw = draw(st.sampled_from([b'{"a":1},{"b":2}', b'{"x":[{}', b'{"z":1}]}', b'{"id":"a-1"', b"}"]))
    else:
        return draw(st.sampled_from(["!!", "QQ", "QQ=", "QUJD=", "Zm9v\n"]))  # not base64
    return b64(raw)


def _check(payloads: list[str]) -> None:
    """The properties of one batch (see the 10,000-record test)."""
    request = {"records": [{"recordId": f"id-{n}", "data": d} for n, d in enumerate(payloads)]}
    response, _ = ft.transform(request, SCHEMA)
    records = response["records"]
    assert [r["recordId"] for r in records] == [f"id-{n}" for n in range(len(payloads))]
    for record, original in zip(records, payloads, strict=True):
        assert record["result"] in (OK, DROPPED, FAILED)
        # The batch (joined parse, column checks) agrees with the record-at-a-time path.
        assert (record["result"], record["data"]) == ft.transform_record(SCHEMA, original)[:2]
        if record["result"] == OK:
            data = base64.b64decode(record["data"], validate=True).decode()
            assert data.endswith("\n") and "\n" not in data[:-1] and "\r" not in data
            value = STRICT(data)
            checked, problem, _ = SCHEMA.validate(value)
            assert problem is None and checked is not None
        else:
            assert record["data"] == original


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(_payload(), min_size=1, max_size=25))
def test_property_hypothesis_batches(payloads):
    """Hypothesis-built batches (shrinkable when a property breaks)."""
    _check(payloads)


# Seeded generator for volume: hypothesis picks the seeds, a plain PRNG builds the records.
_JUNK = [None, True, 0, -3, 2.5, "", "x", [1], {"a": 1}, 10**20, "2025-03-01", "fax"]
_VALID = {  # values the schema accepts
    "id": ["a-1", "zz-99", "0", "abc-def-0123"],
    "amount": [0, 1, 12.5, 999.99, 1000],
    "quantity": [1, 2, 99],
    "channel": ["web", "store"],
    "gift": [True, False],
    "at": ["2025-03-01T10:00:00+00:00", "2025-03-01", "2025-03-01 10:00"],
}
_INVALID = {  # and values it rejects
    "id": ["A!", "a" * 13, ""],
    "amount": [-0.5, 1000.5, "12"],
    "quantity": [0, 100, 2.0, True],
    "channel": ["fax", "WEB"],
    "gift": ["yes", 1],
    "at": ["noon", "2025-13-01"],
}
_OPTIONAL = ("quantity", "channel", "gift")


def _random_payload(rng: random.Random) -> str:
    record = {}
    clean = rng.random() < 0.6  # 60 % of the records break no field rule
    for name, values in _VALID.items():
        if name in _OPTIONAL and rng.random() < 0.2:
            continue  # missing optional field (channel then gets its default)
        roll = 1.0 if clean else rng.random()
        if roll > 0.3:
            record[name] = rng.choice(values)
        elif roll > 0.15:
            record[name] = rng.choice(_INVALID[name])
        elif roll > 0.05:
            record[name] = rng.choice(_JUNK)
        # else: missing
    if rng.random() < 0.2:
        record["extra"] = rng.choice(_JUNK)
    shape = rng.random()
    if shape < 0.7:
        raw = text(record, newline=rng.random() < 0.5)
    elif shape < 0.75:
        raw = json.dumps(record, indent=rng.choice([None, 1, 2]), ensure_ascii=rng.random() < 0.5).encode()
    elif shape < 0.8:
        raw = text(record)[: rng.randrange(40)]
    elif shape < 0.85:
        raw = rng.randbytes(rng.randrange(20))
    elif shape < 0.9:
        raw = json.dumps(rng.choice(_JUNK)).encode()
    elif shape < 0.95:
        raw = rng.choice(
            [
                b"",
                b" \n",
                b"{}",
                b"NaN",
                b'{"a": Infinity}',
                b"\xc3\x28",
                b'{"a":1},{"b":2}',
                b'{"x":[{}',
                b'{"z":1}]}',
                b'{"id":"a-1"',
                b"}",
                b'{"id":"a-1","big":1e999}',
            ]
        )
    else:
        return rng.choice(["!!", "QQ", "QQ=", "QUJD=", "Zm9v\n", "e30=="])  # not (canonical) base64
    return b64(raw)


_seen: list[int] = []


@settings(max_examples=200, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(50, 80))
def _seeded_batch(seed, size):
    rng = random.Random(seed)
    payloads = [_random_payload(rng) for _ in range(size)]
    _seen.append(len(payloads))
    _check(payloads)


def test_property_mixed_batches_of_at_least_10000_records():
    """200 generated batches of 50-80 records each (>= 10,000 records), valid and malformed
    mixed: no exception, each recordId once and in order, results in {Ok, Dropped,
    ProcessingFailed}, Ok data one newline-terminated JSON object that passes the schema,
    failed data untouched, and the batch path agrees with the record-at-a-time path."""
    _seen.clear()
    _seeded_batch()
    assert sum(_seen) >= 10_000, sum(_seen)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(_record, min_size=1, max_size=20))
def test_fast_acceptance_never_accepts_what_the_schema_rejects_or_changes(records):
    for spec in (SPEC, {**SPEC, "extra_fields": "reject"}, {**SPEC, "extra_fields": "drop"}):
        schema = Schema(spec)
        slow = ft.FastAccept(spec).rejects(records)
        for index, record in enumerate(records):
            if index not in slow:
                assert schema.validate(record) == (record, None, False)


# -- hostile values, each with the result it must get ------------------------------------------
DEEP = "[" * 10_000 + "]" * 10_000  # deeper than any recursion limit
# Values a kept extra field may hold: the record stays Ok, the value comes back intact.
_KEPT = st.one_of(
    st.sampled_from(
        [
            HUGE,
            -HUGE,
            2**64,
            1e308,
            -0.0,
            5e-324,
            "\ud800",  # a lone surrogate: a valid JSON escape, not encodable as UTF-8
            "a\udfffb",
            "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e",  # line breaks to str.splitlines, not to JSON
            "\x00\r\n\t",
            "é😀",
            '","0123456789abcdef",',  # looks like the batch parser's separator
            "}{",
            "x" * 5000,
            {"a": [{"b": None}]},
            [],
        ]
    ),
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.recursive(st.integers(0, 9), lambda inner: st.lists(inner, max_size=2), max_leaves=60),
)
# Values that make a record fail, as raw JSON text, each with its reason; ``where`` None means
# the value fails wherever it is (an extra field too), else it breaks that field's rule.
_FAILING = [
    (str(HUGE), "amount", "field 'amount': out of the 64-bit float range"),
    (str(-HUGE), "amount", "field 'amount': out of the 64-bit float range"),
    (str(2**63), "quantity", "field 'quantity': out of the 64-bit integer range"),
    (str(-(2**63) - 1), "quantity", "field 'quantity': out of the 64-bit integer range"),
    ("1e999", None, "invalid JSON: number 1e999 is out of the 64-bit float range"),
    ("-1E400", None, "invalid JSON: number -1E400 is out of the 64-bit float range"),
    ("NaN", None, "invalid JSON: NaN is not valid JSON"),
    ("-Infinity", None, "invalid JSON: -Infinity is not valid JSON"),
    ("9" * 5000, None, "invalid JSON: Exceeds the limit (4300 digits)"),
    (DEEP, None, "invalid JSON: maximum recursion depth exceeded"),
    ('"' + "a" * 13 + '"', "id", "field 'id': longer than 12 characters"),
    ('"2025-03-01\u2028"', "at", "field 'at': expected ISO 8601 timestamp"),
    ('"web\\u2028"', "channel", "field 'channel': 'web\\u2028' not one of"),
]
_HOLE = "\u0000hole\u0000"  # a placeholder string, replaced by raw JSON text


@st.composite
def _labelled(draw) -> tuple[str, str, object]:
    """``(base64 data, expected result, expected record or reason)`` for one hostile record."""
    record = {name: draw(st.sampled_from(values)) for name, values in _VALID.items()}
    for name in _OPTIONAL:
        if draw(st.booleans()):
            del record[name]
    for n in range(draw(st.integers(0, 3))):
        record[f"extra{n}"] = draw(_KEPT)
    failing = draw(st.one_of(st.none(), st.sampled_from(_FAILING)))
    if failing is not None:
        literal, where, reason = failing
        record[where or draw(st.sampled_from(["amount", "extra", "at"]))] = _HOLE
    indent = draw(st.sampled_from([None, None, 1]))
    body = json.dumps(record, indent=indent, ensure_ascii=draw(st.booleans()))
    if failing is not None:
        body = body.replace(json.dumps(_HOLE), literal)
    try:
        raw = body.encode()
    except UnicodeEncodeError:  # a lone surrogate written raw: only the escaped form is JSON text
        raw = (
            json.dumps(record, indent=indent).replace(json.dumps(_HOLE), literal if failing else "").encode()
        )
    raw += draw(st.sampled_from([b"", b"\n", b"\r\n"]))
    if failing is not None:
        return b64(raw), FAILED, reason
    return b64(raw), OK, {**record, "channel": record.get("channel", "web")}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(st.one_of(_labelled(), _payload().map(lambda p: (p, None, None))), min_size=1, max_size=30))
def test_property_hostile_values_each_record_once_with_the_right_result(items):
    """Every recordId comes back once, in order, and each hostile record gets the result its
    generator says it must: Ok with the same record (defaults filled), or ProcessingFailed
    with its reason and its data untouched. Unlabelled records agree with the one-by-one path."""
    payloads = [payload for payload, _, _ in items]
    response, report = ft.transform(
        {"records": [{"recordId": f"id-{n}", "data": d} for n, d in enumerate(payloads)]}, SCHEMA
    )
    records = response["records"]
    assert [r["recordId"] for r in records] == [f"id-{n}" for n in range(len(items))]
    reasons = {example_id: example for _, example_id, example in report["reasons"].values()}
    for record, (payload, result, expected) in zip(records, items, strict=True):
        if result is None:
            assert (record["result"], record["data"]) == ft.transform_record(SCHEMA, payload)[:2]
            continue
        assert record["result"] == result, (expected, ft.transform_record(SCHEMA, payload))
        if result == OK:
            data = base64.b64decode(record["data"], validate=True).decode()
            assert data.endswith("\n") and "\n" not in data[:-1] and "\r" not in data
            assert STRICT(data) == expected
        else:
            assert record["data"] == payload
            verdict = ft.transform_record(SCHEMA, payload)
            assert verdict[0] == FAILED and verdict[2].startswith(expected), verdict[2]
            if record["recordId"] in reasons:
                assert reasons[record["recordId"]].startswith(expected)
