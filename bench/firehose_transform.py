"""Benchmark: the validating Firehose transform against a no-op base64 pass-through.

Builds one ~6 MB Firehose event of realistic JSON click-stream records (the Lambda limit),
then times, side by side in one process:

(a) a no-op pass-through shaped like AWS's Firehose processing blueprint (base64-decode,
    UTF-8 decode, encode, base64-encode, ``Ok``), and
(b) ``ml_constructs.runtime.firehose_transform.handler`` validating every record against the
    click-stream schema.

Prints payload MB/s for each (best wall and best CPU time of ``--repeat`` interleaved runs),
the ratio (b)/(a) (best wall, best CPU, and the median of the per-pair CPU ratios, the
steadiest figure on a shared machine), and the peak memory each allocates while handling the
event (tracemalloc, measured in a separate run so tracing does not slow the timed runs),
against the targets: ratio >= 0.5, peak <= 3x event. The pass-through leaves out the
blueprint's ``print`` of every record ID, which would only make it slower.

    .venv/bin/python bench/firehose_transform.py [--event-mb 6] [--repeat 30] [--bad-percent 1]
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

# Import the runtime module as the Lambda bundle does (top level; no CDK import).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ml_constructs" / "runtime"))

import firehose_transform  # noqa: E402

# The click-stream schema, as the StreamIngest construct passes it (RecordSchema.to_json()).
SCHEMA = {
    "fields": [
        {"name": "event_id", "type": "string", "max_length": 64},
        {"name": "event_type", "type": "string", "allowed": ["view", "click", "add_to_cart", "purchase"]},
        {"name": "user_id", "type": "string", "max_length": 64},
        {"name": "session_id", "type": "string", "max_length": 64},
        {"name": "occurred_at", "type": "timestamp"},
        {"name": "page", "type": "string", "max_length": 512},
        {"name": "referrer", "type": "string", "required": False, "max_length": 512},
        {"name": "product_id", "type": "string", "required": False, "max_length": 64},
        {"name": "price", "type": "number", "required": False, "minimum": 0, "maximum": 100000},
        {"name": "quantity", "type": "integer", "required": False, "minimum": 1, "maximum": 1000},
        {"name": "device", "type": "string", "allowed": ["desktop", "mobile", "tablet"]},
        {"name": "country", "type": "string", "required": False, "max_length": 2},
        {"name": "user_agent", "type": "string", "required": False, "max_length": 1024},
    ],
    "extra_fields": "keep",
}

AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
]


def click(rng: random.Random, n: int) -> dict[str, Any]:
    kind = rng.choice(("view", "view", "view", "click", "add_to_cart", "purchase"))
    record: dict[str, Any] = {
        "event_id": f"{rng.getrandbits(128):032x}",
        "event_type": kind,
        "user_id": f"u-{rng.randrange(10**7):07d}",
        "session_id": f"{rng.getrandbits(64):016x}",
        "occurred_at": f"2025-03-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:"
        f"{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}+00:00",
        "page": f"https://shop.example.com/c/{rng.choice(('shoes', 'bags', 'books', 'garden'))}"
        f"/p/{rng.randrange(10**6)}?utm_source=newsletter&utm_campaign=spring",
        "referrer": rng.choice(("https://www.google.com/", "https://shop.example.com/", None)),
        "device": rng.choice(("desktop", "mobile", "tablet")),
        "country": rng.choice(("DE", "FR", "US", "GB", "JP")),
        "user_agent": rng.choice(AGENTS),
        "seq": n,
    }
    if kind in ("add_to_cart", "purchase"):
        record.update(product_id=f"p-{rng.randrange(10**6)}", price=round(rng.uniform(1, 500), 2))
        record["quantity"] = rng.randrange(1, 5)
    return record


def build_event(target_bytes: int, bad_percent: float = 1.0, seed: int = 7) -> tuple[dict[str, Any], int]:
    """A Firehose event whose serialized size is about ``target_bytes``; and its payload bytes.

    Half the records end in a newline (as the Kinesis Agent writes them), half do not (SDK
    producers); ``bad_percent`` of them are bad, half malformed (truncated JSON), half breaking
    the schema (a device that is not allowed).
    """
    rng = random.Random(seed)
    records, size, payload = [], 20, 0
    n = 0
    while size < target_bytes:
        body = json.dumps(click(rng, n), separators=(",", ":"))
        roll = rng.random() * 100
        if roll < bad_percent / 2:
            body = body[: len(body) // 2]  # malformed
        elif roll < bad_percent:
            body = body.replace('"device":"', '"device":"fridge-')  # not an allowed value
        raw = (body + ("\n" if n % 2 else "")).encode()
        entry = {
            "recordId": f"49546986683135544286507457936321625675700192471156785154{n:010d}",
            "approximateArrivalTimestamp": 1742000000000 + n,
            "data": base64.b64encode(raw).decode("ascii"),
        }
        size += len(json.dumps(entry)) + 2
        if size > target_bytes:
            break
        records.append(entry)
        payload += len(raw)
        n += 1
    return {
        "invocationId": "bench",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/bench",
        "region": "us-east-1",
        "records": records,
    }, payload


def passthrough(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """AWS's Firehose processing blueprint with no processing: decode, re-encode, Ok."""
    output = []
    for record in event["records"]:
        payload = base64.b64decode(record["data"]).decode("utf-8")
        output.append(
            {
                "recordId": record["recordId"],
                "result": "Ok",
                "data": base64.b64encode(payload.encode("utf-8")).decode("utf-8"),
            }
        )
    return {"records": output}


