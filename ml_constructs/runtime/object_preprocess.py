"""Lambda handler: validate and pre-process a new CSV or JSON-lines object in S3.

Triggered by an S3 "Object Created" event (through EventBridge, or an S3 notification). The
object is streamed, never read whole: each row is checked against the schema in ``SCHEMA``;
clean rows are written as JSON lines to ``OUTPUT_BUCKET``/``OUTPUT_PREFIX``; rejected rows go,
one JSON line each with the line number and reason, to ``QUARANTINE_PREFIX`` in the source
bucket. A file that cannot be read at all (not UTF-8, empty, a CSV header without the required
columns or naming one twice) is copied whole to ``QUARANTINE_PREFIX`` with a ``.reason.json``
beside it. The source object is never changed, output keys are derived from the source key
alone, and outputs are uploaded only once the whole object was read: a retry rewrites the same
keys (idempotent).

Every row ends up clean or quarantined, never lost, and no row crashes the function (a crash
means Lambda retries, then the dead-letter queue, and the file is neither processed nor
quarantined): lines end at ``\n``, ``\r\n`` or ``\r`` only (not at U+2028 or ``\x1c`` as
``str.splitlines`` has it); a line (for CSV, a record) longer than ``MAX_LINE_LENGTH``
characters is quarantined with its first characters, its text dropped as it is read, so memory
stays bounded whatever the object holds; JSON that parses to what JSON cannot hold (``NaN``,
``1e400``) or nests past the recursion limit is rejected as invalid; any exception while judging
a row rejects that row. The clean output is ASCII JSON that any reader parses back. See
``docs/bad_input.md``.

Environment: ``SCHEMA`` (JSON, see :mod:`record_schema`), ``OUTPUT_BUCKET``,
``OUTPUT_PREFIX``, ``QUARANTINE_PREFIX``, ``SOURCE_PREFIX`` (stripped from output keys),
``MAX_LINE_LENGTH`` (characters, default 1,048,576).
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
import os
import re
import tempfile
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import IO, Any

if __package__:  # imported from the library
    from .record_schema import Schema, strict_json_decoder
else:  # pragma: no cover - the Lambda bundle puts the runtime modules at the top level
    from record_schema import Schema, strict_json_decoder  # type: ignore[import-not-found,no-redef]

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
CHUNK_BYTES = 1 << 20
# The longest line (a CSV record, for CSV) kept, in characters; longer ones are quarantined
# with their first PREVIEW_CHARS characters. Memory stays near a few times this, whatever the
# object holds. Override with the MAX_LINE_LENGTH environment variable.
MAX_LINE_CHARS = 1 << 20
PREVIEW_CHARS = 200
_decode_json = strict_json_decoder().decode  # NaN, Infinity, 1e400: not JSON a reader gets back
_encode_ascii = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
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
    max_line_chars: int = MAX_LINE_CHARS

    def __post_init__(self) -> None:
        if not isinstance(self.max_line_chars, int) or self.max_line_chars < 1:
            raise ValueError(f"MAX_LINE_LENGTH must be a positive integer, got {self.max_line_chars!r}")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        limit = env.get("MAX_LINE_LENGTH", "").strip()
        try:
            max_line_chars = int(limit) if limit else MAX_LINE_CHARS
        except ValueError:
            raise ValueError(f"MAX_LINE_LENGTH must be a positive integer, got {limit!r}") from None
        return cls(
            schema_spec=json.loads(env["SCHEMA"]),
            output_bucket=env["OUTPUT_BUCKET"],
            output_prefix=env.get("OUTPUT_PREFIX", ""),
            quarantine_prefix=env["QUARANTINE_PREFIX"],
            source_prefix=env.get("SOURCE_PREFIX", ""),
            max_line_chars=max_line_chars,
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


class TooLong:
    """A line longer than the limit, in place of its text: only its first characters are kept."""

    __slots__ = ("blank", "preview")

    def __init__(self, preview: str, blank: bool) -> None:
        self.preview, self.blank = preview, blank  # blank: spaces and tabs only


_BREAKS = re.compile("(\r\n|\r|\n)")  # the only line ends (not str.splitlines' U+2028, \x1c...)
_NOT_BLANK = re.compile("[^ \t]")


class _Line:
    """The line being read across chunks: its pieces, or a :class:`TooLong` once past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.too_long: TooLong | None = None

    def add(self, piece: str) -> None:
        if self.too_long is not None:  # skipping: remember only whether it is still blank
            if self.too_long.blank and _NOT_BLANK.search(piece):
                self.too_long.blank = False
            return
        self.size += len(piece)
        if self.size <= self.limit:
            self.parts.append(piece)
            return
        head = "".join(self.parts)  # at most ``limit`` characters
        blank = not _NOT_BLANK.search(head) and not _NOT_BLANK.search(piece)
        self.too_long = TooLong((head + piece[:PREVIEW_CHARS])[:PREVIEW_CHARS], blank)
        self.parts = []

    def finish(self, piece: str, end: str) -> str | TooLong:
        self.add(piece)
        line: str | TooLong = self.too_long or "".join(self.parts) + end
        self.parts, self.size, self.too_long = [], 0, None
        return line

    def __bool__(self) -> bool:
        return bool(self.parts) or self.too_long is not None


