"""Lambda handler: the Firehose record processor that validates records before they are stored.

Amazon Data Firehose invokes it with a batch of base64 records (at most 6 MB). Each record must
be one JSON object, UTF-8, checked against the record schema in the ``SCHEMA`` environment
variable (see :mod:`record_schema`: field names, types, required, ranges, enums, defaults for
missing optional fields, extra fields kept / dropped / rejected).

Every input ``recordId`` comes back exactly once, with one of:

``Ok``
    a valid record, newline-terminated so Athena, Glue and the Parquet converter read one JSON
    document per line. A valid one-line record that needs no change is NOT re-serialized: when
    it already ends in ``\\n`` its original base64 string is returned as is; otherwise only its
    last base64 group is re-encoded to append the newline. A record the schema changed (a
    default filled, extra fields dropped) or that spans several lines is re-serialized as
    compact JSON.
``Dropped``
    an empty or whitespace-only record: there is nothing to keep (counted in the log).
``ProcessingFailed``
    malformed base64, not UTF-8, invalid JSON (``NaN``/``Infinity`` included), not an object,
    or a schema violation (missing required field, wrong type, out of range, not allowed).
    Firehose writes the original record to the delivery stream's error output prefix, so
    nothing is lost. Firehose stores no reason with it: the reasons are logged, one JSON line
    per reason with its count and an example record ID.

The response stays under Lambda's 6 MB response limit: should re-serialized records make it
larger (the input is at most 6 MB, so only growth can), the records that grew most are returned
``ProcessingFailed`` (reason ``response size limit``) until it fits; they land under the error
prefix too.

How it stays fast (about as fast as a no-op base64 pass-through; see ``bench/``): records are
parsed a few hundred at a time in one ``json`` call, joined by a random separator whose
positions prove that each record parsed as exactly one value on its own (else each is parsed
alone); the schema's rules are checked column by column with C-level builtins, which can only
*accept* a record that :meth:`record_schema.Schema.validate` would accept unchanged; every other
record goes through ``Schema.validate`` itself, which has the last word and gives the reason.

Environment: ``SCHEMA`` (JSON, see :mod:`record_schema`). Standard library only.
"""

from __future__ import annotations

import binascii
import gc
import json
import math
import os
import re
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from itertools import accumulate, repeat
from typing import Any

if __package__:  # imported from the library
    from .record_schema import Schema
else:  # pragma: no cover - the Lambda bundle puts the runtime modules at the top level
    from record_schema import Schema  # type: ignore[import-not-found,no-redef]

# The handler prints its JSON log lines (the benchmark turns them off).
LOG_LINES = True

OK, DROPPED, FAILED = "Ok", "Dropped", "ProcessingFailed"
# Lambda's synchronous response limit is 6 MB (6,291,456 bytes); keep a margin for the runtime.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 64 * 1024
# Bytes of one response entry beyond its recordId and data: {"recordId": "", "result": "", ...}.
ENTRY_OVERHEAD = 64
RESPONSE_SIZE_REASON = "response size limit: returned as failed to keep the response under 6 MB"
# Records parsed per json call: enough to share the parser's key cache, few enough to bound the
# memory of parsed objects and the cost of re-parsing around a malformed record.
CHUNK = 256

_a2b = binascii.a2b_base64
_b2a = binascii.b2a_base64
_NEWLINE_B64 = "Cg=="  # base64 of b"\n"
_UNPARSED = object()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# One decoder, built once: json.loads(s, parse_constant=...) would build one per call.
_decode_json = json.JSONDecoder(parse_constant=_reject_constant).decode
_encode_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def with_newline(data: str, raw: bytes) -> str:
    """The base64 of ``raw + b"\\n"``, given ``data``, the canonical base64 of ``raw``.

    Base64 encodes 3-byte groups as 4 characters; only the last, partial group (its
    ``len(raw) % 3`` bytes, padded with ``=``) changes, so only it is re-encoded.
    """
    rest = len(raw) % 3
    if rest == 0:
        return data + _NEWLINE_B64
    return data[:-4] + _b2a(raw[-rest:] + b"\n", newline=False).decode("ascii")


def _one_line(raw: bytes) -> bool:
    """No line break inside (a trailing ``\\n`` is fine)."""
    return raw.find(b"\n", 0, len(raw) - 1) == -1 and raw.find(b"\r") == -1


def _ok_unchanged(data: str, raw: bytes) -> str:
    return data if raw[-1] == 10 else with_newline(data, raw)


