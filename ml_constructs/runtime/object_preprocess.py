"""Lambda handler: validate and pre-process a new CSV or JSON-lines object in S3.

Triggered by an S3 "Object Created" event (through EventBridge, or an S3 notification). The
object is streamed, never read whole: each row is checked against the schema in ``SCHEMA``;
clean rows are written as JSON lines to ``OUTPUT_BUCKET``/``OUTPUT_PREFIX``; rejected rows go,
one JSON line each with the line number and reason, to ``QUARANTINE_PREFIX`` in the source
bucket. A file that cannot be read at all (not UTF-8, empty, a CSV without the required
columns) is copied whole to ``QUARANTINE_PREFIX`` with a ``.reason.json`` beside it. The source
object is never changed, output keys are derived from the source key alone, and outputs are
uploaded only once the whole object was read: a retry rewrites the same keys (idempotent).

Environment: ``SCHEMA`` (JSON, see :mod:`record_schema`), ``OUTPUT_BUCKET``,
``OUTPUT_PREFIX``, ``QUARANTINE_PREFIX``, ``SOURCE_PREFIX`` (stripped from output keys).
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
import os
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

if __package__:  # imported from the library
    from .record_schema import Schema
else:  # pragma: no cover - the Lambda bundle puts the runtime modules at the top level
    from record_schema import Schema  # type: ignore[import-not-found,no-redef]

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
CHUNK_BYTES = 1 << 20
CSV_SUFFIXES = (".csv",)
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


class Unreadable(Exception):
    """The object as a whole cannot be processed; it goes to quarantine with this reason."""


@dataclass
class Result:
    bucket: str
    key: str
    status: str = "processed"
    clean_rows: int = 0
    rejected_rows: int = 0
    reason: str | None = None
    outputs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class Settings:
    schema_spec: dict[str, Any]
    output_bucket: str
    output_prefix: str
    quarantine_prefix: str
    source_prefix: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            schema_spec=json.loads(env["SCHEMA"]),
            output_bucket=env["OUTPUT_BUCKET"],
            output_prefix=env.get("OUTPUT_PREFIX", ""),
            quarantine_prefix=env["QUARANTINE_PREFIX"],
            source_prefix=env.get("SOURCE_PREFIX", ""),
        )


def objects_in(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(bucket, key) pairs from an EventBridge S3 event or an S3 notification event."""
    if "detail" in event:
        detail = event["detail"]
        return [(detail["bucket"]["name"], detail["object"]["key"])]
    return [
        (r["s3"]["bucket"]["name"], urllib.parse.unquote_plus(r["s3"]["object"]["key"]))
        for r in event.get("Records", [])
    ]