def best_times(fns, event, repeat: int) -> tuple[list[float], list[float], float]:
    """Best wall and CPU time of each function, and the median ratio of paired CPU times.

    Runs are interleaved, (a) then (b), so that load from other processes hits both alike;
    CPU time is the steadier clock on a busy machine, and the median of the per-pair ratios
    the steadiest figure of all.
    """
    wall = [float("inf")] * len(fns)
    cpu = [float("inf")] * len(fns)
    ratios = []
    for _ in range(repeat):
        pair = []
        for i, fn in enumerate(fns):
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            fn(event)
            wall[i] = min(wall[i], time.perf_counter() - start)
            used = time.process_time() - start_cpu
            cpu[i] = min(cpu[i], used)
            pair.append(used)
        ratios.append(pair[0] / pair[1])
    return wall, cpu, statistics.median(ratios)


def peak_memory(fn, event) -> int:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn(event)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--event-mb", type=float, default=6.0)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--bad-percent", type=float, default=1.0, help="share of bad records (default 1)")
    args = parser.parse_args()

    os.environ["SCHEMA"] = json.dumps(SCHEMA)
    event, payload = build_event(int(args.event_mb * 1_000_000), args.bad_percent)
    event_bytes = len(json.dumps(event))
    handler = firehose_transform.handler
    firehose_transform.LOG_LINES = False  # time the work, not log lines

    response = handler(event)
    results = [r["result"] for r in response["records"]]
    response_bytes = len(json.dumps(response))

    (base, ours), (base_cpu, ours_cpu), paired = best_times([passthrough, handler], event, args.repeat)
    base_peak = peak_memory(passthrough, event)
    ours_peak = peak_memory(handler, event)
    mb = payload / 1e6
    counts = ", ".join(f"{k} {results.count(k)}" for k in ("Ok", "Dropped", "ProcessingFailed"))
    print(
        f"event: {event_bytes / 1e6:.2f} MB JSON, {len(event['records'])} records, {mb:.2f} MB payload; "
        f"response {response_bytes / 1e6:.2f} MB; {counts}"
    )
    print(f"python {sys.version.split()[0]}, best of {args.repeat} interleaved runs (wall / CPU)")
    for label, wall, cpu, peak in (
        ("(a) pass-through (blueprint)", base, base_cpu, base_peak),
        ("(b) validating transform    ", ours, ours_cpu, ours_peak),
    ):
        print(
            f"{label}: {wall * 1000:6.1f} ms {mb / wall:6.1f} MB/s wall | {cpu * 1000:6.1f} ms "
            f"{mb / cpu:6.1f} MB/s CPU | peak {peak / 1e6:5.2f} MB ({peak / event_bytes:.2f}x event)"
        )
    print(
        f"ratio (b)/(a): {base / ours:.2f} best wall, {base_cpu / ours_cpu:.2f} best CPU, "
        f"{paired:.2f} median of paired runs (target >= 0.5); "
        f"peak memory of (b): {ours_peak / event_bytes:.2f}x the event (target <= 3x)"
    )


if __name__ == "__main__":
    main()
