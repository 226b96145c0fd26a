"""One local SparkSession for the whole test session, and small generated lake data."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """local[2], no UI, 2 shuffle partitions: the JVM starts once per test session."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("ml-constructs-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


START = datetime(2024, 1, 1, tzinfo=UTC)
CUSTOMERS = 60
SALES_ROWS = 600  # across 3 files
DMS_ROWS = 300

# Sales rows the script must reject, each with the reason it must give.
BAD_SALES = [
    ('{"order_id": "bad-json", "amount": ', "malformed record"),
    ({"order_id": "bad-zip-missing", "zip_code": None}, "missing zip_code"),
    ({"order_id": "bad-amount", "amount": "abc"}, "amount is not a number"),
    ({"order_id": "bad-negative", "amount": -5}, "amount out of range 0..1000000"),
    ({"order_id": "bad-quantity", "quantity": 2.5}, "quantity is not an integer"),
    ({"order_id": "bad-zero", "quantity": 0}, "quantity out of range 1..10000"),
    ({"order_id": "bad-time", "ordered_at": "yesterday"}, "ordered_at is not a timestamp"),
    ({"order_id": "bad-zip", "zip_code": "!!"}, "zip_code does not match [0-9A-Za-z -]{3,10}"),
    ({"order_id": "bad-channel", "channel": "fax"}, "channel is not one of web, store, phone"),
    ({"order_id": "  "}, "missing order_id"),
    (
        {"order_id": "bad-two", "street_name": "", "amount": "x"},
        "missing street_name; amount is not a number",
    ),
]
ADDRESS_ORDER_ID = "addr-1"
ADDRESS_ORDER = {
    "customer_id": "c-address",
    "street_number": " 12 ",
    "street_name": "Main   Street",
    "zip_code": "98101",
}


def order(rng: random.Random, order_id: str, /, **overrides: Any) -> dict[str, Any]:
    customer = rng.randrange(CUSTOMERS)
    row = {
        "order_id": order_id,
        "customer_id": f"c{customer}",
        "street_number": str(1 + customer % 40),
        "street_name": rng.choice(["Main Street", "Oak Avenue", "Pine Road"]),
        "zip_code": f"{98100 + customer % 7}",
        "amount": round(rng.uniform(1, 500), 2),
        "quantity": rng.randint(1, 5),
        "channel": rng.choice(["web", "store", "phone", None]),
        "ordered_at": (START + timedelta(minutes=rng.randrange(0, 200 * 24 * 60))).isoformat(),
    }
    row.update(overrides)
    return {k: v for k, v in row.items() if v is not None}


@dataclass(frozen=True)
class LakeData:
    root: Path
    sales: Path
    orders: Path
    events: Path
    sales_rows: int
    dms_rows: int
    rows_by_id: dict[str, dict[str, Any]]  # the clean version of every order that must survive
    events_by_customer: dict[str, list[str]]


