"""A sample dataset for the reference pipeline: sales files, click events, a DMS orders table.

Customers have a hidden loyalty: loyal customers order again sooner (the label,
``repeat_order`` within 30 days, follows from that), click more, and buy in store more often.
So the label depends on features the feature script computes (prior orders, days since the
prior order, click events, channel), and a model that learns shows a validation AUC well above
0.5; with shuffled labels it cannot.

The rows are split across the three ways data arrives in the reference app: a CSV dropped into
the raw zone's ``incoming/sales/`` (cleaned by ObjectTrigger), the orders table as DMS writes it
(Parquet, full load ``LOAD00000001.parquet`` under ``<prefix>/<schema>/<table>/``), and click
events on the Kinesis stream. A few deliberately bad sales rows show the quarantine at work.
Deterministic for a seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "street_number",
    "street_name",
    "zip_code",
    "amount",
    "quantity",
    "channel",
    "ordered_at",
)
STREETS = ("Main St", "Oak Ave", "Pine Rd", "Maple Dr", "Cedar Ln", "Elm St", "Lake Rd", "Hill St")
START = dt.datetime(2026, 1, 5, 8, 0, 0)
DAYS = 180


@dataclass
class SampleData:
    """Rows for each way in; ``bad_sales_rows`` of the sales rows are invalid on purpose."""

    sales: list[dict[str, str]] = field(default_factory=list)
    orders: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, object]] = field(default_factory=list)
    bad_sales_rows: int = 0

    def sales_csv(self) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=ORDER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.sales)
        return out.getvalue().encode()

    def event_records(self) -> list[bytes]:
        return [(json.dumps(e, separators=(",", ":")) + "\n").encode() for e in self.events]

    def orders_parquet(self) -> bytes:
        """The orders as DMS's full load writes them: one Parquet file, ``Op`` and the commit
        timestamp column included (written by a local Spark, the engine the ETL uses)."""
        return write_parquet(self.orders)


def sample_data(*, customers: int = 400, seed: int = 7) -> SampleData:
    rng = random.Random(seed)
    data = SampleData()
    order_number = 0
    for c in range(customers):
        loyalty = rng.random()
        customer = f"c{c:05d}"
        street = f"{rng.randint(1, 400)}", rng.choice(STREETS), f"{10000 + rng.randint(0, 60):05d}"
        when = START + dt.timedelta(days=rng.uniform(0, 60), hours=rng.uniform(0, 10))
        orders = 1 + int(loyalty * 6 + rng.random() * 2)
        for _ in range(orders):
            if when > START + dt.timedelta(days=DAYS):
                break
            order_number += 1
            channel = "store" if rng.random() < 0.2 + 0.6 * loyalty else rng.choice(("web", "phone"))
            quantity = 1 + int(rng.random() * 4)
            row = {
                "order_id": f"o{order_number:07d}",
                "customer_id": customer,
                "street_number": street[0],
                "street_name": street[1],
                "zip_code": street[2],
                "amount": f"{quantity * rng.uniform(5, 80):.2f}",
                "quantity": str(quantity),
                "channel": channel,
                "ordered_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            if rng.random() < 0.3:
                data.orders.append(
                    {**row, "Op": "I", "dms_commit_ts": row["ordered_at"].replace("T", " ")[:-1]}
                )
            else:
                data.sales.append(row)
            # Loyal customers come back within days; others after weeks or months.
            gap = rng.expovariate(1.0 / (4 + 80 * (1 - loyalty) ** 2))
            when += dt.timedelta(days=gap, hours=rng.uniform(-3, 3))
        for e in range(int(rng.expovariate(1.0) * 3 + loyalty * 20)):
            data.events.append(
                {
                    "event_id": f"{customer}-e{e}",
                    "customer_id": customer,
                    "event_type": rng.choice(("view", "click", "add_to_cart")),
                    "device": rng.choice(("web", "mobile")),
                    "occurred_at": (START + dt.timedelta(days=rng.uniform(0, DAYS))).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                }
            )
    # What the trigger must quarantine, with its reason, not lose.
    bad = [
        {**data.sales[0], "order_id": "bad-amount", "amount": "a lot"},
        {**data.sales[1], "order_id": "bad-quantity", "quantity": "0"},
        {**data.sales[2], "order_id": "bad-channel", "channel": "carrier pigeon"},
    ]
    data.sales.extend(bad)
    data.bad_sales_rows = len(bad)
    return data


_WRITE_PARQUET = r"""
import json, sys
from pyspark.sql import SparkSession, types as T
rows = json.load(open(sys.argv[1]))
columns = list(rows[0]) if rows else ["order_id"]
spark = (SparkSession.builder.master("local[1]").appName("sample-orders")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1").getOrCreate())
schema = T.StructType([T.StructField(c, T.StringType()) for c in columns])
spark.createDataFrame([[r.get(c) for c in columns] for r in rows], schema).coalesce(1) \
    .write.mode("overwrite").parquet(sys.argv[2])
spark.stop()
"""


def write_parquet(rows: list[dict[str, str]]) -> bytes:
    """``rows`` as one Parquet file (string columns), through a local Spark in a subprocess."""
    with tempfile.TemporaryDirectory(prefix="ml-sample-") as scratch:
        source, target = Path(scratch) / "rows.json", Path(scratch) / "out"
        source.write_text(json.dumps(rows))
        done = subprocess.run(
            [sys.executable, "-c", _WRITE_PARQUET, str(source), str(target)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"writing the sample Parquet failed:\n{done.stderr[-2000:]}")
        (part,) = target.glob("part-*.parquet")
        return part.read_bytes()
