"""The S3 pre-processor against moto S3: clean rows, rejected rows, quarantined files."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import tracemalloc

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from ml_constructs.runtime import object_preprocess
from ml_constructs.runtime.object_preprocess import Settings, handler, process_object, text_lines
from ml_constructs.runtime.record_schema import Schema, strict_json_decoder

SPEC = {
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "number", "minimum": 0},
        {"name": "channel", "type": "string", "required": False, "default": "web"},
    ]
}
SCHEMA, CSV_SCHEMA = Schema(SPEC), Schema(SPEC, coerce=True)
RAW, PROCESSED = "raw-zone", "processed-zone"
SETTINGS = Settings(
    schema_spec=SPEC,
    output_bucket=PROCESSED,
    output_prefix="clean/",
    quarantine_prefix="quarantine/",
    source_prefix="incoming/",
)


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        for bucket in (RAW, PROCESSED):
            client.create_bucket(Bucket=bucket)
        monkeypatch.setattr(object_preprocess, "_CLIENT", client)
        yield client


def put(s3, key: str, body: bytes | str) -> None:
    s3.put_object(Bucket=RAW, Key=key, Body=body.encode() if isinstance(body, str) else body)


def read_lines(s3, bucket: str, key: str) -> list[dict]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def keys(s3, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def event(key: str) -> dict:
    return {
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": RAW}, "object": {"key": key, "size": 1}},
    }


def test_csv_rows_are_typed_and_bad_rows_quarantined_with_reasons(s3, monkeypatch):
    monkeypatch.setenv("SCHEMA", json.dumps(SPEC))
    monkeypatch.setenv("OUTPUT_BUCKET", PROCESSED)
    monkeypatch.setenv("OUTPUT_PREFIX", "clean/")
    monkeypatch.setenv("QUARANTINE_PREFIX", "quarantine/")
    monkeypatch.setenv("SOURCE_PREFIX", "incoming/")
    put(s3, "incoming/day1/sales.csv", "id,amount,channel\na,1.5,shop\nb,-2,web\nc,abc,\nd,3\n\ne,4,\n")
    result = handler(event("incoming/day1/sales.csv"))["results"][0]
    assert result["status"] == "processed"
    assert (result["clean_rows"], result["rejected_rows"]) == (2, 3)
    assert read_lines(s3, PROCESSED, "clean/day1/sales.jsonl") == [
        {"id": "a", "amount": 1.5, "channel": "shop"},
        {"id": "e", "amount": 4, "channel": "web"},
    ]
    rejected = read_lines(s3, RAW, "quarantine/day1/sales.csv.rejected.jsonl")
    assert [(r["line"], r["reason"]) for r in rejected] == [
        (3, "field 'amount': -2 below minimum 0"),
        (4, "field 'amount': expected number, got 'abc'"),
        (5, "expected 3 columns, got 2"),
    ]
    assert rejected[0]["row"] == {"id": "b", "amount": "-2", "channel": "web"}
    assert rejected[0]["source"] == f"s3://{RAW}/incoming/day1/sales.csv"


def test_json_lines_with_invalid_json_and_wrong_types(s3):
    put(s3, "incoming/s.jsonl", '{"id":"a","amount":2}\n{oops\n{"id":1,"amount":2}\n[1]\n')
    result = process_object(s3, RAW, "incoming/s.jsonl", SETTINGS)
    assert (result.clean_rows, result.rejected_rows) == (1, 3)
    assert read_lines(s3, PROCESSED, "clean/s.jsonl") == [{"id": "a", "amount": 2, "channel": "web"}]
    reasons = [r["reason"] for r in read_lines(s3, RAW, "quarantine/s.jsonl.rejected.jsonl")]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1:] == ["field 'id': expected string, got 1", "expected a JSON object, got list"]


@pytest.mark.parametrize(
    ("key", "body", "reason"),
    [
        ("incoming/empty.csv", b"", "empty CSV: no header row"),
        ("incoming/empty.jsonl", b"\n\n", "no rows: the object is empty"),
        (
            "incoming/latin1.csv",
            "id,amount\ncafé,1\n".encode("latin-1"),
            "not UTF-8 text: bad byte near offset 13",
        ),
        ("incoming/cols.csv", b"name,amount\nx,1\n", "CSV header lacks required columns ['id']"),
        ("incoming/data.xml", b"<a/>", "unsupported file type"),
    ],
)
def test_unreadable_files_are_copied_whole_to_quarantine_with_reason(s3, key, body, reason):
    put(s3, key, body)
    result = process_object(s3, RAW, key, SETTINGS)
    assert result.status == "quarantined" and result.reason.startswith(reason)
    name = key.removeprefix("incoming/")
    assert s3.get_object(Bucket=RAW, Key=f"quarantine/{name}")["Body"].read() == body
    note = json.loads(s3.get_object(Bucket=RAW, Key=f"quarantine/{name}.reason.json")["Body"].read())
    assert note == {"source": f"s3://{RAW}/{key}", "reason": result.reason}
    assert keys(s3, PROCESSED) == set()


def test_non_utf8_after_valid_rows_writes_no_partial_output(s3):
    good = b"id,amount\n" + b"a,1\n" * 200_000
    put(s3, "incoming/late.csv", good + b"\xff,2\n")
    result = process_object(s3, RAW, "incoming/late.csv", SETTINGS)
    assert result.status == "quarantined"
    assert keys(s3, PROCESSED) == set()  # outputs are uploaded only after the whole object was read


def test_retry_is_idempotent(s3):
    put(s3, "incoming/r.jsonl", '{"id":"a","amount":1}\n{"id":"b","amount":-1}\n')
    first = process_object(s3, RAW, "incoming/r.jsonl", SETTINGS)
    second = process_object(s3, RAW, "incoming/r.jsonl", SETTINGS)
    assert first.outputs == second.outputs
    assert keys(s3, PROCESSED) == {"clean/r.jsonl"}
    assert keys(s3, RAW) == {"incoming/r.jsonl", "quarantine/r.jsonl.rejected.jsonl"}
    assert len(read_lines(s3, PROCESSED, "clean/r.jsonl")) == 1


def test_s3_notification_events_are_understood():
    records = {"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": "incoming/a+b%3D.csv"}}}]}
    assert object_preprocess.objects_in(records) == [("b", "incoming/a b=.csv")]


@pytest.mark.slow  # a 50 MB object through moto: make test-e2e
def test_a_50_mb_object_is_processed_through_moto(s3):
    row = json.dumps({"id": "x" * 900, "amount": 1.25}) + "\n"
    count = 50 * 1024 * 1024 // len(row) + 1
    put(s3, "incoming/big.jsonl", row * count)
    result = process_object(s3, RAW, "incoming/big.jsonl", SETTINGS)
    assert (result.clean_rows, result.rejected_rows) == (count, 0)
    head = s3.head_object(Bucket=PROCESSED, Key="clean/big.jsonl")
    assert head["ContentLength"] > 50 * 1024 * 1024


class _GeneratedBody(io.RawIOBase):
    """A CSV body of ``rows`` rows of about 1 KB each, produced on the fly as S3 streams it."""

    def __init__(self, rows: int) -> None:
        filler = b"x" * 1000
        self._rows = (b"r%d,%s,%d.5\n" % (i, filler, i % 97) for i in range(rows))
        self._buffer = b"id,note,amount\n"

    def read(self, size: int = -1) -> bytes:
        parts, length = [self._buffer], len(self._buffer)
        while length < size and (row := next(self._rows, None)) is not None:
            parts.append(row)
            length += len(row)
        data = b"".join(parts)
        self._buffer = data[size:]
        return data[:size]


class _StreamingClient:
    """Just enough of an S3 client: streams the body in, counts what is uploaded."""

    def __init__(self, body) -> None:
        self.body, self.uploaded = body, {}

    def get_object(self, Bucket, Key):
        return {"Body": self.body}

    def upload_fileobj(self, fileobj, bucket, key, ExtraArgs=None):
        size = 0
        while chunk := fileobj.read(1 << 20):
            size += len(chunk)
        self.uploaded[key] = size


@pytest.mark.slow  # a 50 MB object, memory measured: make test-e2e
def test_a_50_mb_object_is_streamed_not_read_whole():
    rows = 52_000  # about 52 MB of CSV
    client = _StreamingClient(_GeneratedBody(rows))
    tracemalloc.start()
    result = process_object(client, RAW, "incoming/big.csv", SETTINGS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.clean_rows == rows and result.rejected_rows == 0
    assert client.uploaded["clean/big.jsonl"] > 50 * 1024 * 1024
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB: the object was not streamed"


def test_text_lines_handles_multibyte_characters_split_across_chunks(monkeypatch):
    monkeypatch.setattr(object_preprocess, "CHUNK_BYTES", 3)
    text = "é€😀\nzweite Zeile ü\n"
    assert list(text_lines(io.BytesIO(text.encode()))) == ["é€😀\n", "zweite Zeile ü\n"]


# -- bad input: every row clean or quarantined with its line, the function never crashes --------
class _MemoryClient:
    """An in-memory S3 client for one object (moto is too slow for property tests)."""

    def __init__(self, body: bytes | io.RawIOBase) -> None:
        self.body = io.BytesIO(body) if isinstance(body, bytes) else body
        self.objects: dict[str, bytes] = {}

    def get_object(self, Bucket, Key):
        return {"Body": self.body}

    def upload_fileobj(self, fileobj, bucket, key, ExtraArgs=None):
        self.objects[key] = fileobj.read()

    def copy(self, source, bucket, key):
        self.objects[key] = b"<copy>"

    def put_object(self, Bucket, Key, Body, ContentType=None):
        self.objects[Key] = Body


STRICT = strict_json_decoder().decode  # what a standard JSON reader reads back


def process(key: str, body: bytes | io.RawIOBase, limit: int = object_preprocess.MAX_LINE_CHARS):
    """Process ``body`` in memory: (result, clean records, rejected entries)."""
    client = _MemoryClient(body)
    settings = dataclasses.replace(SETTINGS, max_line_chars=limit)
    result = process_object(client, RAW, f"incoming/{key}", settings)
    clean = client.objects.get(f"clean/{stem(key)}.jsonl", b"")
    rejected = client.objects.get(f"quarantine/{key}.rejected.jsonl", b"")
    # Output must be JSON that a standard reader reads back: no NaN, no Infinity.
    records = [STRICT(line) for line in clean.decode("ascii").split("\n")[:-1]]
    entries = [STRICT(line) for line in rejected.decode("ascii").split("\n")[:-1]]
    assert (len(records), len(entries)) == (result.clean_rows, result.rejected_rows)
    if result.status == "quarantined":
        assert not records and not entries
        assert client.objects[f"quarantine/{key}"] == b"<copy>"
    return result, records, entries


def stem(key: str) -> str:
    return object_preprocess.stem(key)


def reasons(entries: list[dict]) -> list[tuple[int, str]]:
    return [(e["line"], e["reason"]) for e in entries]


def test_a_csv_cell_beyond_the_csv_modules_field_limit_is_a_row_like_any_other():
    cell = "x" * 200_000  # csv's default field limit is 131,072
    result, records, entries = process("wide.csv", f"id,amount\n{cell},1\nb,2\n".encode())
    assert result.status == "processed"
    assert records == [
        {"id": cell, "amount": 1, "channel": "web"},
        {"id": "b", "amount": 2, "channel": "web"},
    ]


@pytest.mark.parametrize("key", ["long.jsonl", "long.csv"])
def test_a_line_over_the_limit_is_quarantined_with_its_line_and_the_rest_processed(key):
    head = "id,amount\n" if key.endswith(".csv") else ""
    row = "a,1" if key.endswith(".csv") else '{"id":"a","amount":1}'
    long = "b,2" + "x" * 100 if key.endswith(".csv") else '{"id":"' + "x" * 100 + '","amount":2}'
    body = f"{head}{row}\n{long}\r\n{row}\r{row}".encode()
    result, records, entries = process(key, body, limit=60)
    first = 2 if head else 1
    assert result.clean_rows == 3
    what = "record" if head else "line"
    assert reasons(entries) == [(first + 1, f"{what} longer than 60 characters ('row' holds its first 200)")]
    assert entries[0]["row"] == long[:200]


def test_a_200_mb_line_is_quarantined_in_bounded_memory():
    """Issue 11: a 200 MB line crashed the function after 27 s at 430 MB. The bench runs 200 MB
    (bench/object_preprocess.py); here 64 MB keeps the suite fast and shows the bound."""

    class OneLine(io.RawIOBase):
        def __init__(self, size: int) -> None:
            self.parts = [b'{"id":"a","amount":1}\n{"id":"'] + [b"x" * (1 << 20)] * size + [b'"}\n']
            self.parts += [b'{"id":"c","amount":3}\n']

        def read(self, size: int = -1) -> bytes:
            return self.parts.pop(0) if self.parts else b""

    tracemalloc.start()
    result, records, entries = process("huge.jsonl", OneLine(64))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (result.status, result.clean_rows) == ("processed", 2)
    assert reasons(entries) == [(2, "line longer than 1048576 characters ('row' holds its first 200)")]
    assert entries[0]["row"] == '{"id":"' + "x" * 193
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


@pytest.mark.parametrize("key", ["deep.jsonl", "deep.csv"])
def test_deep_nesting_and_huge_numbers_reject_their_row_only(key):
    if key.endswith(".csv"):
        body = "id,amount\na," + "9" * 400 + "\nb,1e400\nc,NaN\nd,1\ne," + "9" * 5000 + "\n"
        expected = [
            (2, "field 'amount': expected finite number, got '" + "9" * 56 + "..."),
            (3, "field 'amount': expected finite number, got '1e400'"),
            (4, "field 'amount': expected finite number, got 'NaN'"),
            (6, "field 'amount': expected finite number, got '" + "9" * 56 + "..."),  # 5,000 digits
        ]
    else:
        body = "\n".join(
            [
                '{"id":"a","amount":' + "9" * 400 + "}",
                '{"id":"b","amount":1,"x":' + "[" * 10_000 + "]" * 10_000 + "}",
                '{"id":"c","amount":1,"extra":NaN}',
                '{"id":"d","amount":1}',
                '{"id":"e","amount":1,"extra":1e400}',
                '{"id":"f","amount":1,"extra":-Infinity}',
            ]
        )
        expected = [
            (1, "field 'amount': out of the 64-bit float range, got " + "9" * 57 + "..."),
            (2, "invalid JSON: maximum recursion depth exceeded"),
            (3, "invalid JSON: NaN is not valid JSON"),
            (5, "invalid JSON: number 1e400 is out of the 64-bit float range"),
            (6, "invalid JSON: -Infinity is not valid JSON"),
        ]
    result, records, entries = process(key, body.encode())
    assert [r["id"] for r in records] == ["d"]
    assert [line for line, _ in reasons(entries)] == [line for line, _ in expected]
    for (_, reason), (_, start) in zip(reasons(entries), expected, strict=True):
        assert reason.startswith(start)


SEPARATORS = "\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e"  # line breaks to str.splitlines only


def test_unicode_line_separators_stay_inside_their_row():
    csv_body = f'id,amount,note\na{SEPARATORS}z,1,x{SEPARATORS}\n"q{SEPARATORS}",2,\n'
    result, records, entries = process("seps.csv", csv_body.encode())
    assert (result.clean_rows, entries) == (2, [])
    assert [r["id"] for r in records] == [f"a{SEPARATORS}z", f"q{SEPARATORS}"]
    assert records[0]["note"] == f"x{SEPARATORS}"
    json_body = "\n".join(
        json.dumps({"id": f"{SEPARATORS}{n}", "amount": n}, ensure_ascii=False) for n in (1, 2)
    )
    result, records, entries = process("seps.jsonl", json_body.encode())
    assert (result.clean_rows, entries) == (2, [])
    assert [r["id"] for r in records] == [f"{SEPARATORS}1", f"{SEPARATORS}2"]


def test_lines_end_at_lf_crlf_or_cr_even_across_chunks(monkeypatch):
    monkeypatch.setattr(object_preprocess, "CHUNK_BYTES", 1)  # a "\r" and its "\n" in two reads
    body = (
        b'{"id":"a","amount":1}\r\n{"id":"b","amount":2}\r{"id":"c","amount":3}\n\r\n{"id":"d","amount":-4}'
    )
    result, records, entries = process("ends.jsonl", body)
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert reasons(entries) == [(5, "field 'amount': -4 below minimum 0")]
    lines = list(text_lines(io.BytesIO(b"a\r\nb\rc\n\nd")))
    assert lines == ["a\r\n", "b\r", "c\n", "\n", "d"]


def test_a_quoted_csv_field_may_hold_line_breaks_and_the_record_keeps_its_first_line():
    body = 'id,amount,note\na,1,"two\r\nlines"\nb,-1,"x\ny"\nc,2,\n'
    result, records, entries = process("quoted.csv", body.encode())
    assert [(r["id"], r["note"]) for r in records] == [("a", "two\r\nlines"), ("c", "")]
    assert reasons(entries) == [(4, "field 'amount': -1 below minimum 0")]


def test_an_unclosed_quote_costs_one_record_not_the_rest_of_the_file():
    rows = "".join(f"r{n},{n}\n" for n in range(50))
    body = f'id,amount\nbad,"1\n{rows}'
    result, records, entries = process("quote.csv", body.encode(), limit=100)
    # the quote swallows lines until the record passes the limit; then reading starts afresh
    assert reasons(entries)[0] == (2, "record longer than 100 characters ('row' holds its first 200)")
    assert entries[0]["row"] == 'bad,"1\n'
    assert result.clean_rows + result.rejected_rows == 50 - 17 + 1  # about 100 characters swallowed
    assert records[-1] == {"id": "r49", "amount": 49, "channel": "web"}


def test_a_duplicate_csv_header_quarantines_the_file():
    result, _, _ = process("dup.csv", b"id,amount,amount\na,1,2\n")
    assert result.status == "quarantined"
    assert result.reason == "CSV header names columns more than once: ['amount']"


def test_a_blank_line_is_spaces_and_tabs_only():
    body = '{"id":"a","amount":1}\n \t\n\x0c\n\u2028\n'
    result, records, entries = process("blank.jsonl", body.encode())
    assert result.clean_rows == 1
    assert [line for line, _ in reasons(entries)] == [3, 4]  # form feed, U+2028: not JSON


def test_a_rule_that_raises_rejects_its_row_not_the_file(monkeypatch):
    real = object_preprocess.Schema.validate

    def fragile(self, record):
        if record.get("id") == "boom":
            raise MemoryError("no room")
        return real(self, record)

    monkeypatch.setattr(object_preprocess.Schema, "validate", fragile)
    result, records, entries = process("fragile.jsonl", b'{"id":"boom","amount":1}\n{"id":"a","amount":1}\n')
    assert [r["id"] for r in records] == ["a"]
    assert reasons(entries) == [(1, "cannot validate: MemoryError: no room")]


def test_max_line_length_comes_from_the_environment():
    env = {"SCHEMA": json.dumps(SPEC), "OUTPUT_BUCKET": "b", "QUARANTINE_PREFIX": "q/"}
    assert Settings.from_env(env).max_line_chars == object_preprocess.MAX_LINE_CHARS
    assert Settings.from_env({**env, "MAX_LINE_LENGTH": "4096"}).max_line_chars == 4096
    for bad in ("0", "-1", "big"):
        with pytest.raises(ValueError, match="MAX_LINE_LENGTH must be a positive integer"):
            Settings.from_env({**env, "MAX_LINE_LENGTH": bad})


# -- properties: rows in == clean + quarantined, output valid JSON, for any bytes ----------------
_BREAK = re.compile("\r\n|\r|\n")
_HOSTILE_TEXT = st.sampled_from(
    [
        SEPARATORS,
        "\u2028",
        "\x85",
        "\x1c",
        '"',
        '""',
        ",",
        "\r",
        "\n",
        "\r\n",
        "\ufeff",
        "\x00",
        " ",
        "\t",
        "NaN",
        "1e400",
        "-0",
        " 12 ",
        "9" * 400,
        "é😀",
        "",
    ]
)
_CELL = st.one_of(_HOSTILE_TEXT, st.text(max_size=8), st.integers(-5, 50).map(str))
_ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def _csv_text(draw) -> str:
    header = draw(
        st.sampled_from(["id,amount", "id,amount,channel", "amount,id,note", "id,amount,amount", "x"])
    )
    width = header.count(",") + 1
    lines = [header]
    for _ in range(draw(st.integers(0, 8))):
        cells = draw(st.lists(_CELL, min_size=width - 1, max_size=width + 1))
        quote = draw(st.booleans())
        lines.append(",".join('"' + c.replace('"', '""') + '"' if quote else c for c in cells))
    return "".join(line + draw(_ENDS) for line in lines)[: None if draw(st.booleans()) else -1]


def _json_value():
    return st.one_of(
        _HOSTILE_TEXT,
        st.text(max_size=8),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([10**400, -(10**400), None, True, [], {}]),
    )


@st.composite
def _json_text(draw) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 5))
        if kind <= 2:
            record = draw(
                st.fixed_dictionaries(
                    {}, optional={"id": _json_value(), "amount": _json_value(), "x": _json_value()}
                )
            )
            line = json.dumps(record, ensure_ascii=draw(st.booleans()))
        elif kind == 3:  # literals json.dumps would not write
            line = draw(
                st.sampled_from(
                    ['{"id":"a","amount":NaN}', '{"id":"a","amount":1,"x":1e400}', "[" * 5000, "9" * 5000]
                )
            )
        else:
            line = draw(st.text(max_size=30))
        lines.append(line)
    return "".join(line + draw(_ENDS) for line in lines)


@st.composite
def _body(draw, text) -> bytes:
    data = draw(text).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # arbitrary bytes, sometimes inside valid text
        noise = draw(st.binary(max_size=20))
        at = draw(st.integers(0, len(data)))
        data = data[:at] + noise + data[at:]
    return (b"\xef\xbb\xbf" if draw(st.integers(0, 5)) == 0 else b"") + data


def _decoded(body: bytes) -> str | None:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _blank(text: str) -> bool:
    return not text.strip(" \t")


def _check_quarantined(result, expected_reason: str | None) -> None:
    assert result.status == "quarantined", result
    if expected_reason:
        assert result.reason.startswith(expected_reason), result.reason


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_body(_json_text()), limit=st.sampled_from([20, 200, object_preprocess.MAX_LINE_CHARS]))
def test_property_json_lines_every_row_clean_or_quarantined_once(body, limit):
    result, records, entries = process("p.jsonl", body, limit=limit)
    text = _decoded(body)
    if text is None:
        return _check_quarantined(result, "not UTF-8 text")
    lines = _BREAK.split(text)
    if lines[-1] == "":
        lines.pop()
    rows = {n: line for n, line in enumerate(lines, start=1) if not _blank(line)}
    if not rows:
        return _check_quarantined(result, "no rows")
    assert result.status == "processed"
    assert result.clean_rows + result.rejected_rows == len(rows)  # rows in == clean + quarantined
    quarantined = [e["line"] for e in entries]
    assert quarantined == sorted(set(quarantined)) and set(quarantined) <= set(rows)
    # each row got the right verdict: the clean ones, in order, are exactly the valid rows
    expected = []
    for number, line in rows.items():
        try:
            record, problem, _ = SCHEMA.validate(STRICT(line)) if len(line) <= limit else (None, "long", 0)
        except (ValueError, RecursionError):
            record = None
        if record is None:
            assert number in quarantined
        else:
            expected.append(record)
    assert records == expected


def _csv_records(text: str) -> list[tuple[int, list[str], int]]:
    """The reference reading: ``(first line, cells, characters without the last line end)``."""
    lines = list(io.StringIO(text, newline=""))  # ends at "\n", "\r\n", "\r" only
    read = 0

    def source():
        nonlocal read
        for line in lines:
            read += 1
            yield line

    reader = csv.reader(source())
    records = []
    while True:
        first = read + 1
        cells = next(reader, None)
        if cells is None:
            return records
        span = lines[first - 1 : read]
        size = sum(map(len, span)) - (len(span[-1]) - len(span[-1].rstrip("\r\n")))
        records.append((first, cells, size))


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_body(_csv_text()), limit=st.sampled_from([30, 60, object_preprocess.MAX_LINE_CHARS]))
def test_property_csv_every_row_clean_or_quarantined_once(body, limit):
    result, records, entries = process("p.csv", body, limit=limit)  # output checked: valid JSON
    text = _decoded(body)
    if text is None:  # a bad header is seen before a bad byte further on
        _check_quarantined(result, None)
        assert result.reason.startswith(("not UTF-8 text", "CSV header", "empty CSV")), result.reason
        return
    table = _csv_records(text)
    if any(size > limit for _, _, size in table):
        # a record over the limit ends early and reading starts afresh at the next line, where
        # this reference reading goes on: counts differ; the output is still valid JSON
        if table[0][2] > limit:
            _check_quarantined(result, "CSV header longer than")
        return
    header = [c.strip() for c in table[0][1]] if table else []
    if not header or _blank("".join(header)):
        return _check_quarantined(result, "empty CSV")
    if len(set(header)) < len(header):
        return _check_quarantined(result, "CSV header names columns more than once")
    if not {"id", "amount"} <= set(header):
        return _check_quarantined(result, "CSV header lacks required columns")
    rows = [(n, cells) for n, cells, _ in table[1:] if cells and not (len(cells) == 1 and _blank(cells[0]))]
    if not rows:
        return _check_quarantined(result, "no rows")
    assert result.status == "processed"
    assert result.clean_rows + result.rejected_rows == len(rows)  # rows in == clean + quarantined
    expected, rejected = [], []
    for number, cells in rows:
        record = None
        if len(cells) == len(header):
            record, _, _ = CSV_SCHEMA.validate(dict(zip(header, cells, strict=True)))
        if record is None:
            rejected.append(number)
        else:
            expected.append(record)
    assert records == expected
    assert [entry["line"] for entry in entries] == rejected  # each with its first line