def write_lake(spark: Any, root: Path, *, seed: int = 1) -> LakeData:
    """Sales JSON lines (3 files, a duplicate across files, bad rows), a DMS table (full load +
    CDC with update, delete, insert) and click-stream events (with bad ones) under ``root``."""
    rng = random.Random(seed)
    sales_dir = root / "sales"
    orders_dir = root / "databases" / "orders" / "sales" / "orders"  # DatabaseIngest's layout
    events_dir = root / "streams"
    sales_dir.mkdir(parents=True)
    rows_by_id: dict[str, dict[str, Any]] = {}
    lines: list[list[str]] = [[], [], []]
    for index in range(SALES_ROWS):
        row = order(rng, f"o{index}")
        rows_by_id[row["order_id"]] = row
        lines[index % 3].append(json.dumps(row))
    # o4 (file 1) again in the last file, with a new amount: the later file wins.
    rows_by_id["o4"] = {**rows_by_id["o4"], "amount": 77.5}
    lines[2].append(json.dumps(rows_by_id["o4"]))
    rows_by_id[ADDRESS_ORDER_ID] = order(rng, ADDRESS_ORDER_ID, **ADDRESS_ORDER)
    lines[0].append(json.dumps(rows_by_id[ADDRESS_ORDER_ID]))
    # Another customer at the same address, spelled in other letter case: 2 customers there.
    neighbour = {**ADDRESS_ORDER, "customer_id": "c-neighbour", "street_name": "MAIN street"}
    rows_by_id["addr-2"] = order(rng, "addr-2", **neighbour)
    lines[1].append(json.dumps(rows_by_id["addr-2"]))
    for bad, _ in BAD_SALES:
        lines[1].append(bad if isinstance(bad, str) else json.dumps(order(rng, "x", **bad)))
    for number, chunk in enumerate(lines):
        (sales_dir / f"part-{number}.jsonl").write_text("\n".join(chunk) + "\n")
    sales_rows = sum(len(chunk) for chunk in lines)

    loaded_at, changed_at = datetime(2024, 8, 1, 12, tzinfo=UTC), datetime(2024, 8, 2, 9, tzinfo=UTC)
    load = [order(rng, f"d{index}") for index in range(DMS_ROWS)]
    cdc = [
        {**load[1], "amount": 555.0, "Op": "U", "dms_commit_ts": changed_at},
        {**load[1], "amount": 999.0, "Op": "U", "dms_commit_ts": changed_at + timedelta(seconds=5)},
        {**load[2], "Op": "D", "dms_commit_ts": changed_at},
        {**order(rng, "d-new"), "Op": "I", "dms_commit_ts": changed_at},
    ]
    cdc = [cdc[1], cdc[0], cdc[2], cdc[3]]  # the newer update first: the commit time decides
    load = [{**row, "Op": "I", "dms_commit_ts": loaded_at} for row in load]
    for row in load:
        rows_by_id[row["order_id"]] = row
    rows_by_id["d1"] = {k: v for k, v in cdc[0].items() if k not in ("Op", "dms_commit_ts")}
    rows_by_id["d-new"] = {k: v for k, v in cdc[3].items() if k not in ("Op", "dms_commit_ts")}
    del rows_by_id["d2"]
    _write_parquet(spark, load, orders_dir / "2024" / "08" / "01", "LOAD00000001.parquet")
    _write_parquet(spark, cdc, orders_dir / "2024" / "08" / "02", "20240802-090000000.parquet")

    event_dir = events_dir / "clicks" / "year=2024" / "month=07"
    event_dir.mkdir(parents=True)
    clicks = [(f"c{rng.randrange(CUSTOMERS)}", rng.choice(["view", "cart"])) for _ in range(500)]
    events = [json.dumps({"customer_id": c, "event_type": kind}) for c, kind in clicks]
    events += ['{"event_type": "view"}', "not json"]
    with gzip.open(event_dir / "clicks-1-2024-07-01-00-00-00-uuid.gz", "wt") as handle:  # Firehose's GZIP
        handle.write("\n".join(events) + "\n")
    events_by_customer: dict[str, list[str]] = {}
    for customer, kind in clicks:
        events_by_customer.setdefault(customer, []).append(kind)
    return LakeData(
        root=root,
        sales=sales_dir,
        orders=orders_dir,
        events=events_dir,
        sales_rows=sales_rows,
        dms_rows=len(load) + len(cdc),
        rows_by_id=rows_by_id,
        events_by_customer=events_by_customer,
    )


def _write_parquet(spark: Any, rows: list[dict], folder: Path, name: str) -> None:
    """DMS's Parquet: ``Op`` first, the table's columns, ``dms_commit_ts`` last."""
    from pyspark.sql import types as T

    columns = ["Op"] + [
        "order_id",
        "customer_id",
        "street_number",
        "street_name",
        "zip_code",
        "channel",
    ]
    schema = T.StructType(
        [T.StructField(c, T.StringType()) for c in columns]
        + [
            T.StructField("amount", T.DoubleType()),
            T.StructField("quantity", T.IntegerType()),
            T.StructField("ordered_at", T.TimestampType()),
            T.StructField("dms_commit_ts", T.TimestampType()),
        ]
    )
    records = [
        tuple(row.get(c) for c in columns)
        + (
            float(row["amount"]),
            int(row["quantity"]),
            datetime.fromisoformat(row["ordered_at"]),  # aware: PySpark converts it exactly
            row["dms_commit_ts"],
        )
        for row in rows
    ]
    scratch = folder.parent / f"_{name}.tmp"
    spark.createDataFrame(records, schema).coalesce(1).write.parquet(str(scratch))
    folder.mkdir(parents=True, exist_ok=True)
    (part,) = scratch.glob("part-*.parquet")
    shutil.move(str(part), folder / name)
    shutil.rmtree(scratch)