def _judge(schema: Schema, data: str, raw: bytes, value: Any) -> tuple[str, str, str | None]:
    """The authoritative verdict on one parsed record: ``Schema.validate``."""
    try:
        record, problem, changed = schema.validate(value)
    except Exception as error:  # a rule that cannot judge this value: fail the record, not the batch
        return FAILED, data, f"cannot validate: {type(error).__name__}: {error}"
    if problem is not None or record is None:
        return FAILED, data, problem or "invalid record"
    if changed or not _one_line(raw):
        try:
            out = _encode_json(record).encode() + b"\n"
        except ValueError as error:  # 1e999 parses to inf; a lone surrogate cannot be UTF-8
            return FAILED, data, f"cannot re-serialize: {error}"
        return OK, _b2a(out, newline=False).decode("ascii"), None
    return OK, _ok_unchanged(data, raw), None


def _decode(data: Any) -> tuple[bytes | None, str | None, tuple[str, str, str | None] | None]:
    """``(raw, text, None)``, or ``(None, None, verdict)`` for a record that is not JSON text."""
    if not isinstance(data, str):
        return None, None, (FAILED, "", f"record data is {type(data).__name__}, not a base64 string")
    try:
        raw = _a2b(data, strict_mode=True)
    except (binascii.Error, ValueError):
        return None, None, (FAILED, data, "invalid base64")
    if not raw or raw.isspace():
        return None, None, (DROPPED, data, "empty record")
    try:
        return raw, raw.decode(), None
    except UnicodeDecodeError as error:
        return None, None, (FAILED, data, f"not UTF-8: bad byte at offset {error.start}")


def transform_record(schema: Schema, data: Any) -> tuple[str, str, str | None]:
    """``(result, data, reason)`` for one record's base64 ``data``, one record at a time."""
    raw, text, verdict = _decode(data)
    if verdict is not None:
        return verdict
    try:
        value = _decode_json(text)
    except (ValueError, RecursionError) as error:
        return FAILED, data, f"invalid JSON: {error}"
    return _judge(schema, data, raw, value)


# -- batch parsing ------------------------------------------------------------------------------
def parse_many(texts: Sequence[str], nonce: str) -> list[Any]:
    """Parse each text as one JSON value; ``_UNPARSED`` where it is not (or not provably) one.

    The texts are joined as ``[t0,"<nonce>",t1,"<nonce>",...]`` and parsed in one call. The
    nonce is random, so it occurs only where it was put: if the result alternates values and
    nonces, with exactly ``len(texts) - 1`` nonces, each text parsed as exactly one value (a
    text that is not a whole value swallows a separator or splits into several values, and the
    count no longer adds up). A malformed text makes the parse fail at or after its start:
    the texts before it and after it are parsed again as batches, it alone as itself.
    """
    out: list[Any] = [_UNPARSED] * len(texts)
    _parse_range(texts, 0, len(texts), nonce, out, budget=[16])
    return out


def _parse_range(texts: Sequence[str], lo: int, hi: int, nonce: str, out: list[Any], budget: list[int]) -> None:
    if hi - lo <= 2 or budget[0] <= 0:
        for i in range(lo, hi):
            try:
                out[i] = _decode_json(texts[i])
            except (ValueError, RecursionError):
                pass
        return
    budget[0] -= 1
    separator = f',"{nonce}",'
    joined = separator.join(texts[lo:hi])
    count = hi - lo
    try:
        parsed = _decode_json("[" + joined + "]")
    except json.JSONDecodeError as error:
        # Which text the error is in: texts before it parsed, each one whole, up to there.
        starts = list(accumulate((len(t) + len(separator) for t in texts[lo : hi - 1]), initial=1))
        bad = lo + max(bisect_right(starts, error.pos) - 1, 0)
        _parse_range(texts, lo, bad, nonce, out, budget)
        _parse_range(texts, bad, bad + 1, nonce, out, budget)
        _parse_range(texts, bad + 1, hi, nonce, out, budget)
        return
    except (ValueError, RecursionError):  # NaN, a huge integer, deep nesting: no position given
        _parse_range(texts, lo, hi, nonce, out, [0])
        return
    if (
        len(parsed) == 2 * count - 1
        and parsed[1::2].count(nonce) == count - 1
        and joined.count(nonce) == count - 1
    ):
        out[lo:hi] = parsed[0::2]
    else:  # a text held a separator-like sequence: trust nothing, parse each alone
        _parse_range(texts, lo, hi, nonce, out, [0])


# -- column-wise fast acceptance ----------------------------------------------------------------
_TYPES: dict[str, frozenset[type]] = {
    "string": frozenset({str}),
    "timestamp": frozenset({str}),
    "integer": frozenset({int}),
    "number": frozenset({int, float}),
    "boolean": frozenset({bool}),
}


