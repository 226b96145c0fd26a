"""SageMaker's built-in XGBoost algorithm, run with the ``xgboost`` package in this process.

What runs for real: reading the channels as the container does (CSV with the label in the
first column and no header, the delimiter guessed per file with ``csv.Sniffer``; LIBSVM;
Parquet with the label first), the hyperparameters as the container converts them, training
with ``xgboost.train`` on the ``train`` channel evaluated on ``train`` and ``validation``,
the model saved as ``xgboost-model`` in ``model.tar.gz``, the final value of every eval metric
per channel (``validation:auc``...), checkpoints (``xgboost-checkpoint.<round>``), and
predictions for ``text/csv`` / ``text/libsvm`` requests.

What differs: the container is XGBoost 1.7, this is the installed ``xgboost`` (3.x). XGBoost
3 rejects ``tree_method=gpu_hist``: it becomes ``tree_method=hist`` with ``device=cuda`` when a
GPU is usable here, else ``device=cpu`` (said in the job's log). Distributed training
(several instances), Pipe mode, RecordIO-protobuf and the ``csv_weights`` column are not
emulated. The objective is never changed.
"""

from __future__ import annotations

import csv
import io
import re
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import JobError

MODEL_FILE = "xgboost-model"
CHECKPOINT_PREFIX = "xgboost-checkpoint."
IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"sagemaker-xgboost:(?P<version>[\w.-]+)$"
)
UNSUPPORTED_IMAGE = (
    "cannot run this image locally: {uri} (the emulator runs the built-in XGBoost algorithm only; "
    "see docs/local_deploy.md)"
)

# Hyperparameters of the container, with the type it converts each string to.
_INT = {
    "num_round",
    "max_depth",
    "max_leaves",
    "max_bin",
    "num_class",
    "num_parallel_tree",
    "early_stopping_rounds",
    "seed",
    "verbosity",
    "nthread",
    "top_k",
    "csv_weights",
    "max_cat_to_onehot",
    "num_early_stopping_rounds",
    "_kfold",
    "_num_cv_round",
}
_FLOAT = {
    "eta",
    "learning_rate",
    "gamma",
    "min_split_loss",
    "min_child_weight",
    "max_delta_step",
    "subsample",
    "colsample_bytree",
    "colsample_bylevel",
    "colsample_bynode",
    "lambda",
    "reg_lambda",
    "alpha",
    "reg_alpha",
    "scale_pos_weight",
    "base_score",
    "sketch_eps",
    "tweedie_variance_power",
    "rate_drop",
    "skip_drop",
    "lambda_bias",
    "huber_slope",
    "aft_loss_distribution_scale",
}
_STRING = {
    "booster",
    "objective",
    "tree_method",
    "grow_policy",
    "sampling_method",
    "process_type",
    "updater",
    "refresh_leaf",
    "sample_type",
    "normalize_type",
    "feature_selector",
    "predictor",
    "single_precision_histogram",
    "deterministic_histogram",
    "one_drop",
    "device",
    "interaction_constraints",
    "monotone_constraints",
    "aft_loss_distribution",
    "multi_strategy",
    "save_model_on_termination",
    "dsplit",
    "prob_buffer_row",
    "_tuning_objective_metric",
    "use_dask_gpu_training",
    "disable_default_eval_metric",
}
# Container-only settings, not passed to xgboost.train's params.
_CONTAINER_ONLY = {
    "num_round",
    "early_stopping_rounds",
    "csv_weights",
    "save_model_on_termination",
    "_tuning_objective_metric",
    "_kfold",
    "_num_cv_round",
    "use_dask_gpu_training",
    "num_early_stopping_rounds",
    "dsplit",
    "prob_buffer_row",
    "updater",
    "predictor",
    "single_precision_histogram",
    "deterministic_histogram",
}
CHANNELS = ("train", "validation")


def is_built_in_xgboost(image: str | None) -> bool:
    """Whether ``image`` is SageMaker's built-in XGBoost (any region's ``sagemaker-xgboost``)."""
    return bool(image) and IMAGE.match(str(image)) is not None


