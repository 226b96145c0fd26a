"""Feature engineering for the sales model: orders + click stream -> features and XGBoost CSVs.

One plain PySpark script (no ``awsglue`` import), so the same file runs as a Glue 5 job, as an
EMR Serverless 7 job run and in a local SparkSession. Python 3.9 compatible (EMR Serverless 7).

Arguments come as ``--name value`` pairs (``--name=value`` works too). Glue's own arguments
(``--JOB_NAME``, ``--job-bookmark-option``, ``--TempDir``, ...) and anything else unknown are
ignored, so the script takes Glue job arguments and spark-submit entry-point arguments alike.

Inputs (each optional, at least one order source; an empty path turns a source off, a path with
no files yet is an empty source):

``--sales_path``   sales rows, JSON lines by default (ObjectTrigger's clean rows, processed zone
                   ``sales/``); fields order_id, customer_id, street_number, street_name,
                   zip_code, amount, quantity, channel, ordered_at.
``--orders_path``  the same rows replicated by DMS, Parquet by default (DatabaseIngest's
                   ``<prefix>/<schema>/<table>/`` in the raw zone, date folders below). Rows
                   carry DMS's ``Op`` column (I/U/D) and a commit timestamp column
                   (``--orders_commit_field``, default ``dms_commit_ts``).
``--events_path``  stream records, JSON lines by default, gzip read by file extension
                   (StreamIngest's ``streams/<name>/year=.../`` in the raw zone), keyed by
                   ``--events_key`` (customer_id) with an optional ``--events_type_field``.
``--sales_format`` / ``--orders_format`` / ``--events_format``: json, parquet or csv (header row).

Every version of an order (by order_id) competes: DMS CDC beats DMS full load beats the sales
files; then the later commit timestamp, the later file name (DMS names CDC files by time), the
later row.

The winner is validated; the losers, deleted orders (``Op=D``) and invalid rows go to the
rejected output with their reason: every input row ends up as a feature row or a rejected row.

Outputs (``--output_path`` fills any one left out with ``features/order_features/``,
``rejected/``, ``features/train/``, ``features/validation/``, ``features/score/``,
``features/baseline/`` under it):

``--features_path``    Parquet, one row per clean order, partitioned by order_year/order_month:
                       ids, the full-address feature, typed numeric and categorical features,
                       the label.
``--rejected_path``    JSON lines partitioned by ``source``: source, reason, record (the
                       malformed line, or the fields the script reads as JSON), file.
``--train_path`` / ``--validation_path``  CSV in the layout of SageMaker's built-in XGBoost:
                       label first, then :data:`FEATURE_COLUMNS`, no header.
``--score_path``       CSV of orders whose label is not known yet: order_id, then the features
                       (batch transform with ``InputFilter="$[1:]"``, ``JoinSource="Input"``).
``--baseline_path``    the train split's :data:`FEATURE_COLUMNS` only (no label), CSV without
                       header: what an endpoint receives, the Model Monitor baseline dataset
                       (default without ``--output_path``: ``baseline/`` beside the train split).

Label ``repeat_order``: 1 when the same customer orders again within ``--repeat_window_days``
(default 30) of this order, 0 when they do not, unknown (NULL; the order goes to the score set)
when that window reaches past the newest order in the data.

Files: every output gets ``ceil(rows / --rows_per_file)`` files (default 1,000,000 rows per
file; per month of the feature table, per source of the rejected rows), whatever
``spark.sql.shuffle.partitions`` is, and never an empty one: an output without rows has no data
file at all (SageMaker's XGBoost refuses empty CSV objects). The summary counts them.

Split: an order goes to validation when ``xxhash64(order_id, seed)`` falls in the first
``--validation_ratio`` (default 0.2) of the hash range: stable per order, independent of
partitioning and file order; ``--seed`` (default 42) changes it.
"""

from __future__ import annotations

import json
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from typing import Any

from pyspark import StorageLevel
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