class FastAccept:
    """Which parsed records ``Schema.validate`` would surely accept unchanged, column by column.

    Conservative by construction: it may send a good record to ``Schema.validate`` (which then
    accepts it), never let a bad or to-be-changed record through. Exact types (``type(v) is
    int``) exclude ``bool``; a column whose cheap aggregate check (``min``/``max``/``len``/set
    inclusion/``fullmatch``/``fromisoformat``) fails is checked value by value.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.fields = []
        for field in spec["fields"]:
            pattern = field.get("pattern")
            allowed = field.get("allowed")
            self.fields.append(
                (
                    field["name"],
                    field["type"],
                    _TYPES[field["type"]],
                    # missing is fine only for an optional field without a default
                    field.get("required", True) or "default" in field,
                    field.get("minimum"),
                    field.get("maximum"),
                    field.get("max_length"),
                    frozenset(allowed) if allowed is not None else None,
                    re.compile(pattern).fullmatch if pattern else None,
                )
            )
        self.extra = spec.get("extra_fields", "keep")
        self.known = frozenset(f["name"] for f in spec["fields"])

    def rejects(self, values: Sequence[Any]) -> set[int]:
        """Indices of ``values`` that need ``Schema.validate`` (the rest are valid, unchanged)."""
        slow: set[int] = set()
        if not frozenset(map(type, values)) <= {dict}:
            slow.update(i for i, v in enumerate(values) if type(v) is not dict)
            values = [v if type(v) is dict else {} for v in values]
        for name, kind, types, needed, low, high, max_length, allowed, fullmatch in self.fields:
            column = list(map(dict.get, values, repeat(name)))
            present = column
            if None in column:
                if needed:
                    slow.update(i for i, v in enumerate(column) if v is None)
                present = [v for v in column if v is not None]
                if not present:
                    continue
            if (
                not frozenset(map(type, present)) <= types
                or (low is not None and min(present) < low)
                or (high is not None and max(present) > high)
                or (kind == "number" and not (math.isfinite(min(present)) and math.isfinite(max(present))))
                or (max_length is not None and max(map(len, present)) > max_length)
                or (allowed is not None and not allowed.issuperset(present))
                or (fullmatch is not None and not all(map(fullmatch, present)))
                or (kind == "timestamp" and not _all_timestamps(present))
            ):
                slow.update(
                    i
                    for i, v in enumerate(column)
                    if v is not None
                    and not _value_ok(v, kind, types, low, high, max_length, allowed, fullmatch)
                )
        if self.extra != "keep":
            known = self.known
            slow.update(i for i, v in enumerate(values) if not known.issuperset(v))
        return slow


def _all_timestamps(values: list[str]) -> bool:
    try:
        for _ in map(datetime.fromisoformat, values):
            pass
    except ValueError:
        return False
    return True


def _value_ok(v: Any, kind: str, types, low, high, max_length, allowed, fullmatch) -> bool:
    if type(v) not in types:
        return False
    if kind == "number" and not math.isfinite(v):
        return False
    if (low is not None and v < low) or (high is not None and v > high):
        return False
    if max_length is not None and len(v) > max_length:
        return False
    if allowed is not None and v not in allowed:
        return False
    if fullmatch is not None and not fullmatch(v):
        return False
    return kind != "timestamp" or _all_timestamps([v])


# -- the batch ----------------------------------------------------------------------------------
def _reason_key(reason: str) -> str:
    """Group reasons for the log: ``field 'amount': -3 below minimum 0`` -> ``field 'amount'``."""
    return reason.split(":", 1)[0]


def _transform_chunk(
    schema: Schema,
    fast: FastAccept,
    records: list[dict[str, Any]],
    start: int,
    verdicts: list[tuple[str, str, str | None] | None],
    nonce: str,
) -> None:
    """Verdicts for ``records[start : start + CHUNK]`` (decoded bytes live for one chunk only)."""
    # 1. base64 and UTF-8; records shaped like one JSON object go on to the batch parser.
    candidates: list[tuple[int, str, bytes, str]] = []
    for index in range(start, min(start + CHUNK, len(records))):
        data = records[index].get("data")
        raw, text, verdict = _decode(data)
        if verdict is not None:
            verdicts[index] = verdict
        elif raw[0] == 123 and (raw[-1] == 125 or (raw[-1] == 10 and raw[-2] == 125)):  # {...}
            candidates.append((index, data, raw, text))
        else:
            verdicts[index] = transform_record(schema, data)
    # 2. parse them together, accept column by column; the rest goes to Schema.validate.
    values = parse_many([c[3] for c in candidates], nonce)
    slow = fast.rejects([{} if v is _UNPARSED else v for v in values])
    for position, (index, data, raw, _) in enumerate(candidates):
        value = values[position]
        if value is _UNPARSED:
            verdicts[index] = transform_record(schema, data)  # gives the JSON error
        elif position in slow or not _one_line(raw):
            verdicts[index] = _judge(schema, data, raw, value)
        else:
            verdicts[index] = (OK, _ok_unchanged(data, raw), None)


def transform(
    event: dict[str, Any], schema: Schema, fast: FastAccept | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The handler's work, for tests and benchmarks: ``(response, report)``."""
    fast = fast or FastAccept(schema.spec)
    records = [r for r in (event.get("records") or []) if r.get("recordId") is not None]
    verdicts: list[tuple[str, str, str | None] | None] = [None] * len(records)
    nonce = os.urandom(12).hex()
    # Parsed records are trees (no reference cycles): reference counting frees them, and the
    # cyclic collector, woken by every few hundred new dicts, would only rescan them in vain.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for start in range(0, len(records), CHUNK):
            _transform_chunk(schema, fast, records, start, verdicts, nonce)
    finally:
        if collecting:
            gc.enable()
    # The response, within the size limit.
    out: list[dict[str, str]] = []
    reasons: dict[str, list[Any]] = {}
    counts = {OK: 0, DROPPED: 0, FAILED: 0}
    size = 16  # {"records": []}
    grown: list[tuple[int, int, str]] = []  # (bytes grown, position, original data)
    for record, verdict in zip(records, verdicts, strict=True):
        assert verdict is not None
        result, new_data, reason = verdict
        record_id = record["recordId"]
        out.append({"recordId": record_id, "result": result, "data": new_data})
        counts[result] += 1
        size += len(record_id) + len(new_data) + ENTRY_OVERHEAD
        if reason is not None:
            _count(reasons, reason, record_id)
        else:
            data = record.get("data")
            if new_data is not data and len(new_data) > len(data):
                grown.append((len(new_data) - len(data), len(out) - 1, data))
    if size > MAX_RESPONSE_BYTES:
        grown.sort(reverse=True)
        for growth, position, original in grown:
            if size <= MAX_RESPONSE_BYTES:
                break
            entry = out[position]
            entry["result"], entry["data"] = FAILED, original
            counts[OK] -= 1
            counts[FAILED] += 1
            size -= growth
            _count(reasons, RESPONSE_SIZE_REASON, entry["recordId"])
    summary = {
        "records": len(out),
        "ok": counts[OK],
        "dropped": counts[DROPPED],
        "failed": counts[FAILED],
        "response_bytes_estimate": size,
    }
    return {"records": out}, {"summary": summary, "reasons": reasons}