@dataclass
class Settings:
    """The container's reading of the hyperparameters."""

    params: dict[str, Any]
    num_round: int
    early_stopping_rounds: int | None = None
    notes: list[str] = field(default_factory=list)
    custom_metrics: list[str] = field(default_factory=list)


def gpu_usable() -> tuple[bool, str]:
    """``(True, why)`` when xgboost here can train on a CUDA device, else ``(False, why)``."""
    try:
        import xgboost

        info = xgboost.build_info()
    except Exception as error:  # noqa: BLE001
        return False, f"xgboost is not importable: {error}"
    if not info.get("USE_CUDA"):
        return False, "the installed xgboost is built without CUDA (xgboost-cpu)"
    if not any(Path("/dev").glob("nvidia[0-9]*")):
        return False, "no NVIDIA device on this machine"
    return True, "xgboost is built with CUDA and an NVIDIA device is present"


def _convert(name: str, raw: Any) -> Any:
    text = str(raw).strip()
    try:
        if name in _INT:
            return int(float(text)) if re.fullmatch(r"-?\d+(\.0*)?", text) else int(text)
        if name in _FLOAT:
            return float(text)
    except ValueError:
        kind = "an integer" if name in _INT else "a number"
        raise JobError(f"ClientError: Hyperparameter {name}: value {text!r} is not {kind}") from None
    return text


def parse_hyperparameters(
    hyperparameters: dict[str, str] | None, *, gpu: tuple[bool, str] | None = None
) -> Settings:
    """The hyperparameters (strings, as SageMaker passes them) as the container reads them."""
    given = dict(hyperparameters or {})
    if "num_round" not in given:
        raise JobError("ClientError: Missing required hyperparameter: num_round")
    unknown = sorted(k for k in given if k not in _INT | _FLOAT | _STRING | {"eval_metric"})
    if unknown:
        raise JobError(f"ClientError: Extraneous hyperparameter found: {', '.join(unknown)}")
    values = {name: _convert(name, raw) for name, raw in given.items() if name != "eval_metric"}
    num_round = values["num_round"]
    if num_round < 1:
        raise JobError("ClientError: Hyperparameter num_round: value must be at least 1")
    params = {k: v for k, v in values.items() if k not in _CONTAINER_ONLY}
    params.setdefault("objective", "reg:squarederror")
    metrics = [m.strip() for m in str(given.get("eval_metric", "")).split(",") if m.strip()]
    tuning_metric = values.get("_tuning_objective_metric")
    if tuning_metric:
        # The container evaluates the tuning objective even when eval_metric omits it.
        metric = str(tuning_metric).split(":", 1)[-1]
        if metric not in metrics:
            metrics.append(metric)
    custom = [m for m in metrics if m in CUSTOM_METRICS]
    built_in = [m for m in metrics if m not in CUSTOM_METRICS]
    if built_in:
        params["eval_metric"] = built_in
    notes: list[str] = []
    wants_gpu = params.get("tree_method") == "gpu_hist" or str(params.get("device", "")).startswith("cuda")
    if params.get("tree_method") == "gpu_hist":
        params["tree_method"] = "hist"
        notes.append("tree_method=gpu_hist: xgboost 3 has no gpu_hist; training with tree_method=hist")
    if wants_gpu:
        usable, why = gpu if gpu is not None else gpu_usable()
        params["device"] = "cuda" if usable else "cpu"
        notes.append(f"GPU requested: training on {'a GPU (device=cuda)' if usable else 'the CPU'}: {why}")
    early = values.get("early_stopping_rounds")
    return Settings(
        params=params, num_round=num_round, early_stopping_rounds=early, notes=notes, custom_metrics=custom
    )


def _classes(predictions: Any) -> Any:
    import numpy as np

    if predictions.ndim == 2:
        return np.argmax(predictions, axis=1)
    if predictions.size and (predictions.min() < 0 or predictions.max() > 1):
        return np.rint(predictions)  # multi:softmax gives classes already
    return (predictions > 0.5).astype(float)


