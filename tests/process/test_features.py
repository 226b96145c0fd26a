"""The feature script: arguments (no Spark) and runs in the session's local SparkSession."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ml_constructs.runtime.spark import features
from ml_constructs.runtime.spark.features import (
    FEATURE_COLUMNS,
    FEATURE_TABLE_COLUMNS,
    LABEL,
    ArgumentError,
    Options,
    parse_args,
    validation_flag,
)
from tests.process.conftest import ADDRESS_ORDER_ID, BAD_SALES, LakeData, write_lake

SEED, OTHER_SEED, RATIO = 42, 7, 0.25


# -- arguments (no Spark) ---------------------------------------------------------------------
def test_glue_style_arguments_with_glue_extras_are_tolerated():
    argv = [
        "--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_1", "--job-bookmark-option", "job-bookmark-enable",
        "--JOB_NAME", "features", "--TempDir", "s3://tmp/", "--enable-metrics", "true",
        "--sales_path", "s3://processed/sales/", "--orders_path", "s3://raw/dms/sales/orders/",
        "--output_path", "s3://processed/", "--validation_ratio", "0.1", "--seed", "7",
    ]  # fmt: skip
    options = parse_args(argv)
    assert options.sales_path == "s3://processed/sales/"
    assert options.orders_path == "s3://raw/dms/sales/orders/"
    assert (options.validation_ratio, options.seed, options.repeat_window_days) == (0.1, 7, 30)
    assert options.features_path == "s3://processed/features/order_features/"
    assert options.rejected_path == "s3://processed/rejected/"
    assert options.train_path == "s3://processed/features/train/"
    assert options.validation_path == "s3://processed/features/validation/"
    assert options.score_path == "s3://processed/features/score/"


def test_spark_submit_style_arguments():
    argv = [
        "features.py", "--sales_path=/data/sales", "--sales_format", "CSV", "--events_path", "",
        "--features_path", "/out/f", "--rejected_path", "/out/r", "--train_path", "/out/t",
        "--validation_path", "/out/v", "--score_path", "/out/s", "--verbose",
    ]  # fmt: skip
    options = parse_args(argv)
    assert options.sales_path == "/data/sales" and options.sales_format == "csv"
    assert options.events_path == "" and options.orders_path == ""
    assert options.features_path == "/out/f" and options.score_path == "/out/s"
    assert options.baseline_path == "/out/baseline/"  # beside the train split when not given


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--validation_ratio", "0"], "--validation_ratio=0.0: allowed: between 0 and 1"),
        (["--validation_ratio", "1.5"], "--validation_ratio=1.5: allowed: between 0 and 1"),
        (["--validation_ratio", "a fifth"], "--validation_ratio='a fifth': allowed: a number"),
        (["--seed", "1.5"], "--seed='1.5': allowed: a number \\(int\\)"),
        (["--repeat_window_days", "0"], "--repeat_window_days=0: allowed: 1..3650"),
        (["--sales_format", "xml"], "--sales_format='xml': allowed: json, parquet, csv"),
        (["--sales_path", ""], "--sales_path or --orders_path: at least one order source is required"),
        (["--output_path", ""], "--features_path: required \\(or --output_path"),
        (["--events_path", "/e", "--events_key", "k", "--events_type_field", "k"], "--events_key='k'"),
        (["--train_path", "/out/rejected/"], "output paths: allowed: 6 different paths"),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(argv, message):
    with pytest.raises(ArgumentError, match=message):
        parse_args(["--sales_path", "/in/sales", "--output_path", "/out", *argv])


def test_main_exits_2_on_a_bad_argument(capsys):
    assert features.main(["--sales_path", "/in", "--output_path", "/out", "--seed", "x"]) == 2
    assert "invalid job argument --seed='x'" in capsys.readouterr().err


# -- runs in a local SparkSession -------------------------------------------------------------
def _run(spark: Any, lake: LakeData, out: Path, **options: Any) -> dict[str, Any]:
    settings = {
        "sales_path": str(lake.sales),
        "orders_path": str(lake.orders),
        "events_path": str(lake.events),
        "output_path": str(out),
        "validation_ratio": RATIO,
        "seed": SEED,
        **options,
    }
    return features.run(spark, parse_args([f"--{k}={v}" for k, v in settings.items()]))


def _lines(folder: Path) -> list[str]:
    return sorted(line for part in folder.glob("part-*") for line in part.read_text().splitlines() if line)


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory) -> LakeData:
    return write_lake(spark, tmp_path_factory.mktemp("lake"))


@pytest.fixture(scope="module")
def first(spark, lake, tmp_path_factory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("first")
    summary = _run(spark, lake, out)
    table = spark.read.parquet(str(out / "features" / "order_features"))
    rejected = [
        {**json.loads(line), "source": part.parent.name.split("=", 1)[1]}
        for part in (out / "rejected").glob("source=*/part-*")
        for line in part.read_text().splitlines()
    ]
    return {
        "summary": summary,
        "out": out,
        "schema": {f.name: f.dataType.simpleString() for f in table.schema.fields},
        "rows": {row["order_id"]: row.asDict() for row in table.collect()},
        "rejected": rejected,
        "train": _lines(out / "features" / "train"),
        "validation": _lines(out / "features" / "validation"),
        "score": _lines(out / "features" / "score"),
    }


@pytest.mark.spark
def test_feature_table_schema(first):
    assert list(first["schema"]) == list(FEATURE_TABLE_COLUMNS)
    schema = first["schema"]
    assert schema["full_address"] == "string" and schema["channel"] == "string"
    assert schema["ordered_at"] == "timestamp"
    assert schema["amount"] == "double" and schema["quantity"] == "int"
    assert schema[LABEL] == "int" and schema["order_year"] == "int" and schema["order_month"] == "int"
    assert schema["customer_events"] == "bigint" and schema["address_customers"] == "bigint"
    assert sorted(p.name for p in (first["out"] / "features" / "order_features").iterdir() if p.is_dir())[
        0
    ].startswith("order_year=")


@pytest.mark.spark
def test_full_address_concatenates_number_street_and_zip(first):
    row = first["rows"][ADDRESS_ORDER_ID]
    assert row["full_address"] == "12 Main Street 98101"
    assert (row["street_number"], row["street_name"], row["zip_code"]) == ("12", "Main Street", "98101")
    others = [r for r in first["rows"].values() if r["order_id"] != ADDRESS_ORDER_ID]
    assert all(
        r["full_address"] == f"{r['street_number']} {r['street_name']} {r['zip_code']}" for r in others
    )


@pytest.mark.spark
def test_every_input_row_becomes_a_feature_row_or_a_rejected_row(first, lake):
    orders_rejected = [r for r in first["rejected"] if r["source"] in ("sales", "orders")]
    assert len(first["rows"]) + len(orders_rejected) == lake.sales_rows + lake.dms_rows
    assert set(first["rows"]) == set(lake.rows_by_id)
    assert first["summary"]["features"] == len(lake.rows_by_id)


@pytest.mark.spark
def test_rejected_rows_carry_their_reason_and_record(first):
    by_reason: dict[str, list[dict]] = {}
    for row in first["rejected"]:
        by_reason.setdefault(row["reason"], []).append(row)
        assert row["record"] and row["file"]
    for bad, reason in BAD_SALES:
        assert reason in by_reason, reason
        if isinstance(bad, dict) and bad["order_id"].strip():
            assert any(json.loads(r["record"])["order_id"] == bad["order_id"] for r in by_reason[reason])
    assert [r["record"] for r in by_reason["malformed record"] if r["source"] == "sales"] == [BAD_SALES[0][0]]
    superseded = by_reason["superseded by a later version of the same order_id"]
    assert sorted(json.loads(r["record"])["order_id"] for r in superseded) == ["d1", "d1", "d2", "o4"]
    (deleted,) = by_reason["deleted at source (DMS Op=D)"]
    assert json.loads(deleted["record"])["order_id"] == "d2" and deleted["source"] == "orders"
    events = sorted(r["reason"] for r in first["rejected"] if r["source"] == "events")
    assert events == ["malformed record", "missing customer_id"]


@pytest.mark.spark
def test_latest_version_of_an_order_wins(first):
    rows = first["rows"]
    assert rows["o4"]["amount"] == 77.5  # the later sales file
    assert rows["d1"]["amount"] == 999.0  # the latest committed DMS update (CDC) wins
    assert "d2" not in rows  # DMS delete
    assert "d-new" in rows  # DMS insert


@pytest.mark.spark
def test_label_and_history_features_match_a_plain_python_computation(first, lake):
    def seconds(row: dict) -> float:
        return datetime.fromisoformat(row["ordered_at"]).timestamp()

    newest = max(seconds(r) for r in lake.rows_by_id.values())
    window = 30 * 86400
    by_customer: dict[str, list[dict]] = {}
    for row in lake.rows_by_id.values():
        by_customer.setdefault(row["customer_id"], []).append(row)
    for orders in by_customer.values():
        orders.sort(key=lambda r: (seconds(r), r["order_id"]))
        for position, row in enumerate(orders):
            following = orders[position + 1] if position + 1 < len(orders) else None
            if following is not None and seconds(following) - seconds(row) <= window:
                label = 1
            elif following is not None or seconds(row) + window <= newest:
                label = 0
            else:
                label = None
            got = first["rows"][row["order_id"]]
            assert got[LABEL] == label, row["order_id"]
            assert got["customer_prior_orders"] == position
            assert got["channel_" + (row.get("channel") or "web")] == 1
    labels = [r[LABEL] for r in first["rows"].values()]
    assert labels.count(1) and labels.count(0) and labels.count(None)  # all three cases occur


@pytest.mark.spark
def test_address_and_zip_features_match_a_plain_python_computation(first):
    customers: dict[str, set[str]] = {}
    orders: dict[str, int] = {}
    for row in first["rows"].values():
        customers.setdefault(row["full_address"].lower(), set()).add(row["customer_id"])
        orders[row["zip_code"].upper()] = orders.get(row["zip_code"].upper(), 0) + 1
    for row in first["rows"].values():
        assert row["address_customers"] == len(customers[row["full_address"].lower()]), row["order_id"]
        assert row["zip_orders"] == orders[row["zip_code"].upper()], row["order_id"]
    assert first["rows"][ADDRESS_ORDER_ID]["address_customers"] == 2  # with addr-2, another customer


@pytest.mark.spark
def test_many_addresses_and_zip_codes_take_windows_with_the_same_result(
    spark, lake, first, monkeypatch, tmp_path
):
    monkeypatch.setattr(features, "BROADCAST_KEYS", 0)  # as if there were too many to broadcast
    summary = _run(spark, lake, tmp_path / "windows")
    table = spark.read.parquet(str(tmp_path / "windows" / "features" / "order_features"))
    assert {row["order_id"]: row.asDict() for row in table.collect()} == first["rows"]
    assert summary["train"] == first["summary"]["train"]


@pytest.mark.spark
def test_single_machine_floor_computes_the_same_outputs(first, lake, tmp_path):
    """bench/features_floor.py (DuckDB) on the same lake: same counts per output and reason,
    same feature values for every order: the bench's ratio compares the same work."""
    pytest.importorskip("duckdb")
    from bench.features_floor import compare_outputs, run_floor

    floor = run_floor(
        sales=str(lake.sales),
        orders=str(lake.orders),
        events=str(lake.events),
        out=tmp_path / "floor",
        seed=SEED,
        validation_ratio=RATIO,
    )
    summary = first["summary"]
    for name in ("features", "train", "validation", "score", "rejected", "rejected_by_reason"):
        assert floor[name] == summary[name], name
    compared = compare_outputs(first["out"], tmp_path / "floor", sample=len(first["rows"]))
    assert compared["sampled"] == len(first["rows"]) and compared["mismatches"] == []
    assert all(spark == duck for spark, duck in compared["counts"].values()), compared["counts"]
    score_ids = {line.split(",")[0] for line in _lines(tmp_path / "floor" / "features" / "score")}
    assert score_ids == {line.split(",")[0] for line in first["score"]}


