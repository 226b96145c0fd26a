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
    malformed base64, not UTF-8, invalid JSON (``NaN``/``Infinity`` included, and a number
    such as ``1e400`` that only parses to infinity, wherever it is; nesting deeper than the
    recursion limit), not an object, or a schema violation (missing required field, wrong type,
    out of range, not allowed; an ``integer`` beyond 64 bits, a ``number`` beyond the double
    range). A record nothing foresaw (any exception while judging it) fails alone, with the
    exception as its reason: one record never fails its batch.
    Firehose writes the original record to the delivery stream's error output prefix, so
    nothing is lost. Firehose stores no reason with it: the reasons are logged, one JSON line
    per reason with its count and an example record ID.

The response stays under Lambda's 6 MB response limit: should re-serialized records make it
larger (the input is at most 6 MB, so only growth can), the records that grew most are returned
``ProcessingFailed`` (reason ``response size limit``) until it fits; they land under the error
prefix too.

How it keeps up (about half the speed of a no-op base64 pass-through, which decodes the same
base64 but parses nothing; see ``bench/firehose_transform.py``): a chunk of records is decoded
and shape-checked with C-level ``map``s, then parsed in one ``json`` call, joined by a random
separator whose positions prove that each record parsed as exactly one value on its own (else
each is parsed alone); the schema's rules are checked column by column with C-level builtins,
which can only *accept* a record that :meth:`record_schema.Schema.validate` would accept
unchanged; every other record goes through ``Schema.validate`` itself, which has the last word
and gives the reason. The cyclic garbage collector is paused during a batch.