def _f1(labels: Any, classes: Any, average_over: Any) -> float:
    import numpy as np

    scores = []
    for value in average_over:
        tp = float(np.sum((classes == value) & (labels == value)))
        fp = float(np.sum((classes == value) & (labels != value)))
        fn = float(np.sum((classes != value) & (labels == value)))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def _custom_metric(name: str, predictions: Any, labels: Any) -> float:
    import numpy as np

    if name == "mse":
        return float(np.mean((predictions - labels) ** 2))
    if name == "r2":
        total = float(np.sum((labels - labels.mean()) ** 2))
        return 1.0 - float(np.sum((predictions - labels) ** 2)) / total if total else 0.0
    classes = _classes(predictions)
    if name == "accuracy":
        return float(np.mean(classes == labels))
    if name == "f1_binary":
        return _f1(labels, classes, [1.0])
    return _f1(labels, classes, np.unique(labels))  # f1, f1_macro: the mean over the classes


# Metrics the container adds to xgboost's (sagemaker_xgboost_container.metrics.custom_metrics).
CUSTOM_METRICS = ("accuracy", "f1", "f1_binary", "f1_macro", "mse", "r2")


def custom_metric_function(names: Sequence[str]) -> Callable[[Any, Any], list[tuple[str, float]]]:
    """An xgboost ``custom_metric`` reporting the container's own ``names``."""

    def evaluate(predictions: Any, matrix: Any) -> list[tuple[str, float]]:
        labels = matrix.get_label()
        return [(name, _custom_metric(name, predictions, labels)) for name in names]

    return evaluate


# -- data ------------------------------------------------------------------------------------
def is_data_file(path: Path) -> bool:
    """The container's filter: files not starting with ``.`` or ``_`` (Spark's ``_SUCCESS``)."""
    return path.is_file() and not path.name.startswith((".", "_"))


def content_kind(content_type: str | None) -> str:
    """``csv`` (the default), ``libsvm`` or ``parquet``; other types fail as in the container."""
    kind = (content_type or "text/csv").split(";")[0].strip().lower()
    if kind in ("text/csv", "csv"):
        return "csv"
    if kind in ("text/libsvm", "libsvm", "text/x-libsvm"):
        return "libsvm"
    if kind in ("application/x-parquet", "parquet"):
        return "parquet"
    raise JobError(
        f"ClientError: Content type {content_type} is not supported by the emulator's XGBoost "
        "(text/csv, text/libsvm, application/x-parquet)"
    )


def sniff_delimiter(line: str) -> str:
    """The delimiter of a CSV line, guessed as the container does (its error text included)."""
    try:
        return csv.Sniffer().sniff(line).delimiter
    except Exception as error:  # noqa: BLE001 - csv.Error: the container's message follows
        raise JobError(f"ClientError: Could not determine delimiter on line {line[:50]}:\n{error}") from None


def _read_csv(path: Path) -> tuple[Any, Any]:
    import numpy as np

    with path.open(errors="ignore") as handle:
        first = handle.readline().strip()[:512]
    delimiter = sniff_delimiter(first)
    try:
        data = np.loadtxt(path, delimiter=delimiter, dtype=np.float32, ndmin=2)
    except ValueError as error:
        raise JobError(f"ClientError: Failed to load csv data with exception:\n{error}") from None
    return data[:, 1:], data[:, 0]


def load_channel(directory: Path, content_type: str | None) -> Any:
    """A ``DMatrix`` of every data file below ``directory`` (sorted by name)."""
    import numpy as np
    import xgboost

    kind = content_kind(content_type)
    files = sorted(p for p in directory.rglob("*") if is_data_file(p))
    if not files:
        raise JobError(f"ClientError: No data files in channel {directory.name}")
    if kind == "libsvm":
        try:
            return _concat_libsvm(files)
        except xgboost.core.XGBoostError as error:
            raise JobError(f"ClientError: Failed to load libsvm data with exception:\n{error}") from None
    if kind == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise JobError("ClientError: Parquet input needs pyarrow, which is not installed") from None
        tables = [pq.read_table(p).to_pandas().to_numpy(dtype=np.float32) for p in files]
        data = np.vstack(tables)
        return xgboost.DMatrix(data[:, 1:], label=data[:, 0])
    features, labels = [], []
    for path in files:
        x, y = _read_csv(path)
        features.append(x)
        labels.append(y)
    widths = {x.shape[1] for x in features}
    if len(widths) > 1:
        raise JobError(f"ClientError: Failed to load csv data: files have different column counts {widths}")
    return xgboost.DMatrix(np.vstack(features), label=np.concatenate(labels))