@pytest.mark.spark
def test_stream_events_are_aggregated_per_customer(first, lake):
    for row in first["rows"].values():
        kinds = lake.events_by_customer.get(row["customer_id"], [])
        assert row["customer_events"] == len(kinds)
        assert row["customer_event_types"] == len(set(kinds))


@pytest.mark.spark
def test_xgboost_csv_layout_label_first_no_header(first):
    summary = first["summary"]
    assert len(first["train"]) == summary["train"] and len(first["validation"]) == summary["validation"]
    for line in first["train"] + first["validation"]:
        cells = line.split(",")
        assert len(cells) == 1 + len(FEATURE_COLUMNS)
        assert cells[0] in ("0", "1")
        assert all(re.fullmatch(r"-?\d+(\.\d+)?(E-?\d+)?", c) for c in cells), line
    labeled = [r for r in first["rows"].values() if r[LABEL] is not None]
    assert summary["train"] + summary["validation"] == len(labeled)
    unlabeled = {r["order_id"] for r in first["rows"].values() if r[LABEL] is None}
    assert {line.split(",")[0] for line in first["score"]} == unlabeled
    assert all(len(line.split(",")) == 1 + len(FEATURE_COLUMNS) for line in first["score"])


@pytest.mark.spark
def test_split_ratio_within_tolerance(first):
    summary = first["summary"]
    share = summary["validation"] / (summary["train"] + summary["validation"])
    assert abs(share - RATIO) < 0.05, share