def text_lines(body: IO[bytes], max_chars: int = MAX_LINE_CHARS) -> Iterator[str | TooLong]:
    """Decode a byte stream as strict UTF-8 (BOM allowed), chunk by chunk, line by line.

    Lines end at ``\n``, ``\r\n`` or ``\r`` only, and keep their end (CSV needs it inside quoted
    fields). A line of more than ``max_chars`` characters (its end not counted) comes as a
    :class:`TooLong`, and memory stays bounded by ``max_chars`` plus one chunk whatever the
    line's size: its text is dropped as it is read.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    offset = 0
    carry = ""  # a chunk's last "\r": its "\n" may start the next chunk
    line = _Line(max_chars)
    while True:
        chunk = body.read(CHUNK_BYTES) or b""
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            raise Unreadable(f"not UTF-8 text: bad byte near offset {offset + error.start}") from None
        offset += len(chunk)
        text, carry = carry + text, ""
        if chunk and text.endswith("\r"):
            text, carry = text[:-1], "\r"
        if "\r" in text:
            pieces = _BREAKS.split(text)  # [line, end, line, end, ..., unfinished line]
            ends: Iterator[str] | list[str] = pieces[1::2]
            pieces = pieces[0::2]
        else:
            pieces = text.split("\n")
            ends = repeat("\n")
        tail = pieces.pop()
        for piece, end in zip(pieces, ends, strict=False):  # ends may repeat
            if line or len(piece) > max_chars:
                yield line.finish(piece, end)
            else:  # the common case: a whole line inside the chunk
                yield piece + end
        if not chunk:
            if line or tail:
                yield line.finish(tail, "")
            return
        if tail:
            line.add(tail)


class _RecordTooLong(Exception):
    """Raised by the CSV reader's line source: the record has grown past the limit."""


class _CsvSource:
    """The lines the CSV reader pulls, numbered; ends a record that grows past the limit.

    A CSV record may span lines (a quoted field holding line breaks); the limit applies to the
    record, its last line end not counted. An exception raised here ends the reader's current
    record only: the reader starts the next record afresh from the next line.
    """

    def __init__(self, lines: Iterator[str | TooLong], limit: int) -> None:
        self.lines, self.limit = lines, limit
        self.number = 0  # lines read so far
        self.first = 1  # the current record's first line
        self.size = 0
        self.head: str | None = None  # the start of the current record, for the quarantine

    def begin(self) -> None:
        self.first, self.size, self.head = self.number + 1, 0, None

    def __iter__(self) -> _CsvSource:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.number += 1
        if isinstance(line, TooLong):
            if self.head is None:
                self.head = line.preview
            raise _RecordTooLong
        if self.head is None:
            self.head = line[:PREVIEW_CHARS]
        content = len(line) - (2 if line.endswith("\r\n") else 1 if line.endswith(("\n", "\r")) else 0)
        if self.size + content > self.limit:
            raise _RecordTooLong
        self.size += len(line)
        return line


# (first line, row for the schema or None, parse error or None, what the quarantine shows)
Row = tuple[int, Any, "str | None", Any]


