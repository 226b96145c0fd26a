"""The single-machine floor of the feature script: the same computation in DuckDB.

Same inputs as ``ml_constructs/runtime/spark/features.py`` (sales JSON lines, the DMS Parquet
table, gzipped JSON events), the same validation reasons, the same de-duplication order (DMS CDC
over full load over sales, then commit time, file name, row), the same window features, event
aggregates, label and split (Spark's ``xxhash64(order_id, seed)``, reimplemented in NumPy), and
the same outputs: the Parquet feature table by year/month, the rejected rows as JSON lines by
source, and the three XGBoost CSVs. ``bench/spark_features.py`` runs both on the same data,
compares their counts and a sample of feature values, and prints the ratio of their times.

Not a second implementation to deploy: it is the yardstick that says how much of Spark's time is
the work itself and how much is Spark.
"""

# ruff: noqa: E501 - the SQL reads better with its long lines unbroken

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

# -- Spark's xxhash64 (org.apache.spark.sql.catalyst.expressions.XXH64) -----------------------
_P1, _P2, _P3 = np.uint64(0x9E3779B185EBCA87), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)
_P4, _P5 = np.uint64(0x85EBCA77C2B2CA63), np.uint64(0x27D4EB2F165667C5)
SPLIT_BUCKETS = 1_000_000


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


def _fmix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * _P2
    h = h ^ (h >> np.uint64(29))
    h = h * _P3
    return h ^ (h >> np.uint64(32))


def _words(data: np.ndarray, offset: int, size: int) -> np.ndarray:
    """Little-endian words of ``size`` bytes at ``offset`` of every row."""
    kind = {8: "<u8", 4: "<u4"}[size]
    return np.ascontiguousarray(data[:, offset : offset + size]).view(kind).ravel().astype(np.uint64)


def _xxh64_bytes(data: np.ndarray, seed: np.uint64) -> np.ndarray:
    """XXH64 of each row of ``data`` (n x length uint8, one length for all rows)."""
    n, length = data.shape
    offset = 0
    if length >= 32:
        lanes = [
            np.full(n, seed + _P1 + _P2, np.uint64),
            np.full(n, seed + _P2, np.uint64),
            np.full(n, seed, np.uint64),
            np.full(n, seed - _P1, np.uint64),
        ]
        while offset + 32 <= length:
            for lane in range(4):
                v = lanes[lane] + _words(data, offset + 8 * lane, 8) * _P2
                lanes[lane] = _rotl(v, 31) * _P1
            offset += 32
        h = _rotl(lanes[0], 1) + _rotl(lanes[1], 7) + _rotl(lanes[2], 12) + _rotl(lanes[3], 18)
        for v in lanes:
            v = _rotl(v * _P2, 31) * _P1
            h = (h ^ v) * _P1 + _P4
    else:
        h = np.full(n, seed + _P5, np.uint64)
    h = h + np.uint64(length)
    while offset + 8 <= length:
        k = _rotl(_words(data, offset, 8) * _P2, 31) * _P1
        h = _rotl(h ^ k, 27) * _P1 + _P4
        offset += 8
    if offset + 4 <= length:
        h = _rotl(h ^ (_words(data, offset, 4) * _P1), 23) * _P2 + _P3
        offset += 4
    while offset < length:
        h = _rotl(h ^ (data[:, offset].astype(np.uint64) * _P5), 11) * _P1
        offset += 1
    return _fmix(h)


def _hash_int(value: int, seeds: np.ndarray) -> np.ndarray:
    h = seeds + _P5 + np.uint64(4)
    h = h ^ (np.uint64(value & 0xFFFFFFFF) * _P1)
    return _fmix(_rotl(h, 23) * _P2 + _P3)


def validation_flags(order_ids: np.ndarray, seed: int, ratio: float) -> np.ndarray:
    """``pmod(xxhash64(order_id, seed), 1e6) < ratio * 1e6``, exactly as the Spark script splits."""
    if not -(2**31) <= seed < 2**31:
        raise ValueError(f"seed={seed}: the floor reimplements an int seed (Spark's IntegerType) only")
    encoded = [value.encode("utf-8") for value in order_ids]
    lengths = np.fromiter((len(b) for b in encoded), np.int64, len(encoded))
    hashes = np.empty(len(encoded), np.uint64)
    with np.errstate(over="ignore"):
        for length in np.unique(lengths):
            rows = np.flatnonzero(lengths == length)
            data = np.frombuffer(b"".join(encoded[i] for i in rows), np.uint8).reshape(len(rows), int(length))
            first = _xxh64_bytes(data, np.uint64(42))  # Spark's xxhash64 starts from seed 42
            hashes[rows] = _hash_int(seed, first)
    buckets = hashes.view(np.int64) % SPLIT_BUCKETS  # pmod: NumPy's % takes the divisor's sign
    return buckets < int(round(ratio * SPLIT_BUCKETS))