@pytest.mark.spark
def test_same_seed_same_split_even_with_other_partitioning(spark, lake, first, tmp_path_factory):
    again = tmp_path_factory.mktemp("again")
    spark.conf.set("spark.sql.shuffle.partitions", "3")
    try:
        _run(spark, lake, again)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", "2")
    assert _lines(again / "features" / "train") == first["train"]
    assert _lines(again / "features" / "validation") == first["validation"]
    assert _lines(again / "features" / "score") == first["score"]


@pytest.mark.spark
def test_other_seed_other_split(spark, first):
    table = spark.read.parquet(str(first["out"] / "features" / "order_features")).where(
        f"{LABEL} IS NOT NULL"
    )
    flags = table.select(
        validation_flag(SEED, RATIO).alias("seed"), validation_flag(OTHER_SEED, RATIO).alias("other")
    ).collect()
    assert sum(row["seed"] for row in flags) == first["summary"]["validation"]
    assert sum(row["seed"] != row["other"] for row in flags) > len(flags) * RATIO
    other_share = sum(row["other"] for row in flags) / len(flags)
    assert abs(other_share - RATIO) < 0.05


@pytest.mark.spark
def test_main_with_missing_inputs_reads_them_as_empty(spark, lake, tmp_path, capsys):
    code = features.main(
        [
            "--JOB_NAME", "features", "--job-bookmark-option", "job-bookmark-disable",
            "--sales_path", str(lake.sales / "part-0.jsonl"),
            "--orders_path", str(tmp_path / "no-dms-yet"),
            "--events_path", str(tmp_path / "no-stream-yet"),
            "--output_path", str(tmp_path / "out"),
        ]
    )  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["features"] > 0 and summary["rejected"] == 0
    table = spark.read.parquet(str(tmp_path / "out" / "features" / "order_features"))
    assert table.where("customer_events != 0").count() == 0