def _count(reasons: dict[str, list[Any]], reason: str, record_id: str) -> None:
    key = _reason_key(reason)
    entry = reasons.get(key)
    if entry is None:
        reasons[key] = [1, record_id, reason]
    else:
        entry[0] += 1


_COMPILED: tuple[str, Schema, FastAccept] | None = None


def load_schema(text: str) -> tuple[Schema, FastAccept]:
    """The compiled schema for ``text``, cached across invocations."""
    global _COMPILED
    if _COMPILED is None or _COMPILED[0] != text:
        schema = Schema(json.loads(text))
        _COMPILED = (text, schema, FastAccept(schema.spec))
    return _COMPILED[1], _COMPILED[2]


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point for the Firehose processor.

    Writes one JSON line for the batch and one per failure reason to stdout, whole JSON
    documents that CloudWatch Logs metric filters can read (``$.event``, ``$.count``,
    ``$.delivery_stream``).
    """
    schema, fast = load_schema(os.environ["SCHEMA"])
    response, report = transform(event, schema, fast)
    stream = str(event.get("deliveryStreamArn", "")).rpartition("/")[2]
    lines = [json.dumps({"event": "firehose_batch", "delivery_stream": stream, **report["summary"]})]
    for key, (count, example_id, example) in report["reasons"].items():
        lines.append(
            json.dumps(
                {
                    "event": "records_dropped" if key == "empty record" else "records_failed",
                    "delivery_stream": stream,
                    "reason": key,
                    "count": count,
                    "example_record_id": example_id,
                    "example_reason": example,
                }
            )
        )
    if LOG_LINES:
        print("\n".join(lines), flush=True)
    return response