# -- the feature computation ------------------------------------------------------------------
ORDER_FIELDS = (
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
FEATURE_COLUMNS = (
    "amount",
    "quantity",
    "unit_price",
    "channel_web",
    "channel_store",
    "channel_phone",
    "order_hour",
    "order_dow",
    "customer_prior_orders",
    "customer_prior_amount_avg",
    "days_since_prior_order",
    "address_customers",
    "zip_orders",
    "customer_events",
    "customer_event_types",
)


def _files(folder: str, suffixes: tuple[str, ...] | None = None) -> str:
    """The data files under ``folder`` as a DuckDB list, skipping what Spark's readers skip
    (names starting with ``_`` or ``.``: _SUCCESS, checksums)."""
    found = sorted(
        str(p)
        for p in Path(folder).rglob("*")
        if p.is_file()
        and not p.name.startswith(("_", "."))
        and (suffixes is None or p.name.endswith(suffixes))
    )
    if not found:
        raise FileNotFoundError(f"no data files under {folder}")
    return "[" + ", ".join(f"'{f}'" for f in found) + "]"


def _lines(folder: str) -> str:
    """JSON lines as text (one column ``line``) with the file name, in file order (gzip by the
    file extension)."""
    return (
        f"read_csv({_files(folder)}, columns={{'line': 'VARCHAR'}}, header=false, delim='{chr(1)}', "
        "quote='', escape='', auto_detect=false, filename=true)"
    )


def _text(expression: str, *, collapse: bool = False) -> str:
    cleaned = f"trim({expression})"
    if collapse:
        cleaned = f"regexp_replace({cleaned}, '\\s+', ' ', 'g')"
    return f"nullif({cleaned}, '')"


def _json_orders(folder: str, source: str, priority: str, commit: str) -> str:
    fields = ", ".join(
        f"json_extract_string(_json, '$.{name}') AS {alias}"
        for name, alias in [(n, n) for n in (*ORDER_FIELDS, "Op")] + [(commit, "dms_commit_ts")]
    )
    return f"""
        SELECT {fields}, CASE WHEN NOT valid THEN line END AS _corrupt, filename AS _file,
               '{source}' AS _source, {priority} AS _priority, row_number() OVER () AS _row
        FROM (SELECT *, CASE WHEN valid THEN line END AS _json  -- never parse an invalid line
              FROM (SELECT line, filename, coalesce(json_valid(line) AND starts_with(ltrim(line), '{{'), false) AS valid
                    FROM {_lines(folder)} WHERE trim(line) <> ''))"""


def _parquet_orders(folder: str, commit: str) -> str:
    fields = ", ".join(f"CAST({name} AS VARCHAR) AS {name}" for name in ORDER_FIELDS)
    return f"""
        SELECT {fields}, CAST(Op AS VARCHAR) AS Op, CAST({commit} AS VARCHAR) AS dms_commit_ts,
               NULL::VARCHAR AS _corrupt, filename AS _file, 'orders' AS _source,
               CASE WHEN regexp_extract(filename, '([^/]+)$', 1) LIKE 'LOAD%' THEN 1 ELSE 2 END AS _priority,
               row_number() OVER () AS _row
        FROM read_parquet({_files(folder, (".parquet",))}, filename=true, union_by_name=true)"""


def run_floor(
    *,
    sales: str | None,
    orders: str | None,
    events: str | None,
    out: Path,
    seed: int = 42,
    validation_ratio: float = 0.2,
    repeat_window_days: int = 30,
    events_key: str = "customer_id",
    events_type_field: str = "event_type",
    orders_commit_field: str = "dms_commit_ts",
    threads: int = 2,
) -> dict[str, Any]:
    """Run the floor on JSON-lines ``sales``, Parquet ``orders`` and JSON-lines ``events`` folders
    (searched recursively) and write its outputs under ``out``; return the summary and timings."""
    started = time.perf_counter()
    con = duckdb.connect()
    con.sql(f"SET threads = {threads}")
    con.sql("SET TimeZone = 'UTC'")
    con.sql("SET preserve_insertion_order = true")
    parts = []
    if sales:
        parts.append(_json_orders(sales, "sales", "0", orders_commit_field))
    if orders:
        parts.append(_parquet_orders(orders, orders_commit_field))
    address = {"street_number", "street_name", "zip_code"}
    cleaned = ", ".join(f"{_text(n, collapse=n in address)} AS {n}" for n in ORDER_FIELDS if n != "channel")
    con.sql(f"""
        CREATE TABLE checked AS
        WITH versions AS ({" UNION ALL BY NAME ".join(parts)}),
        ranked AS (
            SELECT *, {{{", ".join(f"'{n}': {n}" for n in (*ORDER_FIELDS, "Op"))}}} AS _original,
                   row_number() OVER (
                       PARTITION BY {_text("order_id")}
                       ORDER BY _priority DESC,
                                CAST(try_cast(dms_commit_ts AS TIMESTAMPTZ) AS TIMESTAMP) DESC NULLS LAST,
                                regexp_extract(_file, '([^/]+)$', 1) DESC, _row DESC) AS _version
            FROM versions),
        typed AS (
            SELECT {cleaned}, lower(coalesce({_text("channel")}, 'web')) AS channel,
                   upper(trim(Op)) AS _op, try_cast(trim(amount) AS DOUBLE) AS _amount,
                   try_cast(trim(quantity) AS DOUBLE) AS _quantity,
                   CAST(try_cast(trim(ordered_at) AS TIMESTAMPTZ) AS TIMESTAMP) AS _ordered_at,
                   _corrupt, _file, _source, _version, _original
            FROM ranked),
        reasoned AS (
            SELECT *, concat_ws('; ',
                {", ".join(f"CASE WHEN {n} IS NULL THEN 'missing {n}' END" for n in ORDER_FIELDS[1:] if n != "channel")},
                CASE WHEN amount IS NOT NULL AND _amount IS NULL THEN 'amount is not a number' END,
                CASE WHEN _amount IS NOT NULL AND (isnan(_amount) OR _amount < 0 OR _amount > 1000000.0)
                     THEN 'amount out of range 0..1000000' END,
                CASE WHEN quantity IS NOT NULL AND (_quantity IS NULL OR isnan(_quantity) OR _quantity % 1 <> 0)
                     THEN 'quantity is not an integer' END,
                CASE WHEN _quantity IS NOT NULL AND NOT isnan(_quantity) AND (_quantity < 1 OR _quantity > 10000)
                     THEN 'quantity out of range 1..10000' END,
                CASE WHEN ordered_at IS NOT NULL AND _ordered_at IS NULL THEN 'ordered_at is not a timestamp' END,
                CASE WHEN zip_code IS NOT NULL AND NOT regexp_matches(zip_code, '^[0-9A-Za-z -]{{3,10}}$')
                     THEN 'zip_code does not match [0-9A-Za-z -]{{3,10}}' END,
                CASE WHEN channel NOT IN ('web', 'store', 'phone')
                     THEN 'channel is not one of web, store, phone' END) AS _invalid
            FROM typed)
        SELECT * EXCLUDE (_invalid, _original, _corrupt, _version, _op),
               CASE WHEN _corrupt IS NOT NULL THEN 'malformed record'
                    WHEN order_id IS NULL THEN 'missing order_id'
                    WHEN _version > 1 THEN 'superseded by a later version of the same order_id'
                    WHEN _op = 'D' THEN 'deleted at source (DMS Op=D)'
                    WHEN _invalid <> '' THEN _invalid END AS reason,
               coalesce(_corrupt, CAST(to_json(_original) AS VARCHAR)) AS record
        FROM reasoned""")
    newest = con.sql("SELECT max(epoch(_ordered_at)) FROM checked WHERE reason IS NULL").fetchall()[0][0] or 0
    window = repeat_window_days * 86400

    events_join = (
        "SELECT NULL::VARCHAR AS customer_id, 0::BIGINT AS customer_events, 0::BIGINT AS customer_event_types"
    )
    rejected_events = ""
    if events:
        con.sql(f"""
            CREATE TABLE events AS
            SELECT *, CASE WHEN NOT valid THEN 'malformed record' WHEN _key IS NULL THEN 'missing {events_key}'
                      END AS reason
            FROM (SELECT line, filename, valid, _raw_key, _raw_kind, {_text("_raw_key")} AS _key,
                         {_text("_raw_kind")} AS _kind
                  FROM (SELECT line, filename, valid,
                               json_extract_string(CASE WHEN valid THEN line END, '$.{events_key}') AS _raw_key,
                               json_extract_string(CASE WHEN valid THEN line END, '$.{events_type_field}') AS _raw_kind
                        FROM (SELECT line, filename,
                                     coalesce(json_valid(line) AND starts_with(ltrim(line), '{{'), false) AS valid
                              FROM {_lines(events)} WHERE trim(line) <> '')))""")
        events_join = """SELECT _key AS customer_id, count(*) AS customer_events,
                                count(DISTINCT _kind) AS customer_event_types
                         FROM events WHERE reason IS NULL GROUP BY _key"""
        rejected_events = """UNION ALL SELECT 'events' AS source, reason,
            CASE WHEN valid THEN CAST(to_json({'key': _raw_key, 'type': _raw_kind}) AS VARCHAR) ELSE line END AS record,
            filename AS file FROM events WHERE reason IS NOT NULL"""

    con.sql(f"""
        CREATE TABLE features AS
        WITH clean AS (
            SELECT order_id, customer_id, street_number, street_name, zip_code, channel,
                   _ordered_at AS ordered_at, _amount AS amount, CAST(_quantity AS INTEGER) AS quantity,
                   concat_ws(' ', street_number, street_name, zip_code) AS full_address
            FROM checked WHERE reason IS NULL),
        history AS (
            SELECT *, row_number() OVER w - 1 AS customer_prior_orders,
                   round(coalesce(avg(amount) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0.0), 4)
                       AS customer_prior_amount_avg,
                   lag(ordered_at) OVER w AS _previous, lead(ordered_at) OVER w AS _next,
                   count(DISTINCT customer_id) OVER (PARTITION BY lower(full_address)) AS address_customers,
                   count(*) OVER (PARTITION BY upper(zip_code)) AS zip_orders
            FROM clean WINDOW w AS (PARTITION BY customer_id ORDER BY ordered_at, order_id)),
        aggregates AS ({events_join})
        SELECT h.order_id, h.customer_id, full_address, street_number, street_name, zip_code, channel, ordered_at,
               amount, quantity, round(amount / quantity, 4) AS unit_price,
               CAST(channel = 'web' AS INTEGER) AS channel_web, CAST(channel = 'store' AS INTEGER) AS channel_store,
               CAST(channel = 'phone' AS INTEGER) AS channel_phone,
               hour(ordered_at) AS order_hour, dayofweek(ordered_at) + 1 AS order_dow,
               customer_prior_orders,
               customer_prior_amount_avg,
               coalesce(round((epoch(ordered_at) - epoch(_previous)) / 86400.0, 3), -1.0) AS days_since_prior_order,
               address_customers, zip_orders,
               coalesce(a.customer_events, 0)::BIGINT AS customer_events,
               coalesce(a.customer_event_types, 0)::BIGINT AS customer_event_types,
               CAST(CASE WHEN _next IS NOT NULL AND epoch(_next) - epoch(ordered_at) <= {window} THEN 1
                         WHEN _next IS NOT NULL OR epoch(ordered_at) + {window} <= {newest} THEN 0 END AS INTEGER)
                   AS repeat_order,
               year(ordered_at) AS order_year, month(ordered_at) AS order_month
        FROM history h LEFT JOIN aggregates a ON h.customer_id = a.customer_id""")
    ids = con.sql("SELECT order_id FROM features").fetchnumpy()["order_id"]
    split = {"in_validation": validation_flags(ids, seed, validation_ratio)}  # noqa: F841 (DuckDB reads it)
    con.sql("CREATE TABLE split_features AS SELECT * FROM features POSITIONAL JOIN split")
    computed = time.perf_counter() - started

    (out / "features").mkdir(parents=True, exist_ok=True)
    csv_columns = ", ".join(FEATURE_COLUMNS)
    con.sql(f"""COPY (SELECT * EXCLUDE (in_validation) FROM split_features)
                TO '{out}/features/order_features' (FORMAT parquet, PARTITION_BY (order_year, order_month),
                OVERWRITE_OR_IGNORE)""")
    con.sql(f"""COPY (SELECT _source AS source, reason, record, _file AS file FROM checked WHERE reason IS NOT NULL
                      {rejected_events})
                TO '{out}/rejected' (FORMAT json, PARTITION_BY (source), OVERWRITE_OR_IGNORE)""")
    splits = {
        "train": "repeat_order IS NOT NULL AND NOT in_validation",
        "validation": "repeat_order IS NOT NULL AND in_validation",
        "score": "repeat_order IS NULL",
    }
    for name, where in splits.items():
        first = "order_id" if name == "score" else "repeat_order"
        (out / "features" / name).mkdir(parents=True, exist_ok=True)
        con.sql(f"""COPY (SELECT {first}, {csv_columns} FROM split_features WHERE {where})
                    TO '{out}/features/{name}/part-0.csv' (FORMAT csv, HEADER false)""")
    counts = con.sql(f"""SELECT count(*), {", ".join(f"count(*) FILTER (WHERE {w})" for w in splits.values())}
                         FROM split_features""").fetchall()[0]
    reasons = con.sql(f"""SELECT source || ': ' || reason, count(*) FROM (
                            SELECT _source AS source, reason, record, _file AS file FROM checked
                            WHERE reason IS NOT NULL {rejected_events}) GROUP BY ALL""").fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return {
        "features": counts[0],
        "train": counts[1],
        "validation": counts[2],
        "score": counts[3],
        "rejected": sum(n for _, n in reasons),
        "rejected_by_reason": dict(sorted(reasons)),
        "compute_s": computed,
        "run_s": seconds,
    }


# -- comparing with the Spark script's outputs ------------------------------------------------
COMPARED = ("full_address", "channel", *FEATURE_COLUMNS, "repeat_order", "order_year", "order_month")
TOLERANCE = {"unit_price": 1.5e-4, "customer_prior_amount_avg": 1.5e-4, "days_since_prior_order": 1.5e-3}


def compare_outputs(spark_out: Path, floor_out: Path, *, sample: int = 500) -> dict[str, Any]:
    """Counts of every output and the feature values of a sample of orders, Spark against the
    floor. Rounded features may differ in the last digit (Spark rounds the decimal expansion
    half up, DuckDB the binary double), within :data:`TOLERANCE`."""
    con = duckdb.connect()
    con.sql("SET TimeZone = 'UTC'")

    def table(root: Path) -> str:
        return f"read_parquet('{root}/features/order_features/**/*.parquet', hive_partitioning=true)"

    def lines(folder: Path) -> int:
        return sum(
            len(f.read_text().splitlines()) for f in folder.iterdir() if not f.name.startswith(("_", "."))
        )

    def rejected(root: Path) -> int:
        return sum(
            len(f.read_text().splitlines())
            for f in (root / "rejected").rglob("*")
            if f.is_file() and not f.name.startswith(("_", "."))
        )

    counts = {}
    for name, query in (
        ("features", lambda root: con.sql(f"SELECT count(*) FROM {table(root)}").fetchall()[0][0]),
        ("train", lambda root: lines(root / "features" / "train")),
        ("validation", lambda root: lines(root / "features" / "validation")),
        ("score", lambda root: lines(root / "features" / "score")),
        ("rejected", rejected),
    ):
        counts[name] = (query(spark_out), query(floor_out))
    columns = ", ".join(COMPARED)
    ids = [
        row[0]
        for row in con.sql(
            f"SELECT order_id FROM {table(spark_out)} ORDER BY hash(order_id) LIMIT {sample}"
        ).fetchall()
    ]
    id_list = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
    picked = {
        side: {
            row[0]: row[1:]
            for row in con.sql(
                f"SELECT order_id, {columns} FROM {table(root)} WHERE order_id IN ({id_list})"
            ).fetchall()
        }
        for side, root in (("spark", spark_out), ("floor", floor_out))
    }
    mismatches = []
    for order_id in ids:
        left, right = picked["spark"].get(order_id), picked["floor"].get(order_id)
        if right is None:
            mismatches.append(f"{order_id}: missing in the floor")
            continue
        for name, a, b in zip(COMPARED, left, right, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                same = abs(a - b) <= TOLERANCE.get(name, 1e-9) * max(1.0, abs(a))
            else:
                same = a == b
            if not same:
                mismatches.append(f"{order_id}.{name}: spark {a!r}, floor {b!r}")
    con.close()
    return {"counts": counts, "sampled": len(ids), "mismatches": mismatches}