def rows(key: str, lines: Iterator[str | TooLong], schema: Schema, max_chars: int) -> Iterator[Row]:
    """Yield ``(line, row, parse error, shown)`` for each row; rows are dicts for valid syntax."""
    lower = key.lower()
    if lower.endswith(CSV_SUFFIXES):
        yield from _csv_rows(lines, schema, max_chars)
    elif lower.endswith(JSON_SUFFIXES):
        yield from _json_rows(lines, max_chars)
    else:
        raise Unreadable(f"unsupported file type (expected {CSV_SUFFIXES + JSON_SUFFIXES})")


def _too_long(limit: int, what: str) -> str:
    return f"{what} longer than {limit} characters ('row' holds its first {PREVIEW_CHARS})"


def _csv_rows(lines: Iterator[str | TooLong], schema: Schema, limit: int) -> Iterator[Row]:
    source = _CsvSource(lines, limit)
    # The field limit is process-wide; the record limit (checked by the source) is the real bound.
    csv.field_size_limit(max(limit + 2, csv.field_size_limit()))
    reader = csv.reader(source)
    try:
        header = next(reader, None)
    except _RecordTooLong:
        raise Unreadable(f"CSV header longer than {limit} characters") from None
    except csv.Error as error:
        raise Unreadable(f"CSV header unreadable: {error}") from None
    header = [cell.strip() for cell in header or ()]
    if not any(header):
        raise Unreadable("empty CSV: no header row")
    twice = sorted(name for name, count in Counter(header).items() if count > 1)
    if twice:
        raise Unreadable(f"CSV header names columns more than once: {twice}")
    columns = set(header)
    required = [f["name"] for f in schema.spec["fields"] if f.get("required", True)]
    missing = [name for name in required if name not in columns]
    if missing:
        raise Unreadable(f"CSV header lacks required columns {missing}")
    while True:
        source.begin()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _RecordTooLong:
            yield source.first, None, _too_long(limit, "record"), source.head
            continue
        except csv.Error as error:  # none known with this dialect: kept as the row's reason
            yield source.first, None, f"CSV error: {error}", source.head
            continue
        if not cells or (len(cells) == 1 and not _NOT_BLANK.search(cells[0])):
            continue  # blank line
        if len(cells) != len(header):
            yield source.first, None, f"expected {len(header)} columns, got {len(cells)}", cells
            continue
        row = dict(zip(header, cells, strict=True))
        yield source.first, row, None, row


def _json_rows(lines: Iterator[str | TooLong], limit: int) -> Iterator[Row]:
    for number, line in enumerate(lines, start=1):
        if isinstance(line, TooLong):
            if not line.blank:
                yield number, None, _too_long(limit, "line"), line.preview
            continue
        text = line.rstrip("\r\n")
        if not _NOT_BLANK.search(text):
            continue  # blank line: spaces and tabs only (other characters are not JSON)
        try:
            value = _decode_json(text)
        except (ValueError, RecursionError) as error:  # NaN, 1e400, 5000 digits, deep nesting
            yield number, None, f"invalid JSON: {error}", text
            continue
        yield number, value, None, text


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
    source = f"s3://{bucket}/{key}"
    with tempfile.TemporaryFile() as clean, tempfile.TemporaryFile() as rejected:
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            seen = 0
            lines = text_lines(body, settings.max_line_chars)
            for number, row, error, shown in rows(key, lines, schema, settings.max_line_chars):
                seen += 1
                out = None if error is not None else _clean_line(schema, row)
                if isinstance(out, bytes):
                    clean.write(out)
                    result.clean_rows += 1
                else:
                    entry = {"source": source, "line": number, "reason": error or out, "row": shown}
                    rejected.write(_encode_ascii(entry).encode() + b"\n")
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


def _clean_line(schema: Schema, row: Any) -> bytes | str:
    """The clean JSON line for a parsed row, or why it is rejected. Never raises for a row."""
    try:
        record, problem, _ = schema.validate(row)
        if record is None:
            return problem or "invalid record"
        return _encode_ascii(record).encode() + b"\n"  # ASCII: any string is valid JSON text
    except (ValueError, RecursionError) as error:  # cannot be written as JSON (nesting near the limit)
        return f"cannot write as JSON: {type(error).__name__}: {error}"
    except Exception as error:  # noqa: BLE001 - a rule that cannot judge this value: the row, not the file
        return f"cannot validate: {type(error).__name__}: {error}"


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