def test_options_defaults_are_documented():
    doc = features.__doc__ or ""
    names = ("sales_path", "orders_path", "events_path", "validation_ratio", "seed", "repeat_window_days")
    for name in names:
        assert f"--{name}" in doc
    assert Options().validation_ratio == 0.2 and Options().seed == 42


# -- files: the deployed Spark configuration, bounded files, no empty parts -------------------
def _deployed_glue_conf() -> dict[str, str]:
    """The Spark settings GlueEtlJob deploys by default (as the reference stack uses it), read
    from the synthesized template."""
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from ml_constructs.process import GlueEtlJob
    from ml_constructs.process.spark_job_parts import parse_conf_parameters
    from ml_constructs.store import DataLake

    stack = Stack(App(), "Deployed")
    GlueEtlJob(stack, "Features", lake=DataLake(stack, "Lake"))
    (job,) = Template.from_stack(stack).find_resources("AWS::Glue::Job").values()
    return parse_conf_parameters(job["Properties"]["DefaultArguments"]["--conf"])


@pytest.fixture
def deployed_conf(spark):
    conf = _deployed_glue_conf()
    assert conf["spark.sql.shuffle.partitions"] == "16" and conf["spark.sql.adaptive.enabled"] == "true"
    before = {key: spark.conf.get(key, None) for key in conf}
    for key, value in conf.items():
        spark.conf.set(key, value)
    yield conf
    for key, value in before.items():
        if value is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, value)


def _data_files(folder: Path) -> dict[str, list[Path]]:
    """Data files (not _SUCCESS, not .crc) by the folder they are in, relative to ``folder``."""
    found: dict[str, list[Path]] = {}
    for file in folder.rglob("*"):
        if file.is_file() and not file.name.startswith(("_", ".")):
            found.setdefault(str(file.parent.relative_to(folder)), []).append(file)
    return found


OUTPUTS = {
    "features_path": "features/order_features",
    "rejected_path": "rejected",
    "train_path": "features/train",
    "validation_path": "features/validation",
    "score_path": "features/score",
    "baseline_path": "features/baseline",
}


