"""Benchmark: the S3 pre-processor's time and memory on one huge line, and on ordinary rows.

A long line used to cost quadratic time and memory (the line so far was copied at every 1 MB
chunk): 50 / 100 / 200 MB lines took 3 / 10 / 40 s and 225 / 430 / 840 MB, then crashed the
function. Lines are now bounded by ``MAX_LINE_CHARS``: a longer one is skipped as it is read
and quarantined with its first characters.

The object is generated as S3 would stream it (1 MB reads), never held whole, so the peak
memory reported is the processor's own: ``tracemalloc`` peak (Python allocations) and the
growth of the process's maximum resident set size (everything, each case in a fresh process).

    .venv/bin/python bench/object_preprocess.py [--sizes-mb 50,100,200] [--rows-mb 50]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

# Import the runtime module as the Lambda bundle does (top level; no CDK import).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ml_constructs" / "runtime"))

import object_preprocess  # noqa: E402

SPEC = {"fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "number", "minimum": 0}]}


class Generated(io.RawIOBase):
    """``head``, then ``size`` bytes of ``fill`` repeated, then ``tail``: made as it is read."""

    def __init__(self, head: bytes, fill: bytes, size: int, tail: bytes) -> None:
        self.head, self.tail = head, tail
        self.fill, self.left, self.at = fill, size, 0
        self.buffer = b""

    def read(self, size: int = -1) -> bytes:
        if self.head:
            self.buffer, self.head = self.head, b""
        while len(self.buffer) < size and self.left:
            take = min(self.left, 1 << 20)
            repeated = self.fill * (take // len(self.fill) + 2)
            self.buffer += repeated[self.at : self.at + take]
            self.at = (self.at + take) % len(self.fill)
            self.left -= take
        if not self.left and self.tail:
            self.buffer, self.tail = self.buffer + self.tail, b""
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


class Client:
    """Just enough of an S3 client: streams the body in, counts what is written."""

    def __init__(self, body: io.RawIOBase) -> None:
        self.body, self.uploaded, self.sizes = body, {}, {}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": self.body}

    def upload_fileobj(self, fileobj, bucket, key, ExtraArgs=None) -> None:
        size, lines = 0, []  # stream it, as boto3 does; keep only the quarantine's first lines
        while chunk := fileobj.read(1 << 20):
            size += len(chunk)
            if len(lines) < 2:
                lines += chunk.splitlines()[:2]
        self.sizes[key], self.uploaded[key] = size, b"\n".join(lines[:2])

    def copy(self, source, bucket, key) -> None:
        self.uploaded[key] = b"<copy>"

    def put_object(self, Bucket, Key, Body, ContentType=None) -> None:
        self.uploaded[Key] = Body


def body(kind: str, mb: float) -> tuple[str, io.RawIOBase]:
    size = int(mb * 1024 * 1024)
    if kind == "json-line":  # one JSON object, one line: {"id": "xxxx...", "amount": 1}
        return "big.jsonl", Generated(b'{"id":"', b"x", size, b'","amount":1}\n{"id":"a","amount":2}\n')
    if kind == "csv-line":  # one CSV record, one line, one huge cell
        return "big.csv", Generated(b"id,amount\n", b"x", size, b",1\na,2\n")
    if kind == "csv-rows":  # ordinary rows of about 1 KB
        row = b"r-" + b"x" * 1000 + b",12.5\n"
        return "rows.csv", Generated(b"id,amount\n", row, size // len(row) * len(row), b"")
    if kind == "json-rows":
        row = json.dumps({"id": "x" * 1000, "amount": 12.5}).encode() + b"\n"
        return "rows.jsonl", Generated(b"", row, size // len(row) * len(row), b"")
    raise ValueError(kind)


def run_case(kind: str, mb: float) -> dict[str, Any]:
    """One case, in this (fresh) process: time, tracemalloc peak, resident set growth."""
    key, stream = body(kind, mb)
    settings = object_preprocess.Settings(
        schema_spec=SPEC, output_bucket="out", output_prefix="clean/", quarantine_prefix="q/"
    )
    client = Client(stream)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    result = object_preprocess.process_object(client, "raw", key, settings)
    seconds = time.perf_counter() - start
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    # the same again under tracemalloc (slower, so not timed)
    key, stream = body(kind, mb)
    tracemalloc.start()
    object_preprocess.process_object(Client(stream), "raw", key, settings)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rejected = client.uploaded.get(f"q/{key}.rejected.jsonl", b"")
    reasons = sorted({json.loads(line)["reason"][:70] for line in rejected.splitlines()})
    return {
        "kind": kind,
        "mb": mb,
        "seconds": round(seconds, 2),
        "mb_per_s": round(mb / seconds, 1),
        "tracemalloc_peak_mb": round(peak / 2**20, 1),
        "rss_growth_mb": round(rss_growth / 2**20, 1),
        "status": result.status,
        "clean_rows": result.clean_rows,
        "rejected_rows": result.rejected_rows,
        "reasons": reasons,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes-mb", default="50,100,200", help="single-line sizes (default 50,100,200)")
    parser.add_argument("--rows-mb", type=float, default=50, help="size of the ordinary-rows files")
    parser.add_argument("--case", nargs=2, metavar=("KIND", "MB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # a child process: one case, its figures as JSON
        print(json.dumps(run_case(args.case[0], float(args.case[1]))))
        return
    cases = [(kind, mb) for mb in args.sizes_mb.split(",") for kind in ("json-line", "csv-line")]
    cases += [("csv-rows", str(args.rows_mb)), ("json-rows", str(args.rows_mb))]
    limit = getattr(object_preprocess, "MAX_LINE_CHARS", None)  # None: a version without a limit
    print(f"python {sys.version.split()[0]}, MAX_LINE_CHARS {limit}; each case in a fresh process")
    for kind, mb in cases:
        out = subprocess.run([sys.executable, __file__, "--case", kind, mb], capture_output=True, text=True)
        if out.returncode:
            print(f"{kind:9} {float(mb):6.0f} MB: crashed: {out.stderr.strip().splitlines()[-1]}")
            continue
        figures = json.loads(out.stdout)
        print(
            f"{kind:9} {float(mb):6.0f} MB: {figures['seconds']:6.2f} s ({figures['mb_per_s']:6.1f} MB/s), "
            f"peak {figures['tracemalloc_peak_mb']:5.1f} MB tracemalloc, "
            f"+{figures['rss_growth_mb']:5.1f} MB resident; {figures['status']}, "
            f"{figures['clean_rows']} clean, {figures['rejected_rows']} rejected {figures['reasons']}"
        )


if __name__ == "__main__":
    main()