LOG = logging.getLogger("ml_constructs.features")

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
REQUIRED_FIELDS = tuple(f for f in ORDER_FIELDS if f != "channel")
ADDRESS_FIELDS = ("street_number", "street_name", "zip_code")
CHANNELS = ("web", "store", "phone")
DEFAULT_CHANNEL = "web"
MAX_AMOUNT = 1_000_000.0
MAX_QUANTITY = 10_000
ZIP_PATTERN = "^[0-9A-Za-z -]{3,10}$"
FORMATS = ("json", "parquet", "csv")
CORRUPT = "_corrupt_record"

LABEL = "repeat_order"
# The XGBoost CSV columns after the label, in this order.
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
# The Parquet feature table, in this order (partition columns last).
FEATURE_TABLE_COLUMNS = (
    "order_id",
    "customer_id",
    "full_address",
    "street_number",
    "street_name",
    "zip_code",
    "channel",
    "ordered_at",
    *FEATURE_COLUMNS,
    LABEL,
    "order_year",
    "order_month",
)
SPLIT_BUCKETS = 1_000_000
SPLITS = ("train", "validation", "score")
# The most keys (addresses, zip codes) whose counts are broadcast to every task (about 50 MB).
BROADCAST_KEYS = 500_000
# Persisted frames are read several times: kept as deserialized column batches (PySpark's
# MEMORY_AND_DISK would serialize them and deserialize them again on every read).
CACHED = StorageLevel.MEMORY_AND_DISK_DESER
# Sources of order versions, from least to most authoritative.
PRIORITY_SALES, PRIORITY_DMS_LOAD, PRIORITY_DMS_CDC = 0, 1, 2

OUTPUT_DEFAULTS = {
    "features_path": "features/order_features/",
    "rejected_path": "rejected/",
    "train_path": "features/train/",
    "validation_path": "features/validation/",
    "score_path": "features/score/",
    "baseline_path": "features/baseline/",
}


class ArgumentError(ValueError):
    """A job argument is missing or invalid."""


@dataclass(frozen=True)
class Options:
    """The job arguments, typed and validated (see the module docstring)."""

    sales_path: str = ""
    sales_format: str = "json"
    orders_path: str = ""
    orders_format: str = "parquet"
    events_path: str = ""
    events_format: str = "json"
    events_key: str = "customer_id"
    events_type_field: str = "event_type"
    orders_commit_field: str = "dms_commit_ts"
    output_path: str = ""
    features_path: str = ""
    rejected_path: str = ""
    train_path: str = ""
    validation_path: str = ""
    score_path: str = ""
    baseline_path: str = ""
    validation_ratio: float = 0.2
    seed: int = 42
    repeat_window_days: int = 30
    rows_per_file: int = 1_000_000


def parse_args(argv: list[str]) -> Options:
    """Options from ``--name value`` / ``--name=value`` tokens; unknown names are ignored."""
    given: dict[str, str] = {}
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if not token.startswith("--"):
            continue  # a positional argument: not ours
        name, has_value, value = token[2:].partition("=")
        if not has_value:
            if index < len(argv) and not argv[index].startswith("--"):
                value = argv[index]
                index += 1
            else:
                value = "true"
        given[name.replace("-", "_")] = value.strip()

    values: dict[str, Any] = {}
    for option in fields(Options):
        if option.name not in given:
            continue
        raw = given[option.name]
        if option.type in ("int", int):
            values[option.name] = _number(option.name, raw, int)
        elif option.type in ("float", float):
            values[option.name] = _number(option.name, raw, float)
        else:
            values[option.name] = raw
    options = Options(**values)

    for name in ("sales_format", "orders_format", "events_format"):
        value = getattr(options, name).lower()
        if value not in FORMATS:
            raise ArgumentError(f"--{name}={value!r}: allowed: {', '.join(FORMATS)}")
        options = replace(options, **{name: value})
    if not 0.0 < options.validation_ratio < 1.0:
        raise ArgumentError(f"--validation_ratio={options.validation_ratio}: allowed: between 0 and 1")
    if not 1 <= options.repeat_window_days <= 3650:
        raise ArgumentError(f"--repeat_window_days={options.repeat_window_days}: allowed: 1..3650")
    if not 1 <= options.rows_per_file <= 1_000_000_000:
        raise ArgumentError(f"--rows_per_file={options.rows_per_file}: allowed: 1..1000000000")
    if not options.sales_path and not options.orders_path:
        raise ArgumentError("--sales_path or --orders_path: at least one order source is required")
    if not options.orders_commit_field or options.orders_commit_field in ORDER_FIELDS:
        raise ArgumentError(
            f"--orders_commit_field={options.orders_commit_field!r}: allowed: a column name other than "
            "the order fields"
        )
    if options.events_path and (not options.events_key or options.events_key == options.events_type_field):
        raise ArgumentError(
            f"--events_key={options.events_key!r}: allowed: a field name other than --events_type_field"
        )
    outputs: dict[str, Any] = {}
    for name, suffix in OUTPUT_DEFAULTS.items():
        value = getattr(options, name)
        if not value and name == "baseline_path" and not options.output_path and options.train_path:
            # Older argument lists name every split but this one: next to the train split.
            value = options.train_path.rstrip("/").rpartition("/")[0] + "/baseline/"
        if not value:
            if not options.output_path:
                raise ArgumentError(f"--{name}: required (or --output_path, a root for every output)")
            value = options.output_path.rstrip("/") + "/" + suffix
        outputs[name] = value
    if len(set(outputs.values())) != len(outputs):
        raise ArgumentError(
            f"output paths: allowed: {len(outputs)} different paths, got {sorted(outputs.values())}"
        )
    return replace(options, **outputs)