def _concat_libsvm(files: Sequence[Path]) -> Any:
    return _libsvm_matrix(b"".join(path.read_bytes().rstrip(b"\n") + b"\n" for path in files))


def _libsvm_matrix(data: bytes) -> Any:
    """A DMatrix of LIBSVM text (``label[:weight] index:value ...``; the index is the column, as
    xgboost's own LIBSVM reader takes it, whose text-file input xgboost 3.1 deprecated)."""
    import numpy as np
    import scipy.sparse
    import xgboost

    labels: list[float] = []
    weights: list[float] = []
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines()):
        parts = raw.split("#", 1)[0].split()
        if not parts:
            continue
        try:
            label, _, weight = parts[0].partition(":")
            labels.append(float(label))
            weights.append(float(weight) if weight else 1.0)
            for item in parts[1:]:
                index, _, value = item.partition(":")
                rows.append(len(labels) - 1)
                columns.append(int(index))
                values.append(float(value))
        except ValueError:
            raise JobError(f"ClientError: line {number + 1} is not in LIBSVM format: {raw[:50]}") from None
    width = max(columns, default=-1) + 1
    matrix = scipy.sparse.csr_matrix(
        (np.asarray(values, dtype=np.float32), (rows, columns)), shape=(len(labels), width)
    )
    result = xgboost.DMatrix(matrix, label=np.asarray(labels, dtype=np.float32))
    if any(w != 1.0 for w in weights):
        result.set_weight(np.asarray(weights, dtype=np.float32))
    return result


# -- training ------------------------------------------------------------------------------
@dataclass
class Trained:
    booster: Any
    metrics: dict[str, float]  # "validation:auc" -> final value
    rounds: int
    stopped: str | None = None  # why training ended early (MaxRuntimeExceeded, Stopped)


