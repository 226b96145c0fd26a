"""Benchmark: the feature script in local Spark, as deployed, against a single-machine floor.

For each size N (default 1e5 and 1e6 orders) it generates, with Spark itself, a lake shaped
like the real one: 90% of the orders as sales JSON lines, 10% as a DMS Parquet table (full
load with ``Op`` and ``dms_commit_ts``), 1% of them invalid (a bad zip code), and N gzipped
click-stream events. Then it runs, on the same data:

* Spark: ``ml_constructs/runtime/spark/features.py`` with exactly the Spark settings and
  script arguments the reference stack deploys (synthesized here: the Glue job's
  ``DefaultArguments`` ``--conf`` and arguments, or with ``--job emr`` the EMR Serverless
  job's ``sparkSubmitParameters``), not a bench default;
* the floor: ``bench/features_floor.py``, the same computation in DuckDB on ``--threads``
  threads;

compares their outputs (counts of every output, the feature values of a sample of orders)
and prints, side by side, rows/s, data files per output (and 0-byte ones) and the ratio.

A warm-up run on 1,000 rows goes first, so JVM start-up and JIT warm-up are not charged to
the first size. Everything runs in one local SparkSession (``--master``, default
``local[2]``), as on a 2-core machine; on Glue or EMR Serverless the same script scales out.

    .venv/bin/python bench/spark_features.py [--rows 100000 1000000] [--job glue|emr]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# Import the script the way Glue and EMR Serverless run it: a top-level module (no CDK import).
sys.path.insert(0, str(ROOT / "ml_constructs" / "runtime" / "spark"))

import features  # noqa: E402
from features_floor import compare_outputs, run_floor  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

OUTPUTS = ("features_path", "rejected_path", "train_path", "validation_path", "score_path")
SCRIPT_SETTINGS = ("--validation_ratio", "--seed", "--repeat_window_days", "--events_key", "--rows_per_file")


def deployed(job: str) -> tuple[dict[str, str], list[str]]:
    """The Spark settings and the script's non-path arguments of the reference stack's feature
    job (``glue``: from the synthesized template; ``emr``: from the job-run request)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from aws_cdk import App, Stack

    from ml_constructs.process.spark_job_parts import parse_conf_parameters
    from stacks.app import build_app

    app = build_app(App(), nag=False)
    (stack,) = [c for c in app.node.children if isinstance(c, Stack)]
    if job == "glue":
        template = app.synth().get_stack_by_name(stack.stack_name).template
        (props,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Job"]
        arguments = props["DefaultArguments"]
        conf = parse_conf_parameters(arguments["--conf"])
    else:
        request = stack.features_on_emr.job_run_request()["JobDriver"]["SparkSubmit"]
        conf = parse_conf_parameters(request["SparkSubmitParameters"])
        pairs = request["EntryPointArguments"]
        arguments = dict(zip(pairs[::2], pairs[1::2], strict=True))
    script = [f"{k}={v}" for k, v in arguments.items() if k in SCRIPT_SETTINGS]
    return conf, script


STREETS = ["Main Street", "Oak Avenue", "Pine Road", "Elm Street", "Lake Drive"]
START_SECONDS = 1_704_067_200  # 2024-01-01T00:00:00Z


def generate(spark: SparkSession, root: Path, rows: int, seed: int = 1) -> dict[str, str]:
    """Write sales JSON lines, a DMS Parquet table and gzipped events for ``rows`` orders."""
    customers = max(rows // 5, 10)
    base = spark.range(rows).withColumn("r", F.rand(seed))
    orders = base.select(
        F.concat(F.lit("o"), F.col("id")).alias("order_id"),
        F.concat(F.lit("c"), (F.col("id") * 7919) % customers).alias("customer_id"),
        ((F.col("id") % 200) + 1).cast("string").alias("street_number"),
        F.element_at(
            F.array(*[F.lit(s) for s in STREETS]), (F.col("id") % len(STREETS) + 1).cast("int")
        ).alias("street_name"),
        F.when(F.col("id") % 100 == 0, F.lit("!!"))
        .otherwise(F.lpad(((F.col("id") * 31) % 900 + 10000).cast("string"), 5, "0"))
        .alias("zip_code"),
        F.round(F.col("r") * 500 + 1, 2).alias("amount"),
        ((F.col("id") % 5) + 1).cast("int").alias("quantity"),
        F.element_at(
            F.array(F.lit("web"), F.lit("store"), F.lit("phone")), (F.col("id") % 3 + 1).cast("int")
        ).alias("channel"),
        F.timestamp_seconds(F.lit(START_SECONDS) + (F.col("r") * 365 * 86400).cast("long")).alias(
            "ordered_at"
        ),
        (F.col("id") % 10 == 0).alias("_dms"),
    )
    paths = {name: str(root / name) for name in ("sales", "orders", "events")}
    sales = orders.where(~F.col("_dms")).drop("_dms")
    sales.withColumn("ordered_at", F.date_format("ordered_at", "yyyy-MM-dd'T'HH:mm:ss'Z'")).write.json(
        paths["sales"]
    )
    dms = orders.where(F.col("_dms")).drop("_dms")
    dms.select(F.lit("I").alias("Op"), "*", F.current_timestamp().alias("dms_commit_ts")).write.parquet(
        paths["orders"]
    )
    spark.range(rows).select(
        F.concat(F.lit("c"), (F.col("id") * 104729) % customers).alias("customer_id"),
        F.element_at(
            F.array(F.lit("view"), F.lit("cart"), F.lit("search")), (F.col("id") % 3 + 1).cast("int")
        ).alias("event_type"),
    ).write.option("compression", "gzip").json(paths["events"])
    return paths


def data_files(folder: Path) -> tuple[int, int]:
    """(data files, 0-byte data files) under ``folder`` (not _SUCCESS, not checksums)."""
    files = [f for f in folder.rglob("*") if f.is_file() and not f.name.startswith(("_", "."))]
    return len(files), sum(1 for f in files if f.stat().st_size == 0)


def run_once(spark: SparkSession, root: Path, rows: int, script: list[str], threads: int) -> dict[str, Any]:
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    paths = generate(spark, root / "lake", rows)
    generated = time.perf_counter() - started
    options = features.parse_args(
        [
            f"--sales_path={paths['sales']}",
            f"--orders_path={paths['orders']}",
            f"--events_path={paths['events']}",
            f"--output_path={root / 'spark'}",
            *script,
        ]
    )
    started = time.perf_counter()
    summary = features.run(spark, options)
    spark_s = time.perf_counter() - started
    floor = run_floor(
        sales=paths["sales"],
        orders=paths["orders"],
        events=paths["events"],
        out=root / "floor",
        seed=options.seed,
        validation_ratio=options.validation_ratio,
        repeat_window_days=options.repeat_window_days,
        events_key=options.events_key,
        threads=threads,
    )
    files = {}
    for name in OUTPUTS:
        relative = Path(getattr(options, name)).relative_to(root / "spark")
        files[name] = {
            "spark": data_files(root / "spark" / relative),
            "floor": data_files(root / "floor" / relative),
        }
    return {
        "rows": rows,
        "generate_s": generated,
        "spark_s": spark_s,
        "floor_s": floor["run_s"],
        "summary": summary,
        "floor": floor,
        "files": files,
        "compared": compare_outputs(root / "spark", root / "floor"),
    }


def report(result: dict[str, Any]) -> list[str]:
    rows, s = result["rows"], result["summary"]
    ratio = result["spark_s"] / result["floor_s"]
    lines = [
        f"N={rows:,} (generate {result['generate_s']:.1f} s; features {s['features']:,}, rejected "
        f"{s['rejected']:,}, train {s['train']:,}, validation {s['validation']:,}, score {s['score']:,})",
        f"  {'':10} {'seconds':>8} {'rows/s':>10}   data files (0-byte): "
        + "  ".join(name.removesuffix("_path") for name in OUTPUTS),
    ]
    for side, seconds in (("spark", result["spark_s"]), ("floor", result["floor_s"])):
        files = "  ".join(
            f"{result['files'][n][side][0]}({result['files'][n][side][1]})".rjust(
                len(n.removesuffix("_path"))
            )
            for n in OUTPUTS
        )
        lines.append(f"  {side:10} {seconds:8.1f} {rows / seconds:>10,.0f}   {' ' * 20}{files}")
    compared = result["compared"]
    same = all(a == b for a, b in compared["counts"].values())
    lines.append(
        f"  spark / floor = {ratio:.1f}x; counts {'equal' if same else 'DIFFER'} "
        f"{ {k: v[0] for k, v in compared['counts'].items()} if same else compared['counts'] }; "
        f"{compared['sampled']} sampled orders, {len(compared['mismatches'])} feature mismatches"
    )
    lines += [f"    {m}" for m in compared["mismatches"][:10]]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--job", choices=["glue", "emr"], default="glue", help="whose deployed settings")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads of the floor")
    parser.add_argument("--driver-memory", default="3g")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and outputs")
    args = parser.parse_args()

    conf, script = deployed(args.job)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(args.master)
        .appName("bench-features")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", args.driver_memory)
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    scratch = Path(tempfile.mkdtemp(prefix="bench-features-"))
    print(f"spark {spark.version}, master {args.master}, {os.cpu_count()} CPUs, scratch {scratch}")
    print(f"deployed {args.job} settings: {conf}; script arguments {script}")
    try:
        warm = run_once(spark, scratch / "warmup", 1_000, script, args.threads)
        print(f"warm-up: 1,000 rows in {warm['spark_s']:.1f} s (JVM/JIT warm-up, not counted)")
        results = []
        for rows in args.rows:
            result = run_once(spark, scratch / f"n{rows}", rows, script, args.threads)
            results.append(result)
            print("\n".join(report(result)), flush=True)
            if not args.keep:
                shutil.rmtree(scratch / f"n{rows}", ignore_errors=True)
        for smaller, larger in zip(results, results[1:], strict=False):
            size = larger["rows"] / smaller["rows"]
            print(
                f"N x{size:g}: spark time x{larger['spark_s'] / smaller['spark_s']:.2f}, "
                f"floor time x{larger['floor_s'] / smaller['floor_s']:.2f} (linear would be x{size:g})"
            )
        print(
            json.dumps(
                [
                    {
                        "rows": r["rows"],
                        "spark_s": round(r["spark_s"], 2),
                        "floor_s": round(r["floor_s"], 2),
                        "ratio": round(r["spark_s"] / r["floor_s"], 2),
                        "spark_files": {
                            k.removesuffix("_path"): v["spark"][0] for k, v in r["files"].items()
                        },
                        "spark_empty_files": sum(v["spark"][1] for v in r["files"].values()),
                        "counts_equal": all(a == b for a, b in r["compared"]["counts"].values()),
                        "mismatches": len(r["compared"]["mismatches"]),
                    }
                    for r in results
                ]
            )
        )
    finally:
        spark.stop()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