def _number(name: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise ArgumentError(f"--{name}={raw!r}: allowed: a number ({kind.__name__})") from None


# -- reading ----------------------------------------------------------------------------------
def _missing_input(error: AnalysisException) -> bool:
    text = str(error)
    return any(
        marker in text
        for marker in ("PATH_NOT_FOUND", "Path does not exist", "UNABLE_TO_INFER_SCHEMA", "Unable to infer")
    )


def _read(spark: SparkSession, path: str, fmt: str, wanted: tuple[str, ...]) -> DataFrame | None:
    """Read ``path`` as ``fmt``: the ``wanted`` columns as strings, the malformed line (JSON),
    the file name and a row number. ``None`` when there is nothing there yet."""
    reader = spark.read.option("recursiveFileLookup", "true")
    try:
        if fmt == "json":
            schema = T.StructType(
                [T.StructField(name, T.StringType()) for name in wanted]
                + [T.StructField(CORRUPT, T.StringType())]
            )
            frame = (
                reader.schema(schema)
                .option("mode", "PERMISSIVE")
                .option("columnNameOfCorruptRecord", CORRUPT)
                .json(path)
            )
        elif fmt == "csv":
            frame = reader.option("header", "true").csv(path)
        else:
            frame = reader.parquet(path)
    except AnalysisException as error:
        if _missing_input(error):
            LOG.warning("no input at %s yet: read as empty", path)
            return None
        raise
    present = set(frame.columns)
    corrupt = F.col(CORRUPT) if CORRUPT in present else F.lit(None).cast("string")
    columns = [
        (F.col(f"`{name}`").cast("string") if name in present else F.lit(None).cast("string")).alias(name)
        for name in wanted
    ]
    return frame.select(
        *columns,
        corrupt.alias("_corrupt"),
        F.col("_metadata.file_path").alias("_file"),
        F.monotonically_increasing_id().alias("_row"),
    )


def _empty(spark: SparkSession, wanted: tuple[str, ...]) -> DataFrame:
    strings = [T.StructField(n, T.StringType()) for n in wanted]
    schema = T.StructType(
        [
            *strings,
            T.StructField("_corrupt", T.StringType()),
            T.StructField("_file", T.StringType()),
            T.StructField("_row", T.LongType()),
        ]
    )
    return spark.createDataFrame([], schema)


def _original(names: tuple[str, ...]) -> Column:
    """The fields as read, kept for the rejected record (built after any shuffle: cheaper)."""
    return F.struct(*[F.col(f"`{n}`") for n in names])


def _record() -> Column:
    """The rejected record: the malformed line itself, or the row's fields as JSON."""
    return F.coalesce(F.col("_corrupt"), F.to_json(F.col("_original")))


def _text(column: str, *, collapse: bool = False) -> Column:
    """Trimmed text (inner whitespace runs collapsed to one space with ``collapse``); NULL when
    empty."""
    cleaned = F.trim(F.col(column))
    if collapse:
        cleaned = F.regexp_replace(cleaned, r"\s+", " ")
    return F.when(cleaned != "", cleaned)


def _try_cast(column: str, kind: str) -> Column:
    # try_cast behaves the same with and without ANSI mode (Spark 3.5 off, Spark 4 on).
    return F.expr(f"try_cast(`{column}` AS {kind})")


# -- orders -----------------------------------------------------------------------------------
def _order_versions(spark: SparkSession, options: Options) -> DataFrame:
    wanted = (*ORDER_FIELDS, "Op", options.orders_commit_field)
    parts = []
    for path, fmt, source in (
        (options.sales_path, options.sales_format, "sales"),
        (options.orders_path, options.orders_format, "orders"),
    ):
        if not path:
            continue
        frame = _read(spark, path, fmt, wanted)
        if frame is None:
            continue
        frame = frame.withColumnRenamed(options.orders_commit_field, "_commit")
        file_name = _file_name()
        if source == "sales":
            priority = F.lit(PRIORITY_SALES)
        else:
            priority = F.when(file_name.startswith("LOAD"), PRIORITY_DMS_LOAD).otherwise(PRIORITY_DMS_CDC)
        parts.append(frame.withColumn("_source", F.lit(source)).withColumn("_priority", priority))
    if not parts:
        empty = _empty(spark, wanted).withColumnRenamed(options.orders_commit_field, "_commit")
        parts.append(
            empty.withColumn("_source", F.lit("sales")).withColumn("_priority", F.lit(PRIORITY_SALES))
        )
    versions = parts[0]
    for part in parts[1:]:
        versions = versions.unionByName(part)
    return versions


def _file_name() -> Column:
    return F.regexp_extract(F.col("_file"), r"([^/]+)$", 1)


def _checked_orders(versions: DataFrame) -> DataFrame:
    """Every order version with typed columns and ``reason`` (NULL for the clean winners)."""
    latest_first = Window.partitionBy("_key").orderBy(
        F.col("_priority").desc(),
        F.col("_commit").desc_nulls_last(),
        _file_name().desc(),  # a sort key, not a column the shuffle carries
        F.col("_row").desc(),
    )
    frame = (
        versions.withColumn("_key", _text("order_id"))
        .withColumn("_commit", _try_cast("_commit", "timestamp"))
        .withColumn("_version", F.row_number().over(latest_first))
        .withColumn("_original", _original((*ORDER_FIELDS, "Op")))
    )
    # One projection per step (withColumns), not one per column: smaller plans, faster planning.
    frame = frame.withColumns({name: _text(name, collapse=name in ADDRESS_FIELDS) for name in ORDER_FIELDS})
    frame = frame.withColumns(
        {
            "channel": F.lower(F.coalesce(F.col("channel"), F.lit(DEFAULT_CHANNEL))),
            "_op": F.upper(F.trim(F.col("Op"))),
            "_amount": _try_cast("amount", "double"),
            "_quantity": _try_cast("quantity", "double"),
            "_ordered_at": _try_cast("ordered_at", "timestamp"),
        }
    )

    amount, quantity = F.col("_amount"), F.col("_quantity")
    problems = [F.when(F.col(name).isNull(), F.lit(f"missing {name}")) for name in REQUIRED_FIELDS[1:]]
    problems += [
        F.when(F.col("amount").isNotNull() & amount.isNull(), F.lit("amount is not a number")),
        F.when(
            amount.isNotNull() & (F.isnan(amount) | (amount < 0) | (amount > MAX_AMOUNT)),
            F.lit(f"amount out of range 0..{MAX_AMOUNT:.0f}"),
        ),
        F.when(
            F.col("quantity").isNotNull() & (quantity.isNull() | F.isnan(quantity) | ((quantity % 1) != 0)),
            F.lit("quantity is not an integer"),
        ),
        F.when(
            quantity.isNotNull() & ~F.isnan(quantity) & ((quantity < 1) | (quantity > MAX_QUANTITY)),
            F.lit(f"quantity out of range 1..{MAX_QUANTITY}"),
        ),
        F.when(
            F.col("ordered_at").isNotNull() & F.col("_ordered_at").isNull(),
            F.lit("ordered_at is not a timestamp"),
        ),
        F.when(
            F.col("zip_code").isNotNull() & ~F.col("zip_code").rlike(ZIP_PATTERN),
            F.lit("zip_code does not match [0-9A-Za-z -]{3,10}"),
        ),
        F.when(~F.col("channel").isin(*CHANNELS), F.lit("channel is not one of " + ", ".join(CHANNELS))),
    ]
    invalid = F.concat_ws("; ", *problems)
    reason = (
        F.when(F.col("_corrupt").isNotNull(), F.lit("malformed record"))
        .when(F.col("order_id").isNull(), F.lit("missing order_id"))
        .when(F.col("_version") > 1, F.lit("superseded by a later version of the same order_id"))
        .when(F.col("_op") == "D", F.lit("deleted at source (DMS Op=D)"))
        .when(invalid != "", invalid)
    )
    frame = frame.withColumn("reason", reason)
    # The rejected record and file, for rejected rows only: clean rows keep NULLs, not copies.
    rejected = F.col("reason").isNotNull()
    return frame.select(
        *ORDER_FIELDS,
        "_amount",
        "_quantity",
        "_ordered_at",
        "_source",
        F.when(rejected, F.col("_file")).alias("_file"),
        "reason",
        F.when(rejected, _record()).alias("record"),
    )


def _address() -> Column:
    """The talk's feature: street number, street name and zip code as one address string."""
    return F.concat_ws(" ", *[F.col(p) for p in ADDRESS_FIELDS])


def _order_features(
    clean: DataFrame, options: Options, newest_seconds: int, distinct_addresses: int, distinct_zips: int
) -> DataFrame:
    """The order features in one shuffle of the wide frame, by customer (the event aggregates
    then join on the same partitioning); address and zip code counts come from small broadcast
    aggregates (windows, two more shuffles, past :data:`BROADCAST_KEYS` keys)."""
    frame = clean.select(
        "order_id",
        "customer_id",
        "street_number",
        "street_name",
        "zip_code",
        "channel",
        F.col("_ordered_at").alias("ordered_at"),
        F.col("_amount").alias("amount"),
        F.col("_quantity").cast("int").alias("quantity"),
    ).withColumn("full_address", _address())

    # Per address and per zip code: a small aggregate of the persisted clean orders, broadcast,
    # where there are few enough keys (no shuffle of this frame); else a window.
    address = F.lower("full_address")
    if distinct_addresses <= BROADCAST_KEYS:
        addresses = clean.groupBy(F.lower(_address()).alias("_address")).agg(
            # a set per address (its few customers) in one aggregation, not count_distinct's two
            F.size(F.collect_set("customer_id")).alias("address_customers")
        )
        frame = (
            frame.withColumn("_address", address)
            .join(F.broadcast(addresses), "_address", "left")
            .drop("_address")
        )
    else:
        # the highest dense rank of a customer in the address = its distinct customers, without
        # size(collect_set(...))'s set per row
        ranked = Window.partitionBy(address).orderBy("customer_id")
        frame = (
            frame.withColumn("_rank", F.dense_rank().over(ranked))
            .withColumn("address_customers", F.max("_rank").over(Window.partitionBy(address)))
            .drop("_rank")
        )
    zip_code = F.upper("zip_code")
    if distinct_zips <= BROADCAST_KEYS:
        zips = clean.groupBy(zip_code.alias("_zip")).agg(F.count("*").alias("zip_orders"))
        frame = frame.withColumn("_zip", zip_code).join(F.broadcast(zips), "_zip", "left").drop("_zip")
    else:
        frame = frame.withColumn("zip_orders", F.count("*").over(Window.partitionBy(zip_code)))
    frame = frame.withColumn("address_customers", F.col("address_customers").cast("long"))

    history = Window.partitionBy("customer_id").orderBy("ordered_at", "order_id")
    before = history.rowsBetween(Window.unboundedPreceding, -1)
    seconds = F.expr("unix_seconds(ordered_at)")
    previous = F.lag("ordered_at").over(history)
    following = F.lead("ordered_at").over(history)
    window_seconds = options.repeat_window_days * 86400
    next_gap = F.expr("unix_seconds(_next_ordered_at)") - seconds
    window_fits = seconds + window_seconds <= F.lit(newest_seconds)  # the window is fully observed
    frame = frame.withColumns(
        {
            "customer_prior_orders": F.row_number().over(history) - 1,
            "customer_prior_amount_avg": F.round(F.coalesce(F.avg("amount").over(before), F.lit(0.0)), 4),
            "_previous_ordered_at": previous,
            "_next_ordered_at": following,
        }
    ).withColumns(
        {
            "days_since_prior_order": F.coalesce(
                F.round((seconds - F.expr("unix_seconds(_previous_ordered_at)")) / 86400.0, 3), F.lit(-1.0)
            ),
            LABEL: F.when(F.col("_next_ordered_at").isNotNull() & (next_gap <= window_seconds), 1)
            .when(F.col("_next_ordered_at").isNotNull() | window_fits, 0)
            .cast("int"),
        }
    )
    return frame.withColumns(
        {
            **{f"channel_{channel}": (F.col("channel") == channel).cast("int") for channel in CHANNELS},
            "unit_price": F.round(F.col("amount") / F.col("quantity"), 4),
            "order_hour": F.hour("ordered_at"),
            "order_dow": F.dayofweek("ordered_at"),
            "order_year": F.year("ordered_at"),
            "order_month": F.month("ordered_at"),
        }
    )


# -- events -----------------------------------------------------------------------------------
def _events(spark: SparkSession, options: Options) -> tuple[DataFrame | None, DataFrame | None]:
    """Per-customer event aggregates and rejected events (``None`` when there are no events)."""
    if not options.events_path:
        return None, None
    key, kind = options.events_key, options.events_type_field
    frame = _read(spark, options.events_path, options.events_format, (key, kind))
    if frame is None:
        return None, None
    frame = (
        frame.withColumn("_original", _original((key, kind)))
        .withColumn("_key", _text(key))
        .withColumn("_kind", _text(kind))
    )
    reason = F.when(F.col("_corrupt").isNotNull(), F.lit("malformed record")).when(
        F.col("_key").isNull(), F.lit(f"missing {key}")
    )
    frame = frame.withColumn("reason", reason)
    rejected = frame.where(F.col("reason").isNotNull()).select(
        F.lit("events").alias("source"), "reason", _record().alias("record"), F.col("_file").alias("file")
    )
    aggregates = (
        frame.where(F.col("reason").isNull())
        .groupBy(F.col("_key").alias("customer_id"))
        .agg(
            F.count("*").alias("customer_events"),
            # a set per customer (few event types) in one aggregation, not count_distinct's two
            F.size(F.collect_set("_kind")).alias("customer_event_types"),
        )
    )
    return aggregates, rejected


# -- the job ----------------------------------------------------------------------------------
def validation_flag(seed: int, ratio: float) -> Column:
    """True for the orders of the validation split: a hash of (order_id, seed), so the split of
    an order never depends on partitioning, file order or the other orders."""
    bucket = F.pmod(F.xxhash64(F.col("order_id"), F.lit(seed)), F.lit(SPLIT_BUCKETS))
    return bucket < F.lit(int(round(ratio * SPLIT_BUCKETS)))


def run(spark: SparkSession, options: Options) -> dict[str, Any]:
    """Build features, splits and rejected rows; return a summary of what was written."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    checked = _checked_orders(_order_versions(spark, options)).persist(CACHED)
    clean = checked.where(F.col("reason").isNull())
    newest = clean.agg(
        F.max(F.expr("unix_seconds(_ordered_at)")).alias("seconds"),
        F.date_format(F.max("_ordered_at"), "yyyy-MM-dd'T'HH:mm:ss'Z'").alias("text"),
        F.approx_count_distinct(F.lower(_address())).alias("addresses"),
        F.approx_count_distinct(F.upper("zip_code")).alias("zips"),
    ).first()
    assert newest is not None  # an aggregate without grouping always has one row
    LOG.info(
        "orders read, validated and de-duplicated (newest order %s, about %d addresses, %d zip codes)",
        newest["text"],
        newest["addresses"],
        newest["zips"],
    )
    features = _order_features(clean, options, newest["seconds"] or 0, newest["addresses"], newest["zips"])

    event_aggregates, rejected_events = _events(spark, options)
    if event_aggregates is not None:
        features = features.join(event_aggregates, "customer_id", "left")
    else:
        features = features.withColumn("customer_events", F.lit(None).cast("long")).withColumn(
            "customer_event_types", F.lit(None).cast("long")
        )
    features = (
        features.withColumn("customer_events", F.coalesce(F.col("customer_events"), F.lit(0)).cast("long"))
        .withColumn("customer_event_types", F.coalesce(F.col("customer_event_types"), F.lit(0)).cast("long"))
        .select(*FEATURE_TABLE_COLUMNS)
        .persist(CACHED)
    )

    rejected = checked.where(F.col("reason").isNotNull()).select(
        F.col("_source").alias("source"), "reason", "record", F.col("_file").alias("file")
    )
    if rejected_events is not None:
        rejected = rejected.unionByName(rejected_events)
    rejected = rejected.persist(CACHED)

    # Count first: the counts size every output's files and make the summary.
    in_validation = validation_flag(options.seed, options.validation_ratio)
    labeled_flag = F.col(LABEL).isNotNull()
    months = (
        features.groupBy("order_year", "order_month")
        .agg(
            F.count("*").alias("features"),
            F.sum((labeled_flag & ~in_validation).cast("long")).alias("train"),
            F.sum((labeled_flag & in_validation).cast("long")).alias("validation"),
            F.sum((~labeled_flag).cast("long")).alias("score"),
        )
        .collect()
    )
    counts = {name: sum(int(row[name] or 0) for row in months) for name in ("features", *SPLITS)}
    LOG.info("features computed: %s", counts)
    reason_rows = rejected.groupBy("source", "reason").count().collect()
    by_source: dict[tuple[Any, ...], int] = {}
    for row in reason_rows:
        by_source[(row["source"],)] = by_source.get((row["source"],), 0) + row["count"]

    per_file = options.rows_per_file
    csv_columns = [F.col(LABEL), *[F.col(c) for c in FEATURE_COLUMNS]]
    labeled = features.where(labeled_flag)
    splits = {
        "train": labeled.where(~in_validation).select(*csv_columns),
        "validation": labeled.where(in_validation).select(*csv_columns),
        "score": features.where(~labeled_flag).select("order_id", *FEATURE_COLUMNS),
        # The Model Monitor baseline: what the endpoint receives (features, no label).
        "baseline": labeled.where(~in_validation).select(*FEATURE_COLUMNS),
    }
    month_rows = {(row["order_year"], row["order_month"]): row["features"] for row in months}
    writes = [
        (
            "features_path",
            _spread(features, ("order_year", "order_month"), month_rows, per_file, F.xxhash64("order_id"))
            .write.mode("overwrite")
            .partitionBy("order_year", "order_month")
            .format("parquet"),
        ),
        (
            "rejected_path",
            _spread(rejected, ("source",), by_source, per_file, F.xxhash64("file", "record"))
            .write.mode("overwrite")
            .partitionBy("source")
            .format("json"),
        ),
    ]
    for name, frame in splits.items():
        spread = _files(
            frame, counts["train" if name == "baseline" else name], per_file, F.xxhash64(*frame.columns)
        )
        writes.append(
            (f"{name}_path", spread.write.mode("overwrite").option("header", "false").format("csv"))
        )

    def write(name: str, writer: Any) -> int:
        path = getattr(options, name)
        writer.save(path)
        count = _drop_empty_files(spark, path)
        LOG.info("%s: %d data files at %s", name, count, path)
        return count

    # The writes run as concurrent jobs: a one-file output is one task, and the others'
    # tasks keep the remaining cores busy meanwhile.
    with ThreadPoolExecutor(max_workers=len(writes)) as pool:
        running = {name: pool.submit(write, name, writer) for name, writer in writes}
        files = {name: future.result() for name, future in running.items()}

    reasons = {f"{row['source']}: {row['reason']}": row["count"] for row in reason_rows}
    summary = {
        **counts,
        "rejected": sum(reasons.values()),
        "rejected_by_reason": dict(sorted(reasons.items())),
        "newest_order": newest["text"],
        "outputs": {name: getattr(options, name) for name in OUTPUT_DEFAULTS},
        "files": files,
    }
    for frame in (rejected, features, checked):
        frame.unpersist()
    return summary


# -- writing ----------------------------------------------------------------------------------
def _file_count(rows: int, rows_per_file: int) -> int:
    return max(1, -(-rows // rows_per_file))


def _spread(
    frame: DataFrame,
    keys: tuple[str, ...],
    rows_by_group: dict[tuple[Any, ...], int],
    rows_per_file: int,
    spread_by: Column,
) -> DataFrame:
    """``frame`` shuffled for a write partitioned by ``keys``: each group of ``keys`` lands in
    ``ceil(rows / rows_per_file)`` buckets (by ``spread_by``, a hash), each bucket in one task,
    so the group gets that many files however many shuffle partitions there are (one task for
    all when everything fits in one file). A partitioned write opens a file only for rows it
    gets: no empty files."""
    if sum(rows_by_group.values()) <= rows_per_file:
        return frame.coalesce(1)  # every group fits in one file: one task, no shuffle
    files = {group: _file_count(rows, rows_per_file) for group, rows in rows_by_group.items()}
    split = {group: count for group, count in files.items() if count > 1}
    bucket = F.lit(0)
    if split:
        group_key = F.concat_ws("|", *[F.col(k).cast("string") for k in keys])
        lookup = F.create_map(
            *[c for group, count in split.items() for c in (F.lit("|".join(map(str, group))), F.lit(count))]
        )
        bucket = F.pmod(spread_by, F.coalesce(lookup[group_key], F.lit(1)))
    return frame.repartition(sum(files.values()) or 1, *[F.col(k) for k in keys], bucket)


def _files(frame: DataFrame, rows: int, rows_per_file: int, spread_by: Column) -> DataFrame:
    """``frame`` in ``ceil(rows / rows_per_file)`` partitions, one file each: one partition
    without a shuffle when it fits in one file, else hash buckets of ``spread_by``."""
    count = _file_count(rows, rows_per_file)
    return frame.coalesce(1) if count == 1 else frame.repartition(count, spread_by)


def _drop_empty_files(spark: SparkSession, path: str) -> int:
    """Delete 0-byte data files under ``path`` (Spark writes one for an output without rows; the
    built-in XGBoost container refuses them) and return how many data files remain."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    folder = jvm.org.apache.hadoop.fs.Path(path)
    fs = folder.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not fs.exists(folder):
        return 0
    remaining = 0
    found = fs.listFiles(folder, True)
    empty = []
    while found.hasNext():
        status = found.next()
        name = status.getPath().getName()
        if name.startswith(("_", ".")):
            continue  # _SUCCESS, checksums: not data
        if status.getLen() == 0:
            empty.append(status.getPath())
        else:
            remaining += 1
    for file in empty:
        fs.delete(file, False)
    return remaining


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        options = parse_args(sys.argv[1:] if argv is None else argv)
    except ArgumentError as error:
        print(f"features: invalid job argument {error}", file=sys.stderr)
        return 2
    spark = SparkSession.builder.appName("ml-constructs-features").getOrCreate()
    summary = run(spark, options)
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    code = main()
    if code:  # Glue reports a plain sys.exit(0) as an error: exit only on failure
        sys.exit(code)