@pytest.mark.spark
def test_deployed_configuration_writes_files_by_rows_not_by_partitions(
    spark, lake, first, deployed_conf, tmp_path
):
    summary = _run(spark, lake, tmp_path / "deployed")
    assert {k: v for k, v in summary.items() if k not in ("files", "outputs")} == {
        k: v for k, v in first["summary"].items() if k not in ("files", "outputs")
    }
    table = spark.read.parquet(str(tmp_path / "deployed" / "features" / "order_features"))
    assert {row["order_id"]: row.asDict() for row in table.collect()} == first["rows"]
    for name, folder in OUTPUTS.items():
        files = _data_files(tmp_path / "deployed" / folder)
        assert all(f.stat().st_size > 0 for group in files.values() for f in group), name
        # one file per month / per source / per CSV: the 16 shuffle partitions do not show
        assert all(len(group) == 1 for group in files.values()), (name, files)
        assert summary["files"][name] == sum(len(group) for group in files.values())
    assert summary["files"]["rejected_path"] == 3  # sales, orders, events
    assert summary["files"]["train_path"] == summary["files"]["score_path"] == 1
    # The Model Monitor baseline: the train split's rows without the label (first column).
    train = sorted(_lines(tmp_path / "deployed" / "features" / "train"))
    baseline = sorted(_lines(tmp_path / "deployed" / "features" / "baseline"))
    assert baseline == sorted(line.split(",", 1)[1] for line in train) and baseline
    months = {(r["ordered_at"].year, r["ordered_at"].month) for r in first["rows"].values()}
    assert summary["files"]["features_path"] == len(months)

    # Fewer rows per file: more files, as many as the rows need, same lines.
    per_file = 150
    summary = _run(spark, lake, tmp_path / "small", rows_per_file=per_file)
    for name in ("train", "validation", "score"):
        folder = tmp_path / "small" / "features" / name
        (parts,) = _data_files(folder).values()
        assert len(parts) == -(-summary[name] // per_file) == summary["files"][f"{name}_path"]
        assert all(len(p.read_text().splitlines()) <= per_file * 1.5 for p in parts)  # hash buckets
        assert _lines(folder) == first[name]
    assert summary["files"]["train_path"] > 1
    by_month: dict[str, int] = {}
    for row in first["rows"].values():
        key = f"order_year={row['order_year']}/order_month={row['order_month']}"
        by_month[key] = by_month.get(key, 0) + 1
    got = _data_files(tmp_path / "small" / "features" / "order_features")
    assert {k: len(v) for k, v in got.items()} == {k: -(-n // per_file) for k, n in by_month.items()}
    assert all(f.stat().st_size > 0 for group in got.values() for f in group)


@pytest.mark.spark
def test_tiny_data_and_empty_outputs_have_no_empty_files(spark, deployed_conf, tmp_path):
    """Two orders of one customer a day apart: one labeled (train or validation), one unknown
    (score), no rejected rows. No output gets a 0-byte file; an output without rows has no
    data file at all, also where an earlier run left one."""
    sales = tmp_path / "sales"
    sales.mkdir()
    rows = [
        {"order_id": "t1", "customer_id": "c1", "street_number": "1", "street_name": "Main Street",
         "zip_code": "98101", "amount": 10, "quantity": 1, "ordered_at": "2024-03-01T10:00:00Z"},
        {"order_id": "t2", "customer_id": "c1", "street_number": "1", "street_name": "Main Street",
         "zip_code": "98101", "amount": 12, "quantity": 2, "ordered_at": "2024-03-02T10:00:00Z"},
    ]  # fmt: skip
    (sales / "part-0.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out"
    stale = out / "features" / "validation" / "part-00000-old.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("1,2,3\n")
    summary = features.run(
        spark, parse_args([f"--sales_path={sales}", "--events_path=", f"--output_path={out}", "--seed=1"])
    )
    # t1: t2 follows within 30 days -> 1; t2: the window reaches past the newest order -> unknown
    assert (summary["features"], summary["score"], summary["train"] + summary["validation"]) == (2, 1, 1)
    assert summary["rejected"] == 0 and summary["files"]["rejected_path"] == 0
    for name, folder in OUTPUTS.items():
        files = [f for group in _data_files(out / folder).values() for f in group]
        assert all(f.stat().st_size > 0 for f in files), (name, files)
        assert len(files) == summary["files"][name]
    empty_split = "validation" if summary["train"] else "train"
    assert summary["files"][f"{empty_split}_path"] == 0 and not stale.exists()
    assert summary["files"]["score_path"] == 1 and summary["files"]["features_path"] == 1
