"""SageMaker hyperparameter tuning, run for real: a Bayesian search (optuna's TPE sampler).

Runs for real: the declared ranges (Continuous / Integer / Categorical with ScalingType Linear,
Logarithmic, ReverseLogarithmic, Auto), ``MaxNumberOfTrainingJobs`` trials with at most
``MaxParallelTrainingJobs`` at once, the objective (``Maximize`` / ``Minimize`` of a metric the
trials report, such as ``validation:auc``). Each trial is a real training job
(:mod:`.training`) named as SageMaker names them (``<tuning job>-NNN-<8 hex>``), with the
static hyperparameters, the tuned ones and ``_tuning_objective_metric``, its own checkpoint
path (the definition's ``S3Uri`` + ``/<training job name>``) and ``TuningJobArn``.

Strategy ``Bayesian`` (and ``Hyperband``, without its early stopping) use TPE, ``Random``
uses random sampling, ``Grid`` enumerates the categorical values. Not emulated: early
stopping of trials, warm start, several training job definitions, ``RetryStrategy``.
"""

from __future__ import annotations

import json
import math
import time
import traceback
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from moto.core.utils import utcnow

from . import training
from .common import JobLog, cpu_threads, join_uri

LOG_GROUP = "/aws/sagemaker/TrainingJobs"


def install() -> None:
    from moto.sagemaker.models import HyperParameterTuningJob, SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    from .. import sagemaker

    original = SageMakerModelBackend.create_hyper_parameter_tuning_job

    def create(self: Any, **kwargs: Any) -> str:
        arn = original(self, **kwargs)
        job = self.hyper_parameter_tuning_jobs[kwargs["hyper_parameter_tuning_job_name"]]
        prepare(job)
        sagemaker.start(run, self, job, name=f"tuning-{job.hyper_parameter_tuning_job_name}")
        return arn

    setattr(SageMakerModelBackend, "create_hyper_parameter_tuning_job", create)  # noqa: B010

    def describe(self: Any) -> dict[str, Any]:
        result = _ORIGINAL_DESCRIBE(self)
        return {k: v for k, v in result.items() if v is not None}

    global _ORIGINAL_DESCRIBE
    _ORIGINAL_DESCRIBE = HyperParameterTuningJob.describe
    setattr(HyperParameterTuningJob, "describe", describe)  # noqa: B010

    def list_training_jobs_for_hyper_parameter_tuning_job(self: Any) -> str:
        name = self._get_param("HyperParameterTuningJobName")
        backend = self.sagemaker_backend
        job = backend.hyper_parameter_tuning_jobs.get(name)
        if job is None:
            from moto.sagemaker.exceptions import ResourceNotFound

            raise ResourceNotFound(message=f"Amazon SageMaker can't find a tuning job with name {name}")
        summaries = list(getattr(job, "ml_summaries", {}).values())
        status = self._get_param("StatusEquals")
        if status:
            summaries = [s for s in summaries if s["TrainingJobStatus"] == status]
        sort_by = self._get_param("SortBy") or "Name"
        reverse = (self._get_param("SortOrder") or "Ascending") == "Descending"
        keys = {
            "Name": lambda s: s["TrainingJobName"],
            "CreationTime": lambda s: s["CreationTime"],
            "Status": lambda s: s["TrainingJobStatus"],
            "FinalObjectiveMetricValue": lambda s: s.get(
                "FinalHyperParameterTuningJobObjectiveMetric", {}
            ).get("Value", -math.inf),
        }
        summaries.sort(key=keys.get(sort_by, keys["Name"]), reverse=reverse)
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or 100)
        page = summaries[start : start + size]
        result: dict[str, Any] = {"TrainingJobSummaries": [_json_ready(s) for s in page]}
        if start + size < len(summaries):
            result["NextToken"] = str(start + size)
        return json.dumps(result)

    SageMakerResponse.list_training_jobs_for_hyper_parameter_tuning_job = (  # type: ignore[attr-defined]
        list_training_jobs_for_hyper_parameter_tuning_job
    )


