"""What SageMaker's built-in algorithms accept: tuning metrics, tunable hyperparameters, GPU use.

A tuning job over a metric or a hyperparameter the algorithm does not have is accepted by
CloudFormation and Step Functions and fails hours later in SageMaker; these tables let the
constructs refuse it at synth. Sources: the SageMaker developer guide pages "Tune an XGBoost
model" and "Tune a linear learner model" (metrics computed, tunable hyperparameters). An
algorithm missing here is not checked.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Annotations
from constructs import Construct

from ..core import invalid
from ._jobs import GPU_FAMILIES, instance_family


@dataclass(frozen=True)
class BuiltInAlgorithm:
    """Metric names a tuning job may optimize and hyperparameters it may range over."""

    metrics: frozenset[str]
    tunable: frozenset[str]
    others: frozenset[str] = frozenset()  # hyperparameters it has but AWS does not list as tunable
    metric_pattern: str = ""  # metrics with a parameter, e.g. XGBoost's ``validation:ndcg@5``

    @property
    def hyperparameters(self) -> frozenset[str]:
        return self.tunable | self.others


def _channel_metrics(channels: tuple[str, ...], names: str) -> frozenset[str]:
    return frozenset(f"{c}:{n}" for c in channels for n in names.split())


ALGORITHMS: dict[str, BuiltInAlgorithm] = {
    "xgboost": BuiltInAlgorithm(
        metrics=_channel_metrics(
            ("train", "validation"),
            "accuracy auc aucpr balanced_accuracy error f1 f1_binary f1_macro logloss mae map "
            "mape merror mlogloss mse ndcg r2 rmse rmsle poisson-nloglik gamma-nloglik "
            "gamma-deviance tweedie-nloglik cox-nloglik aft-nloglik mphe",
        ),
        tunable=frozenset(
            [
                "alpha",
                "colsample_bylevel",
                "colsample_bynode",
                "colsample_bytree",
                "eta",
                "gamma",
                "lambda",
                "max_delta_step",
                "max_depth",
                "min_child_weight",
                "num_round",
                "subsample",
            ]
        ),
        # The container's own hyperparameter list (sagemaker-xgboost-container, 1.x).
        others=frozenset(
            [
                "aft_loss_distribution",
                "aft_loss_distribution_scale",
                "base_score",
                "booster",
                "csv_weights",
                "deterministic_histogram",
                "device",
                "dsplit",
                "early_stopping_rounds",
                "eval_metric",
                "grow_policy",
                "huber_slope",
                "interaction_constraints",
                "lambda_bias",
                "max_bin",
                "max_cached_hist_node",
                "max_leaves",
                "monotone_constraints",
                "normalize_type",
                "nthread",
                "num_class",
                "num_parallel_tree",
                "objective",
                "one_drop",
                "predictor",
                "process_type",
                "rate_drop",
                "refresh_leaf",
                "sample_type",
                "sampling_method",
                "save_model_on_termination",
                "scale_pos_weight",
                "seed",
                "single_precision_histogram",
                "sketch_eps",
                "skip_drop",
                "tree_method",
                "tweedie_variance_power",
                "updater",
                "use_dask_gpu_training",
                "verbosity",
            ]
        ),
        metric_pattern=r"(train|validation):(error|ndcg|map|pre)@[0-9.]+-?",
    ),
    "linear-learner": BuiltInAlgorithm(
        metrics=_channel_metrics(
            ("test", "validation"),
            "absolute_loss binary_classification_accuracy binary_f_beta dcg macro_f_beta "
            "macro_precision macro_recall mse multiclass_accuracy multiclass_top_k_accuracy "
            "objective_loss precision recall rmse roc_auc_score",
        ),
        tunable=frozenset(
            ["wd", "l1", "learning_rate", "mini_batch_size", "use_bias", "positive_example_weight_mult"]
        ),
        others=frozenset(
            [
                "feature_dim",
                "predictor_type",
                "num_classes",
                "accuracy_top_k",
                "balance_multiclass_weights",
                "beta_1",
                "beta_2",
                "binary_classifier_model_selection_criteria",
                "early_stopping_patience",
                "early_stopping_tolerance",
                "epochs",
                "f_beta",
                "huber_delta",
                "init_bias",
                "init_method",
                "init_scale",
                "init_sigma",
                "loss",
                "loss_insensitivity",
                "lr_scheduler_factor",
                "lr_scheduler_minimum_lr",
                "lr_scheduler_step",
                "margin",
                "momentum",
                "normalize_data",
                "normalize_label",
                "num_calibration_samples",
                "num_models",
                "num_point_for_scaler",
                "optimizer",
                "quantile",
                "target_precision",
                "target_recall",
                "unbias_data",
                "unbias_label",
                "use_lr_scheduler",
            ]
        ),
    ),
}


def _closest(value: str, options: set[str] | frozenset[str]) -> str:
    close = difflib.get_close_matches(value, sorted(options), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_objective_metric(scope: Construct, argument: str, algorithm: str | None, metric: str) -> None:
    """Raise unless ``algorithm`` (a built-in one we know) computes ``metric``."""
    spec = ALGORITHMS.get(algorithm or "")
    if spec is None or metric in spec.metrics:
        return
    if spec.metric_pattern and re.fullmatch(spec.metric_pattern, metric):
        return
    owners = [name for name, other in ALGORITHMS.items() if metric in other.metrics]
    note = (
        f" ({metric} is a metric of {', '.join(owners)}, not {algorithm})"
        if owners
        else _closest(metric, spec.metrics)
    )
    shown = sorted(m for m in spec.metrics if not m.startswith("train:"))
    raise invalid(
        scope, argument, metric, f"a metric the built-in {algorithm} computes{note}: " + ", ".join(shown)
    )


def check_tunable(scope: Construct, argument: str, algorithm: str | None, hyperparameter: str) -> None:
    """Raise unless the built-in ``algorithm`` (when we know it) has ``hyperparameter``; warn
    when AWS does not document it as tunable (the container may still accept it)."""
    spec = ALGORITHMS.get(algorithm or "")
    if spec is None or hyperparameter in spec.tunable:
        return
    if hyperparameter in spec.others:
        Annotations.of(scope).add_warning_v2(
            "ml-constructs:untunable-hyperparameter",
            f"{scope.node.path}: {argument}={hyperparameter!r} is a hyperparameter of the built-in "
            f"{algorithm} that AWS does not list as tunable (tunable: {', '.join(sorted(spec.tunable))})",
        )
        return
    raise invalid(
        scope,
        argument,
        hyperparameter,
        f"a hyperparameter of the built-in {algorithm}{_closest(hyperparameter, spec.hyperparameters)}; "
        "tunable: " + ", ".join(sorted(spec.tunable)),
    )


def check_gpu_hyperparameters(
    scope: Construct, algorithm: str | None, instance_type: str, hyperparameters: Mapping[str, str]
) -> None:
    """Raise when XGBoost is told to train on a GPU (``tree_method=gpu_hist``, ``device=cuda``)
    on an instance type without one: the job would start, pay, and fail."""
    if algorithm != "xgboost" or instance_family(instance_type) in GPU_FAMILIES:
        return
    for name, wants_gpu in (
        ("tree_method", lambda v: v == "gpu_hist"),
        ("device", lambda v: v == "gpu" or v.startswith("cuda")),
    ):
        value = hyperparameters.get(name)
        if isinstance(value, str) and wants_gpu(value):
            raise invalid(
                scope,
                f"hyperparameters[{name}]",
                value,
                f"a CPU setting on the CPU instance type {instance_type} (tree_method=hist, "
                "device=cpu), or a GPU instance type (families: " + ", ".join(sorted(GPU_FAMILIES)) + ")",
            )
