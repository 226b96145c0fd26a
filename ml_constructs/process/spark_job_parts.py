"""What GlueEtlJob and SparkServerlessJob share: lake paths, the feature script's layout, the
script asset and the least-privilege data grants of a Spark job role."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from ..core import check_choice, check_range, check_s3_prefix, invalid
from ..core.nag import acknowledge_wildcards
from ..store.data_lake import DataLake, Zone

FEATURES_SCRIPT = Path(__file__).resolve().parent.parent / "runtime" / "spark" / "features.py"
"""The built-in feature-engineering script (``ml_constructs/runtime/spark/features.py``)."""

SCRIPT_FORMATS = ("json", "parquet", "csv")

SHUFFLE_PARTITIONS_PER_VCPU = 2
"""Shuffle partitions per vCPU of the job's capacity: two tasks per core keep every core busy
while AQE merges the small ones (Spark's default of 200 ignores the capacity)."""
_SPARK_KEY = re.compile(r"^spark\.[A-Za-z0-9_.-]+$")
_SPARK_VALUE = re.compile(r"^[^\s'\"]{1,1000}$")


@dataclass(frozen=True)
class LakePath:
    """A key prefix in one zone of the data lake (``""``: the whole zone)."""

    zone: Zone
    prefix: str = ""

    def uri(self, lake: DataLake) -> str:
        return lake.s3_uri(self.zone, self.prefix)

    @property
    def grant_pattern(self) -> str:
        """The key pattern the grants use: the prefix without its trailing ``/``, so that the
        folder marker objects Spark's S3 committers write next to a folder are covered."""
        return self.prefix.rstrip("/")


@dataclass(frozen=True)
class FeatureLayout:
    """Where the built-in feature script reads and writes in the lake, and its settings.

    Inputs (``None`` turns a source off; at least one of sales/orders): ``sales`` = the rows
    :class:`~ml_constructs.ObjectTrigger` cleaned (JSON lines, processed ``sales/``); ``orders``
    = the orders table DMS replicates (Parquet, raw ``databases/orders/sales/orders/``: what
    ``DatabaseIngest(scope, "Orders", tables=TableSelection.include("sales", ...))`` writes for
    a table ``sales.orders``); ``events`` = stream records (JSON lines, gzip, raw ``streams/``:
    every ``StreamIngest``) keyed by ``events_key``. Outputs: the Parquet feature table
    (processed ``features/``), rejected rows with reasons (processed ``rejected/``), and the
    XGBoost CSVs (processed ``features/train|validation|score/``, where the reference stack's
    TrainingJob channels and BatchTransform read), and ``features/baseline/``: the train split's
    features without the label, the :class:`~ml_constructs.ModelMonitor` baseline dataset. The
    table gets its own folder so the crawler makes one table (``order_features``) of it.
    """

    sales: LakePath | None = LakePath(Zone.PROCESSED, "sales/")
    orders: LakePath | None = LakePath(Zone.RAW, "databases/orders/sales/orders/")
    events: LakePath | None = LakePath(Zone.RAW, "streams/")
    features: LakePath = LakePath(Zone.PROCESSED, "features/order_features/")
    rejected: LakePath = LakePath(Zone.PROCESSED, "rejected/")
    train: LakePath = LakePath(Zone.PROCESSED, "features/train/")
    validation: LakePath = LakePath(Zone.PROCESSED, "features/validation/")
    score: LakePath = LakePath(Zone.PROCESSED, "features/score/")
    baseline: LakePath = LakePath(Zone.PROCESSED, "features/baseline/")
    sales_format: str = "json"
    orders_format: str = "parquet"
    events_format: str = "json"
    events_key: str = "customer_id"
    validation_ratio: float = 0.2
    seed: int = 42
    repeat_window_days: int = 30

    @property
    def inputs(self) -> list[LakePath]:
        return [p for p in (self.sales, self.orders, self.events) if p is not None]

    @property
    def outputs(self) -> list[LakePath]:
        return [self.features, self.rejected, self.train, self.validation, self.score, self.baseline]

    def check(self, scope: Construct, argument: str = "layout") -> None:
        """Raise the library's error for anything the script would refuse at run time."""
        if self.sales is None and self.orders is None:
            raise invalid(scope, f"{argument}.sales/orders", None, "at least one order source")
        for name in (
            "sales",
            "orders",
            "events",
            "features",
            "rejected",
            "train",
            "validation",
            "score",
            "baseline",
        ):
            path = getattr(self, name)
            if path is None:
                continue
            if not isinstance(path, LakePath) or not isinstance(path.zone, Zone):
                raise invalid(scope, f"{argument}.{name}", path, "a LakePath(Zone, prefix)")
            if not path.prefix:
                raise invalid(scope, f"{argument}.{name}.prefix", path.prefix, "a non-empty key prefix")
            check_s3_prefix(scope, f"{argument}.{name}.prefix", path.prefix)
        for name in ("sales_format", "orders_format", "events_format"):
            check_choice(scope, f"{argument}.{name}", getattr(self, name), SCRIPT_FORMATS)
        if not 0 < self.validation_ratio < 1:
            raise invalid(scope, f"{argument}.validation_ratio", self.validation_ratio, "between 0 and 1")
        check_range(scope, f"{argument}.repeat_window_days", self.repeat_window_days, minimum=1, maximum=3650)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise invalid(scope, f"{argument}.seed", self.seed, "an integer")
        outputs = [(p.zone, p.prefix) for p in self.outputs]
        if len(set(outputs)) != len(outputs):
            raise invalid(scope, f"{argument} outputs", outputs, "six different places")
        for out in self.outputs:
            for source in self.inputs:
                if out.zone == source.zone and (
                    out.prefix.startswith(source.prefix) or source.prefix.startswith(out.prefix)
                ):
                    raise invalid(
                        scope,
                        f"{argument} output",
                        f"{out.zone.value}/{out.prefix}",
                        f"a prefix outside the input {source.zone.value}/{source.prefix} "
                        "(an overwrite would delete the input)",
                    )

    def arguments(self, lake: DataLake) -> dict[str, str]:
        """The script's job arguments (``--name``: value) for ``lake``."""
        args: dict[str, str] = {}
        for name in ("sales", "orders", "events"):
            path = getattr(self, name)
            if path is not None:
                args[f"--{name}_path"] = path.uri(lake)
                args[f"--{name}_format"] = getattr(self, f"{name}_format")
        for name in ("features", "rejected", "train", "validation", "score", "baseline"):
            args[f"--{name}_path"] = getattr(self, name).uri(lake)
        args["--events_key"] = self.events_key
        args["--validation_ratio"] = str(self.validation_ratio)
        args["--seed"] = str(self.seed)
        args["--repeat_window_days"] = str(self.repeat_window_days)
        return args


DEFAULT_LAYOUT = FeatureLayout()


def spark_conf(scope: Construct, *, vcpus: int, overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The Spark settings a job deploys with: shuffle partitions from its capacity
    (:data:`SHUFFLE_PARTITIONS_PER_VCPU` x ``vcpus``), adaptive query execution on (also for
    persisted plans), then ``overrides`` (``spark_conf=``) on top."""
    conf = {
        "spark.sql.shuffle.partitions": str(SHUFFLE_PARTITIONS_PER_VCPU * vcpus),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        # AQE also inside persisted plans (Spark keeps their partitioning by default): a frame
        # persisted after a shuffle is otherwise computed in all the shuffle partitions.
        "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
    }
    for key, value in (overrides or {}).items():
        if not isinstance(key, str) or not _SPARK_KEY.match(key):
            raise invalid(scope, "spark_conf", key, "keys of the form 'spark.name' (letters, digits, _.-)")
        if not isinstance(value, str) or not _SPARK_VALUE.match(value):
            raise invalid(scope, f"spark_conf[{key!r}]", value, "a non-empty string without spaces or quotes")
        conf[key] = value
    return conf


def conf_parameters(conf: Mapping[str, str]) -> str:
    """``--conf k=v --conf k2=v2``: spark-submit's form (EMR Serverless ``sparkSubmitParameters``)."""
    return " ".join(f"--conf {key}={value}" for key, value in conf.items())


def parse_conf_parameters(text: str) -> dict[str, str]:
    """The settings in spark-submit ``--conf`` parameters or in Glue's ``--conf`` job argument
    (``k=v --conf k2=v2``); the last value of a key wins, as in spark-submit."""
    conf: dict[str, str] = {}
    tokens = text.split()
    for index, token in enumerate(tokens):
        if token == "--conf":
            continue
        if "=" in token and (index == 0 or tokens[index - 1] == "--conf"):
            key, _, value = token.partition("=")
            conf[key] = value
    return conf


def check_lake_paths(scope: Construct, argument: str, paths: Sequence[LakePath]) -> list[LakePath]:
    checked = []
    for path in paths:
        if not isinstance(path, LakePath) or not isinstance(path.zone, Zone):
            raise invalid(scope, argument, path, "LakePath(Zone, prefix) values")
        prefix = check_s3_prefix(scope, f"{argument}.prefix", path.prefix) or ""
        checked.append(LakePath(path.zone, prefix))
    return checked


def check_arguments(scope: Construct, arguments: Mapping[str, str] | None) -> dict[str, str]:
    result = dict(arguments or {})
    for key, value in result.items():
        if not isinstance(key, str) or not key.startswith("--") or len(key) < 3:
            raise invalid(scope, "arguments", key, "keys of the form '--name'")
        if not isinstance(value, str):
            raise invalid(scope, f"arguments[{key!r}]", value, "a string value")
    return result


def script_path(scope: Construct, script: str | Path) -> Path:
    path = Path(script)
    if path.suffix != ".py" or not path.is_file():
        raise invalid(scope, "script", str(script), "an existing .py file (a PySpark script)")
    return path.resolve()


def script_asset(scope: Construct, id: str, script: Path) -> s3_assets.Asset:
    """The script as a single-file asset in the CDK bootstrap bucket (deduplicated by hash)."""
    return s3_assets.Asset(scope, id, path=str(script))


def grant_script_read(asset: s3_assets.Asset, role: iam.IGrantable) -> None:
    """Read of exactly the script object (CDK's ``asset.grant_read`` opens the whole bootstrap
    bucket)."""
    asset.bucket.grant_read(role, asset.s3_object_key)


def grant_lake_paths(
    lake: DataLake, role: iam.IGrantable, *, reads: Iterable[LakePath], writes: Iterable[LakePath]
) -> None:
    """Read of ``reads``; read, write and delete of ``writes`` (Spark's overwrite deletes what it
    replaces and reads its own output while committing). KMS use of the lake key comes with it."""
    for path in reads:
        lake.grant_read(role, path.zone, path.grant_pattern)
    for path in writes:
        lake.grant_read_write(role, path.zone, path.grant_pattern)


S3_READ_ACTIONS = ("s3:GetObject*", "s3:GetBucket*", "s3:List*")
S3_WRITE_ACTIONS = ("s3:DeleteObject*", "s3:PutObject*", "s3:Abort*")
KMS_ACTIONS = ("kms:ReEncrypt*", "kms:GenerateDataKey*")


def acknowledge_spark_grants(
    role: iam.IRole,
    lake: DataLake,
    asset: s3_assets.Asset,
    *,
    reads: Sequence[LakePath],
    writes: Sequence[LakePath],
    purpose: str,
) -> None:
    """Acknowledge the IAM5 wildcards of :func:`grant_lake_paths` and :func:`grant_script_read`,
    one finding at a time."""
    resources = [lake.bucket(p.zone).arn_for_objects(f"{p.grant_pattern}*") for p in [*reads, *writes]]
    actions = [*S3_READ_ACTIONS, *KMS_ACTIONS]
    if writes:
        actions += S3_WRITE_ACTIONS
    described = ", ".join(
        [f"read {p.zone.value}/{p.prefix or '*'}" for p in reads]
        + [f"write {p.zone.value}/{p.prefix or '*'}" for p in writes]
    )
    acknowledge_wildcards(
        role,
        f"Object-level grants limited to data lake key prefixes ({described}) and the lake key: "
        f"{purpose}. Object keys under a prefix are not known in advance; Spark overwrites its "
        "outputs (delete + write) and reads the script object from the CDK asset bucket. The "
        "action families are CDK's standard object read/write grants and the KMS data-key "
        "operations SSE-KMS and client-side bookmark encryption use on the lake key.",
        actions=dict.fromkeys(actions),
        resources=dict.fromkeys(resources),
    )


def partition_arn(scope: Construct, service: str, resource: str) -> str:
    """``arn:<partition>:<service>:<region>:<account>:<resource>``."""
    stack = Stack.of(scope)
    return stack.format_arn(service=service, resource=resource)