_ORIGINAL_DESCRIBE: Any = None


def _json_ready(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.timestamp() if hasattr(v, "timestamp") else v) for k, v in summary.items() if v is not None}


def prepare(job: Any) -> None:
    """Replace moto's placeholders: ``InProgress``, zero counters, no best job yet."""
    job.hyper_parameter_tuning_job_status = "InProgress"
    job.hyper_parameter_tuning_end_time = None
    job.training_job_status_counters = {
        "Completed": 0,
        "InProgress": 0,
        "RetryableError": 0,
        "NonRetryableError": 0,
        "Stopped": 0,
    }
    job.objective_status_counters = {"Succeeded": 0, "Pending": 0, "Failed": 0}
    job.best_training_job = None
    job.OverallBestTrainingJob = None
    job.failure_reason = None
    job.tuning_job_completion_details = None
    job.consumed_resources = {"RuntimeInSeconds": 0}
    job.ml_summaries = {}


# -- the search space --------------------------------------------------------------------------
def _suggest(trial: Any, ranges: dict[str, Any]) -> dict[str, str]:
    """Tuned hyperparameters (strings) for an optuna ``trial``."""
    values: dict[str, str] = {}
    for item in ranges.get("CategoricalParameterRanges") or []:
        values[item["Name"]] = str(trial.suggest_categorical(item["Name"], list(item["Values"])))
    for kind in ("ContinuousParameterRanges", "IntegerParameterRanges"):
        integer = kind.startswith("Integer")
        for item in ranges.get(kind) or []:
            name = item["Name"]
            low, high = float(item["MinValue"]), float(item["MaxValue"])
            scaling = item.get("ScalingType", "Auto")
            if scaling == "Auto":
                scaling = "Logarithmic" if low > 0 and high / low >= 100 else "Linear"
            if integer:
                log = scaling == "Logarithmic" and low > 0
                values[name] = str(trial.suggest_int(name, int(low), int(high), log=log))
            elif scaling == "Logarithmic" and low > 0:
                values[name] = repr(trial.suggest_float(name, low, high, log=True))
            elif scaling == "ReverseLogarithmic" and high < 1:
                # 1 - x on a log scale: dense close to 1 (SageMaker: for ranges within [0, 1)).
                reverse = trial.suggest_float(f"{name}__1_minus", 1 - high, 1 - low, log=True)
                values[name] = repr(1 - reverse)
            else:
                values[name] = repr(trial.suggest_float(name, low, high))
    return values


def _sampler(strategy: str, ranges: dict[str, Any], seed: int | None, startup: int) -> Any:
    import optuna

    if strategy == "Random":
        return optuna.samplers.RandomSampler(seed=seed)
    if strategy == "Grid":
        space = {r["Name"]: list(r["Values"]) for r in ranges.get("CategoricalParameterRanges") or []}
        return optuna.samplers.GridSampler(space, seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)


# -- the tuning job ----------------------------------------------------------------------------
def run(backend: Any, job: Any) -> None:
    """Run the tuning job's trials and record the best one (a background thread's body)."""
    name = job.hyper_parameter_tuning_job_name
    log = JobLog(backend.account_id, backend.region_name, LOG_GROUP, f"{name}/tuning-{int(time.time())}")
    started = time.monotonic()
    try:
        _search(backend, job, log)
    except Exception as error:  # noqa: BLE001 - the job fails with the reason instead
        log(traceback.format_exc())
        job.failure_reason = f"InternalServerError: the emulator failed to run the tuning job: {error!r}"
        job.hyper_parameter_tuning_job_status = "Failed"
    job.consumed_resources = {"RuntimeInSeconds": int(time.monotonic() - started)}
    job.hyper_parameter_tuning_end_time = utcnow()
    job.last_modified_time = job.hyper_parameter_tuning_end_time


