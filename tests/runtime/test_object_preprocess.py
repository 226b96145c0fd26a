"""The S3 pre-processor against moto S3: clean rows, rejected rows, quarantined files."""

from __future__ import annotations

import io
import json
import tracemalloc

import boto3
import pytest
from moto import mock_aws

from ml_constructs.runtime import object_preprocess
from ml_constructs.runtime.object_preprocess import Settings, handler, process_object, text_lines

SPEC = {
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "number", "minimum": 0},
        {"name": "channel", "type": "string", "required": False, "default": "web"},
    ]
}
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