def train(
    channels: dict[str, Any],
    settings: Settings,
    *,
    log: Callable[[str], None] = print,
    nthread: int | None = None,
    resume_from: Any = None,
    resume_round: int = 0,
    checkpoint: Callable[[Any, int], None] | None = None,
    checkpoint_every: int = 0,
    should_stop: Callable[[], str | None] | None = None,
) -> Trained:
    """Train on ``channels["train"]``, evaluating every channel named train / validation.

    ``should_stop`` is asked after every round; a reason it returns ends training early
    (:attr:`Trained.stopped` is then that reason)."""
    import xgboost

    if "train" not in channels:
        raise JobError("ClientError: Channel 'train' is required (got: " + ", ".join(sorted(channels)) + ")")
    params = dict(settings.params)
    if nthread:
        params.setdefault("nthread", nthread)
    evals = [(channels[name], name) for name in CHANNELS if name in channels]
    history: dict[str, dict[str, list[float]]] = {}
    rounds = max(0, settings.num_round - resume_round)
    callbacks: list[Any] = []
    stopped: list[tuple[str, int]] = []

    class _Progress(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            done = resume_round + epoch + 1
            values = "\t".join(
                f"{channel}-{metric}:{series[-1]:.5f}"
                for channel, per_metric in evals_log.items()
                for metric, series in per_metric.items()
            )
            log(f"[{done - 1}]#011{values}")
            if checkpoint is not None and checkpoint_every and (done % checkpoint_every == 0):
                checkpoint(model, done)
            reason = should_stop() if should_stop is not None else None
            if reason:
                stopped.append((reason, done))
                return True
            return False

    callbacks.append(_Progress())
    try:
        booster = xgboost.train(
            params,
            channels["train"],
            num_boost_round=rounds,
            evals=evals,
            evals_result=history,
            early_stopping_rounds=settings.early_stopping_rounds if "validation" in channels else None,
            verbose_eval=False,
            xgb_model=resume_from,
            callbacks=callbacks,
            custom_metric=custom_metric_function(settings.custom_metrics)
            if settings.custom_metrics
            else None,
        )
    except xgboost.core.XGBoostError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise JobError(f"AlgorithmError: XGBoostError: {first}") from None
    metrics = {
        f"{channel}:{metric}": float(series[-1])
        for channel, per_metric in history.items()
        for metric, series in per_metric.items()
        if series
    }
    if stopped:
        return Trained(booster=booster, metrics=metrics, rounds=stopped[0][1], stopped=stopped[0][0])
    return Trained(booster=booster, metrics=metrics, rounds=resume_round + rounds)


def model_tarball(booster: Any) -> bytes:
    """``model.tar.gz`` with the booster saved as ``xgboost-model`` (as the container does)."""
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / MODEL_FILE
        booster.save_model(str(path) + ".ubj")
        Path(str(path) + ".ubj").rename(path)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(path, arcname=MODEL_FILE)
    return buffer.getvalue()


def booster_bytes(booster: Any) -> bytes:
    return bytes(booster.save_raw("ubj"))


def booster_from_bytes(raw: bytes) -> Any:
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(bytearray(raw))
    return booster


def load_model(tarball: bytes) -> Any:
    """The booster in a ``model.tar.gz`` (its ``xgboost-model``, or its only file)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:*") as archive:
            members = [m for m in archive.getmembers() if m.isfile()]
            chosen = next((m for m in members if Path(m.name).name == MODEL_FILE), None)
            if chosen is None and len(members) == 1:
                chosen = members[0]
            if chosen is None:
                raise JobError(f"model.tar.gz has no {MODEL_FILE} (files: {[m.name for m in members]})")
            extracted = archive.extractfile(chosen)
            assert extracted is not None
            raw = extracted.read()
    except tarfile.TarError as error:
        raise JobError(f"model data is not a tar.gz archive: {error}") from None
    try:
        return booster_from_bytes(raw)
    except Exception as error:  # noqa: BLE001
        raise JobError(f"cannot load the XGBoost model: {str(error).splitlines()[0]}") from None


# -- inference ---------------------------------------------------------------------------
def parse_records(lines: Sequence[str], content_type: str | None) -> Any:
    """Feature rows (no label) of ``text/csv`` or ``text/libsvm`` records, as a DMatrix."""
    import numpy as np
    import xgboost

    kind = content_kind(content_type)
    rows = [line.strip() for line in lines if line.strip()]
    if not rows:
        raise JobError("empty request: no records")
    if kind == "csv":
        delimiter = sniff_delimiter(rows[0]) if "," not in rows[0] else ","
        try:
            data = np.array(
                [[float(v) if v.strip() else np.nan for v in row.split(delimiter)] for row in rows],
                dtype=np.float32,
            )
        except ValueError as error:
            raise JobError(
                f"Loading csv data failed with Exception, please ensure data is in csv format: {error}"
            ) from None
        return xgboost.DMatrix(data)
    if kind == "libsvm":
        labelled = [("0 " + r) if ":" in r.split(" ", 1)[0] else r for r in rows]  # a dummy label
        return _libsvm_matrix(("\n".join(labelled) + "\n").encode())
    raise JobError(f"content type {content_type} is not supported for inference (text/csv, text/libsvm)")


def predict(booster: Any, lines: Sequence[str], content_type: str | None = "text/csv") -> list[str]:
    """One prediction per record, as the container's CSV response writes them (multi-class:
    the class probabilities joined by commas)."""
    import numpy as np

    matrix = parse_records(lines, content_type)
    expected = booster.num_features()
    if matrix.num_col() != expected:
        raise JobError(
            f"Feature size of csv inference data {matrix.num_col()} is not consistent with feature size "
            f"of trained model {expected}."
        )
    predictions = np.asarray(booster.predict(matrix))
    if predictions.ndim == 1:
        return [_number(v) for v in predictions]
    return [",".join(_number(v) for v in row) for row in predictions]


def _number(value: Any) -> str:
    return repr(float(value))