def text_lines(body: IO[bytes]) -> Iterator[str]:
    """Decode a byte stream as strict UTF-8 (BOM allowed), chunk by chunk, line by line."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    offset = 0
    pending = ""
    while True:
        chunk = body.read(CHUNK_BYTES)
        try:
            text = decoder.decode(chunk or b"", final=not chunk)
        except UnicodeDecodeError as error:
            raise Unreadable(f"not UTF-8 text: bad byte near offset {offset + error.start}") from None
        offset += len(chunk or b"")
        if text:
            lines = (pending + text).splitlines(keepends=True)
            pending = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
            yield from lines
        if not chunk:
            if pending:
                yield pending
            return


def rows(key: str, lines: Iterator[str], schema: Schema) -> Iterator[tuple[int, Any, str | None]]:
    """Yield ``(line number, row, parse error)``; rows are dicts for valid syntax."""
    lower = key.lower()
    if lower.endswith(CSV_SUFFIXES):
        reader = csv.reader(lines)
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise Unreadable("empty CSV: no header row")
        header = [cell.strip() for cell in header]
        required = [f["name"] for f in schema.spec["fields"] if f.get("required", True)]
        missing = [name for name in required if name not in header]
        if missing:
            raise Unreadable(f"CSV header lacks required columns {missing}")
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line
            if len(cells) != len(header):
                yield reader.line_num, cells, f"expected {len(header)} columns, got {len(cells)}"
                continue
            yield reader.line_num, dict(zip(header, cells, strict=True)), None
    elif lower.endswith(JSON_SUFFIXES):
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line), None
            except ValueError as error:
                yield number, line.rstrip("\r\n"), f"invalid JSON: {error}"
    else:
        raise Unreadable(f"unsupported file type (expected {CSV_SUFFIXES + JSON_SUFFIXES})")


def relative(key: str, prefix: str) -> str:
    return key[len(prefix) :] if prefix and key.startswith(prefix) else key


def stem(name: str) -> str:
    base, dot, ext = name.rpartition(".")
    return base if dot and "/" not in ext else name


def process_object(s3: Any, bucket: str, key: str, settings: Settings) -> Result:
    """Validate one object; write clean rows, rejected rows or the quarantined file."""
    result = Result(bucket=bucket, key=key)
    csv_input = key.lower().endswith(CSV_SUFFIXES)
    schema = Schema(settings.schema_spec, coerce=csv_input)
    name = relative(key, settings.source_prefix)
    clean_key = f"{settings.output_prefix}{stem(name)}.jsonl"
    rejected_key = f"{settings.quarantine_prefix}{name}.rejected.jsonl"
    with tempfile.TemporaryFile() as clean, tempfile.TemporaryFile() as rejected:
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            seen = 0
            for number, row, error in rows(key, text_lines(body), schema):
                seen += 1
                record = None
                if error is None:
                    record, error, _ = schema.validate(row)
                if record is not None:
                    clean.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")
                    result.clean_rows += 1
                else:
                    entry = {"source": f"s3://{bucket}/{key}", "line": number, "reason": error, "row": row}
                    rejected.write(json.dumps(entry, default=str).encode() + b"\n")
                    result.rejected_rows += 1
            if seen == 0:
                raise Unreadable("no rows: the object is empty")
        except Unreadable as problem:
            return quarantine(s3, bucket, key, name, str(problem), settings, result)
        if result.clean_rows:
            clean.seek(0)
            s3.upload_fileobj(clean, settings.output_bucket, clean_key, ExtraArgs=_json_lines())
            result.outputs.append(f"s3://{settings.output_bucket}/{clean_key}")
        if result.rejected_rows:
            rejected.seek(0)
            s3.upload_fileobj(rejected, bucket, rejected_key, ExtraArgs=_json_lines())
            result.outputs.append(f"s3://{bucket}/{rejected_key}")
    return result


def quarantine(
    s3: Any, bucket: str, key: str, name: str, reason: str, settings: Settings, result: Result
) -> Result:
    """Copy the whole object to quarantine, with its reason beside it."""
    target = f"{settings.quarantine_prefix}{name}"
    s3.copy({"Bucket": bucket, "Key": key}, bucket, target)
    note = {"source": f"s3://{bucket}/{key}", "reason": reason}
    s3.put_object(
        Bucket=bucket,
        Key=f"{target}.reason.json",
        Body=json.dumps(note).encode(),
        ContentType="application/json",
    )
    result.status, result.reason = "quarantined", reason
    result.outputs += [f"s3://{bucket}/{target}", f"s3://{bucket}/{target}.reason.json"]
    return result


def _json_lines() -> dict[str, str]:
    return {"ContentType": "application/x-ndjson"}


_CLIENT = None


def _s3() -> Any:
    global _CLIENT
    if _CLIENT is None:
        import boto3

        _CLIENT = boto3.client("s3")
    return _CLIENT


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point. Errors other than a bad object raise, so Lambda retries them."""
    settings = Settings.from_env()
    results = []
    for bucket, key in objects_in(event):
        result = process_object(_s3(), bucket, key, settings)
        LOG.info(json.dumps(result.as_dict()))
        results.append(result.as_dict())
    return {"results": results}