Environment: ``SCHEMA`` (JSON, see :mod:`record_schema`). Standard library only.
"""

from __future__ import annotations

import binascii
import gc
import json
import os
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from itertools import accumulate, compress, repeat
from operator import and_, is_not, itemgetter, not_, sub
from typing import Any

if __package__:  # imported from the library
    from .record_schema import FLOAT_MAX, INT64_MAX, INT64_MIN, Schema, strict_json_decoder
else:  # pragma: no cover - the Lambda bundle puts the runtime modules at the top level
    from record_schema import (  # type: ignore[import-not-found,no-redef]
        FLOAT_MAX,
        INT64_MAX,
        INT64_MIN,
        Schema,
        strict_json_decoder,
    )

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
_LAST_GROUPS: dict[bytes, str] = {}  # last 1-2 bytes of a record -> base64 of them + b"\n"
_UNPARSED = object()
_NONE = type(None)
_consume: Any = deque(maxlen=0).extend  # runs an iterator to its end in C
_OBJECT_ENDS = (b"}", b"}\n")  # with a leading "{": shaped like one JSON object
_DICT = {dict}


# One decoder, built once: json.loads(s, parse_constant=...) would build one per call.
_decode_json = strict_json_decoder().decode
_encode_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
# For a record holding a lone surrogate (a valid "\\ud800" escape that UTF-8 cannot encode).
_encode_ascii = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode


def with_newline(data: str, raw: bytes) -> str:
    """The base64 of ``raw + b"\\n"``, given ``data``, the canonical base64 of ``raw``.

    Base64 encodes 3-byte groups as 4 characters; only the last, partial group (its
    ``len(raw) % 3`` bytes, padded with ``=``) changes, so only it is re-encoded.
    """
    rest = len(raw) % 3
    if rest == 0:
        return data + _NEWLINE_B64
    tail = raw[-rest:]
    group = _LAST_GROUPS.get(tail)
    if group is None:  # at most 256 + 65,536 tails; JSON objects end in a handful of them
        group = _LAST_GROUPS[tail] = _b2a(tail + b"\n", newline=False).decode("ascii")
    return data[:-4] + group


def _one_line(raw: bytes) -> bool:
    """No line break inside (a trailing ``\\n`` is fine)."""
    return raw.find(b"\n", 0, len(raw) - 1) == -1 and raw.find(b"\r") == -1


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
            try:
                out = _encode_json(record).encode() + b"\n"
            except UnicodeEncodeError:  # a lone surrogate: keep it escaped, as it came
                out = _encode_ascii(record).encode() + b"\n"
        except (ValueError, RecursionError) as error:  # a default of NaN; nesting near the limit
            return FAILED, data, f"cannot re-serialize: {type(error).__name__}: {error}"
        return OK, _b2a(out, newline=False).decode("ascii"), None
    return OK, data if raw[-1] == 10 else with_newline(data, raw), None


def _decode(data: Any) -> tuple[bytes | None, str | None, tuple[str, str, str | None] | None]:
    """``(raw, text, None)``, or ``(None, None, verdict)`` for a record that is not JSON text."""
    if not isinstance(data, str):
        return None, None, (FAILED, "", f"record data is {type(data).__name__}, not a base64 string")
    try:
        raw = _a2b(data, strict_mode=True)
    except (binascii.Error, ValueError):
        return None, None, (FAILED, data, "invalid base64")
    if len(data) != (len(raw) + 2) // 3 * 4:  # strict mode still lets '=' trail a full group
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
    assert raw is not None and text is not None
    try:
        value = _decode_json(text)
    except (ValueError, RecursionError) as error:
        return FAILED, data, f"invalid JSON: {error}"
    return _judge(schema, data, raw, value)


def _transform_safely(schema: Schema, data: Any) -> tuple[str, str, str | None]:
    """:func:`transform_record`, with any exception a ``ProcessingFailed`` of this record alone."""
    try:
        return transform_record(schema, data)
    except Exception as error:  # noqa: BLE001 - one record must never fail its batch
        return (
            FAILED,
            data if isinstance(data, str) else "",
            f"cannot process: {type(error).__name__}: {error}",
        )


# -- batch parsing ------------------------------------------------------------------------------
def parse_many(texts: Sequence[str], nonce: str) -> tuple[list[Any], list[int]]:
    """Parse each text as one JSON value: ``(values, positions of the texts that are not one)``.

    The texts are joined as ``[t0,"<nonce>",t1,"<nonce>",...]`` and parsed in one call. The
    nonce is random, so it occurs only where it was put: if the result alternates values and
    nonces, with exactly ``len(texts) - 1`` nonces, each text parsed as exactly one value (a
    text that is not a whole value swallows a separator or splits into several values, and the
    count no longer adds up). A malformed text makes the parse fail at or after its start:
    the texts before it and after it are parsed again as batches, it alone as itself. Texts
    that are not one JSON value get ``_UNPARSED``.
    """
    out: list[Any] = [_UNPARSED] * len(texts)
    unparsed: list[int] = []
    _parse_range(texts, 0, len(texts), nonce, out, unparsed, budget=[16])
    return out, unparsed


def _parse_range(
    texts: Sequence[str], lo: int, hi: int, nonce: str, out: list[Any], unparsed: list[int], budget: list[int]
) -> None:
    if hi - lo <= 2 or budget[0] <= 0:
        for i in range(lo, hi):
            try:
                out[i] = _decode_json(texts[i])
            except (ValueError, RecursionError):
                unparsed.append(i)
        return
    budget[0] -= 1
    separator = f',"{nonce}",'
    # "[" + t0 + sep + ... + tn + "]", copying the texts once
    joined = separator.join(["[" + texts[lo], *texts[lo + 1 : hi - 1], texts[hi - 1] + "]"])
    count = hi - lo
    try:
        parsed = _decode_json(joined)
    except json.JSONDecodeError as error:
        # Which text the error is in: texts before it parsed, each one whole, up to there.
        starts = list(accumulate((len(t) + len(separator) for t in texts[lo : hi - 1]), initial=1))
        bad = lo + max(bisect_right(starts, error.pos) - 1, 0)
        _parse_range(texts, lo, bad, nonce, out, unparsed, budget)
        _parse_range(texts, bad, bad + 1, nonce, out, unparsed, budget)
        _parse_range(texts, bad + 1, hi, nonce, out, unparsed, budget)
        return
    except (ValueError, RecursionError):  # NaN, a huge integer, deep nesting: no position given
        _parse_range(texts, lo, hi, nonce, out, unparsed, [0])
        return
    if (
        len(parsed) == 2 * count - 1
        and parsed[1::2].count(nonce) == count - 1
        and joined.count(nonce) == count - 1
    ):
        out[lo:hi] = parsed[0::2]
    else:  # a text held a separator-like sequence: trust nothing, parse each alone
        _parse_range(texts, lo, hi, nonce, out, unparsed, [0])


# -- column-wise fast acceptance ----------------------------------------------------------------
_RANGES: dict[str, tuple[int | float, int | float]] = {
    "integer": (INT64_MIN, INT64_MAX),
    "number": (-FLOAT_MAX, FLOAT_MAX),
}
_STR = frozenset({str})
_TYPES: dict[str, frozenset[type]] = {
    "string": _STR,
    "timestamp": _STR,
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
            low, high = field.get("minimum"), field.get("maximum")
            if field["type"] in _RANGES:  # numbers always have bounds: those of bigint / double
                floor, ceiling = _RANGES[field["type"]]
                low = floor if low is None else max(low, floor)
                high = ceiling if high is None else min(high, ceiling)
            self.fields.append(
                (
                    field["name"],
                    field["type"],
                    _TYPES[field["type"]],
                    # missing is fine only for an optional field without a default
                    field.get("required", True) or "default" in field,
                    low,
                    high,
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
        if not values:
            return slow
        if not set(map(type, values)) <= _DICT:
            slow.update([i for i, v in enumerate(values) if type(v) is not dict])
            values = [v if type(v) is dict else {} for v in values]
        # The parser gives all records of a batch the same key objects: looking a field up by
        # that very object skips the string comparison.
        keys: dict[str, str] = {}
        for value in values[:4]:
            keys.update(zip(value, value, strict=True))
        get = dict.get
        for name, kind, types, needed, low, high, max_length, allowed, fullmatch in self.fields:
            key = keys.get(name, name)
            try:
                column = list(map(itemgetter(key), values))
            except KeyError:  # missing in some record
                column = list(map(get, values, repeat(key)))
            present = column
            if types is _STR:
                try:  # every value a string (a missing one is None): join checks that in C
                    "".join(column)
                    typed = True
                except TypeError:
                    typed = False
            else:
                typed = False
            if not typed:
                seen = set(map(type, column))
                if _NONE in seen:  # missing or null
                    if needed:
                        slow.update([i for i, v in enumerate(column) if v is None])
                    seen.discard(_NONE)
                    if not seen:
                        continue
                    present = list(compress(column, map(is_not, column, repeat(None))))
                if not seen <= types:  # a wrong type somewhere: value by value
                    slow.update(_culprits(column, kind, types, low, high, max_length, allowed, fullmatch))
                    continue
            # Every present value has the right type: check each rule on the whole column, and
            # look for the culprits of a rule only when the column breaks it.
            if low is not None:  # a numeric column: compared, never math.isfinite (a huge int
                # overflows it); the parser never yields NaN, whose comparisons are all false
                smallest, largest = min(present), max(present)
                if not (low <= smallest and largest <= high):
                    slow.update(_culprits(column, kind, types, low, high, max_length, allowed, fullmatch))
                    continue
            if (
                (max_length is not None and max(map(len, present)) > max_length)
                or (allowed is not None and not allowed.issuperset(present))
                or (fullmatch is not None and not all(map(fullmatch, present)))
                or (kind == "timestamp" and not _all_timestamps(present))
            ):
                slow.update(_culprits(column, kind, types, low, high, max_length, allowed, fullmatch))
        if self.extra != "keep":
            known = self.known
            slow.update([i for i, v in enumerate(values) if not known.issuperset(v)])
        return slow


def _all_timestamps(values: list[str]) -> bool:
    try:
        _consume(map(datetime.fromisoformat, values))
    except (ValueError, TypeError):
        return False
    return True


def _culprits(column: list[Any], kind: str, types, low, high, max_length, allowed, fullmatch) -> list[int]:
    """Positions of the present values of ``column`` that break a rule (checked one by one)."""
    return [
        i
        for i, v in enumerate(column)
        if v is not None and not _value_ok(v, kind, types, low, high, max_length, allowed, fullmatch)
    ]


def _value_ok(v: Any, kind: str, types, low, high, max_length, allowed, fullmatch) -> bool:
    if type(v) not in types:
        return False
    if low is not None and not low <= v <= high:  # numeric kinds have both bounds; NaN fails
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
    results: list[str],
    datas: list[Any],
    failures: list[tuple[int, str]],
    nonce: str,
) -> None:
    """Verdicts for ``records[start : start + CHUNK]`` (decoded bytes live for one chunk only).

    ``results`` comes filled with ``Ok``; only other results are written.
    """
    stop = min(start + CHUNK, len(records))
    originals: list[Any] = list(map(dict.get, records[start:stop], repeat("data")))
    positions: Sequence[int]
    # 1. base64 and UTF-8, the whole chunk at once; records that are canonical base64 of UTF-8
    #    text shaped like one JSON object go to the batch parser, the odd ones get their verdict
    #    from the record-at-a-time path (record by record when the chunk cannot be decoded).
    try:
        raws = [_a2b(d, strict_mode=True) for d in originals]
        texts = list(map(bytes.decode, raws))
    except (binascii.Error, ValueError, TypeError):  # UnicodeDecodeError is a ValueError
        positions, originals, raws, texts = _sort_out(schema, records, start, stop, results, datas, failures)
        whole = False
    else:
        opens = map(bytes.startswith, raws, repeat(b"{"))
        shaped = list(map(and_, opens, map(bytes.endswith, raws, repeat(_OBJECT_ENDS))))
        # Strict decoding lets '=' trail a full group; such data (and only such) has a length
        # that is not a multiple of 4 or ends in '==='.
        if any(map(str.endswith, originals, repeat("==="))) or any(n & 3 for n in set(map(len, originals))):
            shaped = [
                ok and len(d) & 3 == 0 and not d.endswith("===")
                for ok, d in zip(shaped, originals, strict=True)
            ]
        whole = all(shaped)
        positions = range(start, stop)
        if not whole:
            for index in compress(range(start, stop), map(not_, shaped)):
                _set(index, transform_record(schema, records[index].get("data")), results, datas, failures)
            positions = list(compress(range(start, stop), shaped))
            originals = list(compress(originals, shaped))
            raws = list(compress(raws, shaped))
            texts = list(compress(texts, shaped))
    if not texts:
        return
    # 2. parse them together, accept column by column; the rest goes to Schema.validate.
    values, unparsed = parse_many(texts, nonce)
    if unparsed:
        special = fast.rejects([{} if v is _UNPARSED else v for v in values])
        special.update(unparsed)
    else:
        special = fast.rejects(values)
    # A line break before the last byte (memchr-fast bytes.find): that record must be re-serialized.
    before_last = list(map(sub, map(len, raws), repeat(1)))
    if (
        max(map(bytes.find, raws, repeat(b"\n"), repeat(0), before_last)) != -1
        or max(map(bytes.find, raws, repeat(b"\r"))) != -1
    ):
        special.update([p for p, r in enumerate(raws) if r.find(b"\n", 0, -1) != -1 or b"\r" in r])
    ends = list(map(bytes.endswith, raws, repeat(b"\n")))
    # 3. valid and unchanged: the original data, newline-terminated.
    unchanged = [d if end else with_newline(d, r) for d, r, end in zip(originals, raws, ends, strict=True)]
    if whole:
        datas[start:stop] = unchanged
    else:
        for position, index in enumerate(positions):
            datas[index] = unchanged[position]
    for position in special:
        index, data = positions[position], originals[position]
        if values[position] is _UNPARSED:
            _set(index, transform_record(schema, data), results, datas, failures)  # the JSON error
        else:
            _set(index, _judge(schema, data, raws[position], values[position]), results, datas, failures)


def _sort_out(
    schema: Schema,
    records: list[dict[str, Any]],
    start: int,
    stop: int,
    results: list[str],
    datas: list[Any],
    failures: list[tuple[int, str]],
) -> tuple[list[int], list[Any], list[bytes], list[str]]:
    """One record at a time: the batch candidates, and the verdicts of all the others."""
    positions: list[int] = []
    originals: list[Any] = []
    raws: list[bytes] = []
    texts: list[str] = []
    for index in range(start, stop):
        data = records[index].get("data")
        text = None
        if type(data) is str:
            try:
                raw = _a2b(data, strict_mode=True)
                canonical = len(data) == (len(raw) + 2) // 3 * 4
                if canonical and raw.startswith(b"{") and raw.endswith(_OBJECT_ENDS):
                    text = raw.decode()
            except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
                pass
        if text is None:
            _set(index, transform_record(schema, data), results, datas, failures)
            continue
        positions.append(index)
        originals.append(data)
        raws.append(raw)
        texts.append(text)
    return positions, originals, raws, texts


def _set(
    index: int,
    verdict: tuple[str, str, str | None],
    results: list[str],
    datas: list[Any],
    failures: list[tuple[int, str]],
) -> None:
    results[index], datas[index], reason = verdict
    if reason is not None:
        failures.append((index, reason))


def transform(
    event: dict[str, Any], schema: Schema, fast: FastAccept | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The handler's work, for tests and benchmarks: ``(response, report)``."""
    fast = fast or FastAccept(schema.spec)
    records = event.get("records") or []
    ids: list[Any] = list(map(dict.get, records, repeat("recordId")))
    if None in ids:  # not a Firehose record: nothing to answer for
        records = [r for r, i in zip(records, ids, strict=True) if i is not None]
        ids = [i for i in ids if i is not None]
    count = len(records)
    results: list[str] = [OK] * count
    datas: list[Any] = [None] * count
    failures: list[tuple[int, str]] = []
    nonce = os.urandom(8).hex()
    # Parsed records are trees (no reference cycles): reference counting frees them, and the
    # cyclic collector, woken by every few hundred new dicts, would only rescan them in vain.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for start in range(0, count, CHUNK):
            mark = len(failures)
            try:
                _transform_chunk(schema, fast, records, start, results, datas, failures, nonce)
            except Exception:  # noqa: BLE001 - a value no fast path foresaw: never fail the batch
                del failures[mark:]
                for index in range(start, min(start + CHUNK, count)):
                    _set(
                        index, _transform_safely(schema, records[index].get("data")), results, datas, failures
                    )
    finally:
        if collecting:
            gc.enable()
    try:
        id_chars = sum(map(len, ids))
    except TypeError:  # a recordId that is not a string (never from Firehose): count it as JSON
        id_chars = sum(len(json.dumps(i, default=str)) for i in ids)
    size = 16 + id_chars + sum(map(len, datas)) + ENTRY_OVERHEAD * count  # {"records": []}
    if size > MAX_RESPONSE_BYTES:
        # Only re-serialized or newline-extended records grew past their input: fail those that
        # grew most (their original data goes to the error prefix) until the response fits.
        grown: list[tuple[int, int, Any]] = []
        for index, record in enumerate(records):
            original = record.get("data")
            if results[index] == OK and datas[index] is not original and len(datas[index]) > len(original):
                grown.append((len(datas[index]) - len(original), index, original))
        for growth, index, original in sorted(grown, reverse=True):
            if size <= MAX_RESPONSE_BYTES:
                break
            results[index], datas[index] = FAILED, original
            size -= growth
            failures.append((index, RESPONSE_SIZE_REASON))
    out = [{"recordId": i, "result": r, "data": d} for i, r, d in zip(ids, results, datas, strict=True)]
    reasons: dict[str, list[Any]] = {}
    for index, reason in sorted(failures):
        _count(reasons, reason, ids[index])
    summary = {
        "records": count,
        "ok": results.count(OK),
        "dropped": results.count(DROPPED),
        "failed": results.count(FAILED),
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