def _search(backend: Any, job: Any, log: JobLog) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    config = job.hyper_parameter_tuning_job_config
    definition = job.training_job_definition or (job.training_job_definitions or [None])[0]
    if not definition:
        raise ValueError("no TrainingJobDefinition")
    objective = config["HyperParameterTuningJobObjective"]
    metric, direction = objective["MetricName"], objective["Type"]
    limits = config.get("ResourceLimits") or {}
    total = int(limits.get("MaxNumberOfTrainingJobs") or 1)
    parallel = max(1, min(int(limits.get("MaxParallelTrainingJobs") or 1), total))
    ranges = config.get("ParameterRanges") or definition.get("HyperParameterRanges") or {}
    strategy = config.get("Strategy", "Bayesian")
    seed = config.get("RandomSeed")
    sampler = _sampler(strategy, ranges, seed, startup=min(max(2, total // 3), 10))
    study = optuna.create_study(
        direction="maximize" if direction == "Maximize" else "minimize", sampler=sampler
    )
    log(
        f"{strategy} search ({type(sampler).__name__}) of {metric} ({direction}): "
        f"{total} trials, {parallel} at once"
    )

    threads = cpu_threads(parallel)
    running: dict[Future[Any], tuple[Any, Any]] = {}
    launched = 0
    with ThreadPoolExecutor(
        max_workers=parallel, thread_name_prefix=f"trial-{job.hyper_parameter_tuning_job_name}"
    ) as pool:
        while launched < total or running:
            if getattr(job, "ml_stop_requested", False):
                total = launched  # launch no more trials; stop the running ones
                for _trial, running_job in running.values():
                    training.request_stop(running_job)
            while launched < total and len(running) < parallel:
                launched += 1
                trial = study.ask()
                tuned = _suggest(trial, ranges)
                trial_job = _create_trial(backend, job, definition, launched, tuned, metric)
                _count(job, trial_job)
                running[
                    pool.submit(
                        training.run, trial_job, backend.account_id, backend.region_name, nthread=threads
                    )
                ] = (
                    trial,
                    trial_job,
                )
            if not running:
                break
            done, _ = wait(running, timeout=1.0, return_when=FIRST_COMPLETED)
            for future in done:
                trial, trial_job = running.pop(future)
                value = (
                    training.objective_value(trial_job, metric)
                    if trial_job.training_job_status == "Completed"
                    else None
                )
                if value is None or math.isnan(value):
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                else:
                    study.tell(trial, value)
                _record(job, trial_job, metric, direction, value)
                log(f"{trial_job.training_job_name}: {trial_job.training_job_status} {metric}={value}")

    summaries = list(job.ml_summaries.values())
    scored = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
    if scored:
        pick = max if direction == "Maximize" else min
        best = pick(scored, key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
        job.best_training_job = dict(best)
        job.hyper_parameter_tuning_job_status = (
            "Stopped" if getattr(job, "ml_stop_requested", False) else "Completed"
        )
        job.tuning_job_completion_details = {
            "NumberOfTrainingJobsObjectiveNotImproving": _not_improving(summaries)
        }
        value = best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        log(f"best: {best['TrainingJobName']} {metric}={value}")
    else:
        reasons = sorted({s.get("FailureReason", "") for s in summaries} - {""})
        job.failure_reason = "All training jobs failed." + (
            f" First failure: {reasons[0]}" if reasons else ""
        )
        if not reasons and summaries:
            job.failure_reason = f"No training job reported the objective metric {metric}."
        job.hyper_parameter_tuning_job_status = (
            "Stopped" if getattr(job, "ml_stop_requested", False) else "Failed"
        )


def _create_trial(
    backend: Any, job: Any, definition: dict[str, Any], number: int, tuned: dict[str, str], metric: str
) -> Any:
    from .. import sagemaker

    tuning_name = job.hyper_parameter_tuning_job_name
    name = f"{tuning_name}-{number:03d}-{uuid.uuid4().hex[:8]}"
    hyperparameters = {**(definition.get("StaticHyperParameters") or {}), **tuned}
    hyperparameters["_tuning_objective_metric"] = metric
    spec = dict(definition.get("AlgorithmSpecification") or {})
    params: dict[str, Any] = {
        "TrainingJobName": name,
        "HyperParameters": hyperparameters,
        "AlgorithmSpecification": spec,
        "RoleArn": definition.get("RoleArn"),
        "InputDataConfig": definition.get("InputDataConfig") or [],
        "OutputDataConfig": definition.get("OutputDataConfig") or {},
        "ResourceConfig": definition.get("ResourceConfig") or {},
        "VpcConfig": definition.get("VpcConfig"),
        "StoppingCondition": definition.get("StoppingCondition"),
        "Tags": [],
        "EnableNetworkIsolation": definition.get("EnableNetworkIsolation", False),
        "EnableInterContainerTrafficEncryption": definition.get(
            "EnableInterContainerTrafficEncryption", False
        ),
        "EnableManagedSpotTraining": definition.get("EnableManagedSpotTraining", False),
        "Environment": definition.get("Environment"),
    }
    checkpoint = definition.get("CheckpointConfig")
    if checkpoint and checkpoint.get("S3Uri"):
        # SageMaker gives each trial its own checkpoint path: the S3Uri + the job name.
        params["CheckpointConfig"] = {**checkpoint, "S3Uri": join_uri(checkpoint["S3Uri"], name)}
    trial = sagemaker.create_training_job(backend, params)
    trial.tuning_job_arn = job.arn
    trial.ml_tuned = tuned
    return trial


def _summary(trial: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "TrainingJobName": trial.training_job_name,
        "TrainingJobArn": trial.arn,
        "TuningJobName": trial.tuning_job_arn.rsplit("/", 1)[-1],
        "CreationTime": trial.creation_time,
        "TrainingStartTime": trial.training_start_time,
        "TrainingEndTime": trial.training_end_time,
        "TrainingJobStatus": trial.training_job_status,
        "TunedHyperParameters": dict(trial.ml_tuned),
        "FailureReason": trial.failure_reason,
    }
    return {k: v for k, v in summary.items() if v is not None}


def _count(job: Any, trial: Any) -> None:
    job.ml_summaries[trial.training_job_name] = _summary(trial)
    job.training_job_status_counters["InProgress"] += 1
    job.objective_status_counters["Pending"] += 1
    job.last_modified_time = utcnow()


def _record(job: Any, trial: Any, metric: str, direction: str, value: float | None) -> None:
    summary = _summary(trial)
    counters = job.training_job_status_counters
    counters["InProgress"] -= 1
    job.objective_status_counters["Pending"] -= 1
    if trial.training_job_status == "Completed":
        counters["Completed"] += 1
    elif trial.training_job_status == "Stopped":
        counters["Stopped"] += 1
    else:
        counters["NonRetryableError"] += 1
    if value is not None and not math.isnan(value):
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": direction,
            "MetricName": metric,
            "Value": value,
        }
        summary["ObjectiveStatus"] = "Succeeded"
        job.objective_status_counters["Succeeded"] += 1
    else:
        summary["ObjectiveStatus"] = "Failed"
        job.objective_status_counters["Failed"] += 1
    job.ml_summaries[trial.training_job_name] = summary
    job.last_modified_time = utcnow()


def _not_improving(summaries: list[dict[str, Any]]) -> int:
    """Trials since the last one that improved on the best so far (in creation order)."""
    best: float | None = None
    since = 0
    for summary in sorted(summaries, key=lambda s: s["TrainingJobName"]):
        value = summary.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Value")
        direction = summary.get("FinalHyperParameterTuningJobObjectiveMetric", {}).get("Type")
        if value is None:
            since += 1
        elif best is None or (value > best if direction == "Maximize" else value < best):
            best, since = value, 0
        else:
            since += 1
    return since
