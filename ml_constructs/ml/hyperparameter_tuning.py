"""HyperparameterTuning: a SageMaker tuning job over a TrainingJob definition, run by Step Functions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import DEFAULT_LOG_RETENTION, check_choice, check_range, invalid
from ..core.state_machines import secure_state_machine
from ..core.validation import check_construct_id
from ._jobs import (
    MAX_JOB_SECONDS,
    check_duration,
    execution_input_pass,
    grant_sync_job,
    merged_hyperparameters,
    name_field,
    result_path_value,
    sagemaker_arn,
    sdk_resource,
    sync_resource,
    task_state,
    unique_name_expression,
)
from ._jobs import (
    job_name_prefix as check_name,
)
from ._requests import check_overrides, finish_request
from .algorithms import check_objective_metric, check_tunable
from .model_registry import ModelPackageGroup
from .training_job import TrainingJob

# Tuning job names: 32 characters; the prefix leaves room for '-' and 8 hex characters.
TUNING_PREFIX_LENGTH = 23
MAX_RANGES = 30  # hyperparameters searched at once (all strategies)
MAX_CATEGORICAL_VALUES = 30


class TuningStrategy(StrEnum):
    """How the tuner picks the next hyperparameters."""

    BAYESIAN = "Bayesian"
    RANDOM = "Random"
    HYPERBAND = "Hyperband"
    GRID = "Grid"


class ScalingType(StrEnum):
    """How a numeric range is searched."""

    AUTO = "Auto"
    LINEAR = "Linear"
    LOGARITHMIC = "Logarithmic"  # min > 0
    REVERSE_LOGARITHMIC = "ReverseLogarithmic"  # continuous only, 0 <= min < max < 1


class EarlyStopping(StrEnum):
    AUTO = "Auto"  # stop training jobs unlikely to beat the best so far
    OFF = "Off"


class WarmStartType(StrEnum):
    IDENTICAL_DATA_AND_ALGORITHM = "IdenticalDataAndAlgorithm"
    TRANSFER_LEARNING = "TransferLearning"


class ObjectiveType(StrEnum):
    MAXIMIZE = "Maximize"
    MINIMIZE = "Minimize"


@dataclass(frozen=True)
class Objective:
    """The metric to optimize and its direction: ``Objective.maximize("validation:auc")``."""

    metric_name: str
    type: ObjectiveType = ObjectiveType.MAXIMIZE

    @staticmethod
    def maximize(metric_name: str) -> Objective:
        return Objective(metric_name, ObjectiveType.MAXIMIZE)

    @staticmethod
    def minimize(metric_name: str) -> Objective:
        return Objective(metric_name, ObjectiveType.MINIMIZE)


@dataclass(frozen=True)
class ContinuousRange:
    """A real-valued hyperparameter searched in ``[min_value, max_value]``."""

    name: str
    min_value: float
    max_value: float
    scaling: ScalingType = ScalingType.AUTO


@dataclass(frozen=True)
class IntegerRange:
    """An integer hyperparameter searched in ``[min_value, max_value]``."""

    name: str
    min_value: int
    max_value: int
    scaling: ScalingType = ScalingType.AUTO


@dataclass(frozen=True)
class CategoricalRange:
    """A hyperparameter taking one of ``values``."""

    name: str
    values: tuple[str, ...] = field(default=())

    def __init__(self, name: str, values: Sequence[Any]) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True)
class WarmStart:
    """Start from what up to 5 parent tuning jobs learned."""

    parent_jobs: tuple[str, ...]
    type: WarmStartType = WarmStartType.IDENTICAL_DATA_AND_ALGORITHM

    def __init__(
        self, parent_jobs: Sequence[str], type: WarmStartType = WarmStartType.IDENTICAL_DATA_AND_ALGORITHM
    ) -> None:
        object.__setattr__(self, "parent_jobs", tuple(parent_jobs))
        object.__setattr__(self, "type", type)


@dataclass(frozen=True)
class HyperbandConfig:
    """Hyperband's resource bounds (epochs/iterations the algorithm reports)."""

    min_resource: int = 1
    max_resource: int | None = None


Range = ContinuousRange | IntegerRange | CategoricalRange


class HyperparameterTuning(Construct):
    """A SageMaker hyperparameter tuning job over a :class:`TrainingJob`, run by Step Functions.

    The tuning job runs through a ``CustomState`` with the
    ``createHyperParameterTuningJob.sync`` optimized integration (CDK has no tuning task); the
    next state (``DescribeTrainingJob`` through the AWS SDK integration) reads the best training
    job's model artifacts and image into ``$.best`` for what follows (a model, an endpoint, a
    model package). The on-demand state machine (:attr:`state_machine`) runs both; its input may
    override static hyperparameters: ``{"hyperparameters": {"num_round": "200"}}``.

    The training job's image, instances, spot, VPC, isolation, encryption, channels and output
    carry over; the tuned hyperparameters are removed from the static ones.

    Args:
        training: the training job definition to tune.
        objective: the metric and direction (:class:`Objective`); own images must define it in
            their ``metric_definitions``.
        ranges: the hyperparameters to search (1-30 ranges, unique names).
        strategy: Bayesian (default), Random, Hyperband or Grid (categorical ranges only).
        max_jobs: training jobs in all (1-750, default 20; not for Grid, which tries every
            combination).
        max_parallel_jobs: at once (1-100, <= max_jobs, default 2: Bayesian learns from
            finished jobs, so fewer in parallel search better).
        early_stopping: Auto (default) or Off; Hyperband stops early by itself (must be Off).
        warm_start: parent tuning jobs to start from (:class:`WarmStart`).
        hyperband: Hyperband's resource bounds (Hyperband only).
        max_runtime: limit on the whole tuning job (default none; 120 s - 30 days).
        random_seed: for reproducible Random/Hyperband/Grid searches.
        job_name_prefix: the start of every tuning job name (<= 23 characters; default unique).
        model_registry: register the best model in this :class:`ModelPackageGroup` (a last
            step of the on-demand state machine; pending manual approval).
        removal_policy / log_retention: of the state machine's log group.
        request_overrides: members merged deeply into every ``CreateHyperParameterTuningJob``
            request (:meth:`request`, :meth:`task`), e.g. ``{"Autotune": {"Mode": "Enabled"}}`` or
            ``{"TrainingJobDefinition": {"RetryStrategy": {...}}}``; ``None`` removes a member.
            Checked against botocore's model at synth.

    Every request carries the stack's tags (``Tags``); SageMaker passes them to the trials.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        training: TrainingJob,
        objective: Objective,
        ranges: Sequence[Range],
        strategy: TuningStrategy | str = TuningStrategy.BAYESIAN,
        max_jobs: int | None = 20,
        max_parallel_jobs: int = 2,
        early_stopping: EarlyStopping | None = None,
        warm_start: WarmStart | None = None,
        hyperband: HyperbandConfig | None = None,
        max_runtime: Duration | None = None,
        random_seed: int | None = None,
        job_name_prefix: str | None = None,
        model_registry: ModelPackageGroup | None = None,
        removal_policy: RemovalPolicy | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        request_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        check_construct_id(scope, id, "HyperparameterTuning")
        super().__init__(scope, id)
        self.request_overrides = check_overrides(self, "request_overrides", request_overrides)
        if not isinstance(training, TrainingJob):
            raise invalid(self, "training", training, "a TrainingJob")
        if strategy not in [s.value for s in TuningStrategy]:
            raise invalid(self, "strategy", strategy, "one of " + ", ".join(s.value for s in TuningStrategy))
        self.strategy = TuningStrategy(strategy)
        self._check_objective(training, objective)
        self.ranges = self._check_ranges(ranges)
        if training.image.kind == "built_in":
            for r in self.ranges:
                check_tunable(self, f"ranges[{r.name}].name", training.image.algorithm, r.name)
        if self.strategy is TuningStrategy.GRID:
            if max_jobs is not None and max_jobs != 20:
                raise invalid(self, "max_jobs", max_jobs, "None with Grid (it runs every combination)")
            max_jobs = None
            combinations = 1
            for r in self.ranges:
                combinations *= len(r.values)  # type: ignore[union-attr]
            if combinations > 750:
                raise invalid(self, "ranges", f"{combinations} combinations", "<= 750 for a Grid search")
        else:
            if max_jobs is None:
                raise invalid(self, "max_jobs", max_jobs, f"1-750 training jobs with {self.strategy.value}")
            check_range(self, "max_jobs", max_jobs, minimum=1, maximum=750)
        check_range(self, "max_parallel_jobs", max_parallel_jobs, minimum=1, maximum=100)
        if max_jobs is not None and max_parallel_jobs > max_jobs:
            raise invalid(self, "max_parallel_jobs", max_parallel_jobs, f"<= max_jobs ({max_jobs})")
        if early_stopping is None:
            early_stopping = (
                EarlyStopping.OFF if self.strategy is TuningStrategy.HYPERBAND else EarlyStopping.AUTO
            )
        check_choice(self, "early_stopping", early_stopping, list(EarlyStopping))
        self.early_stopping = EarlyStopping(early_stopping)
        if self.strategy is TuningStrategy.HYPERBAND and self.early_stopping is EarlyStopping.AUTO:
            raise invalid(self, "early_stopping", "Auto", "Off with Hyperband (it stops jobs early itself)")
        if hyperband is not None:
            if self.strategy is not TuningStrategy.HYPERBAND:
                raise invalid(self, "hyperband", hyperband, "only with strategy=Hyperband")
            check_range(self, "hyperband.min_resource", hyperband.min_resource, minimum=1)
            if hyperband.max_resource is not None and hyperband.max_resource < hyperband.min_resource:
                raise invalid(self, "hyperband.max_resource", hyperband.max_resource, ">= min_resource")
        if warm_start is not None:
            if not 1 <= len(warm_start.parent_jobs) <= 5:
                raise invalid(
                    self, "warm_start.parent_jobs", warm_start.parent_jobs, "1-5 parent tuning jobs"
                )
            for parent in warm_start.parent_jobs:
                check_name(self, parent, 32, "warm_start.parent_jobs")
            check_choice(self, "warm_start.type", warm_start.type, list(WarmStartType))
            if self.strategy in (TuningStrategy.HYPERBAND, TuningStrategy.GRID):
                raise invalid(self, "warm_start", warm_start, "only with Bayesian or Random strategies")
        self.max_runtime_seconds = (
            check_duration(self, "max_runtime", max_runtime, minimum=120, maximum=30 * 24 * 3600)
            if max_runtime is not None
            else None
        )
        if random_seed is not None:
            check_range(self, "random_seed", random_seed, minimum=0, maximum=2**31 - 1)

        self.training = training
        self.objective = objective
        self.max_jobs = max_jobs
        self.max_parallel_jobs = max_parallel_jobs
        self.warm_start = warm_start
        self.hyperband = hyperband
        self.random_seed = random_seed
        self.job_name_prefix = job_name_prefix_for_tuning(self, job_name_prefix)
        tuned = {r.name for r in self.ranges}
        self.static_hyperparameters = {k: v for k, v in training.hyperparameters.items() if k not in tuned}

        self.request()  # fail at synth, with this path, on overrides SageMaker would reject

        timeout = self.max_runtime_seconds or MAX_JOB_SECONDS
        definition = (
            execution_input_pass(self, "Input", {"hyperparameters": {}})
            .next(self.overrides_check(self, "CheckOverrides", hyperparameters_path="$.hyperparameters"))
            .next(self.task(self, "Tune", hyperparameters_path="$.hyperparameters"))
            .next(self.best_training_job_task(self, "DescribeBest"))
        )
        self.model_registry = model_registry
        if model_registry is not None:
            definition = definition.next(model_registry.register_task(self, "Register"))
        self.state_machine, self.log_group = secure_state_machine(
            self,
            "StateMachine",
            definition=definition,
            encryption_key=training.encryption_key,
            timeout=Duration.seconds(timeout + 3600),
            removal_policy=removal_policy or training.lake.removal_policy,
            retention=log_retention,
            purpose=f"Runs the hyperparameter tuning job of {self.node.path} on demand",
        )
        self.grant_run(self.state_machine)
        if model_registry is not None:
            model_registry.grant_register(self.state_machine)

    # -- validation --------------------------------------------------------------------------
    def _check_objective(self, training: TrainingJob, objective: Objective) -> None:
        if not isinstance(objective, Objective):
            raise invalid(self, "objective", objective, "Objective.maximize(...) or Objective.minimize(...)")
        check_choice(self, "objective.type", objective.type, list(ObjectiveType))
        if not 1 <= len(objective.metric_name) <= 255:
            raise invalid(self, "objective.metric_name", objective.metric_name, "1-255 characters")
        if training.image.kind == "built_in":
            check_objective_metric(
                self, "objective.metric_name", training.image.algorithm, objective.metric_name
            )
        else:
            names = [m.name for m in training.metric_definitions]
            if objective.metric_name not in names:
                raise invalid(
                    self,
                    "objective.metric_name",
                    objective.metric_name,
                    "one of the training job's metric_definitions: " + (", ".join(names) or "(none defined)"),
                )

    def _check_ranges(self, ranges: Sequence[Range]) -> tuple[Range, ...]:
        ranges = tuple(ranges)
        if not ranges:
            raise invalid(self, "ranges", [], "at least one hyperparameter range")
        if len(ranges) > MAX_RANGES:
            raise invalid(self, "ranges", f"{len(ranges)} ranges", f"at most {MAX_RANGES}")
        names = [r.name for r in ranges]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise invalid(self, "ranges", duplicates, "each hyperparameter in one range only")
        for r in ranges:
            where = f"ranges[{r.name}]"
            if not isinstance(r, (ContinuousRange, IntegerRange, CategoricalRange)):
                raise invalid(self, "ranges", r, "ContinuousRange, IntegerRange or CategoricalRange values")
            if not 1 <= len(r.name) <= 256:
                raise invalid(self, f"{where}.name", r.name, "1-256 characters")
            if isinstance(r, CategoricalRange):
                values = [str(v) for v in r.values]
                if not 1 <= len(values) <= MAX_CATEGORICAL_VALUES:
                    raise invalid(self, f"{where}.values", r.values, f"1-{MAX_CATEGORICAL_VALUES} values")
                if len(set(values)) != len(values):
                    raise invalid(self, f"{where}.values", r.values, "distinct values")
                continue
            if self.strategy is TuningStrategy.GRID:
                raise invalid(self, where, r, "CategoricalRange only with a Grid search")
            check_choice(self, f"{where}.scaling", r.scaling, list(ScalingType))
            kind = int if isinstance(r, IntegerRange) else (int, float)
            for attr in ("min_value", "max_value"):
                value = getattr(r, attr)
                if isinstance(value, bool) or not isinstance(value, kind):
                    raise invalid(self, f"{where}.{attr}", value, "an integer" if kind is int else "a number")
            if r.min_value > r.max_value:
                raise invalid(self, f"{where}.min_value", r.min_value, f"<= max_value ({r.max_value})")
            scaling = ScalingType(r.scaling)
            if scaling is ScalingType.LOGARITHMIC and r.min_value <= 0:
                raise invalid(self, f"{where}.min_value", r.min_value, "> 0 with Logarithmic scaling")
            if scaling is ScalingType.REVERSE_LOGARITHMIC:
                if isinstance(r, IntegerRange):
                    raise invalid(
                        self, f"{where}.scaling", scaling.value, "Auto, Linear or Logarithmic for integers"
                    )
                if not (r.min_value >= 0 and r.max_value < 1):
                    raise invalid(
                        self, where, (r.min_value, r.max_value), "0 <= min < max < 1 with ReverseLogarithmic"
                    )
        return ranges

    # -- the request -------------------------------------------------------------------------
    def _config(self) -> dict[str, Any]:
        limits: dict[str, Any] = {"MaxParallelTrainingJobs": self.max_parallel_jobs}
        if self.max_jobs is not None:
            limits["MaxNumberOfTrainingJobs"] = self.max_jobs
        if self.max_runtime_seconds is not None:
            limits["MaxRuntimeInSeconds"] = self.max_runtime_seconds
        ranges: dict[str, list[dict[str, Any]]] = {}
        for r in self.ranges:
            if isinstance(r, CategoricalRange):
                ranges.setdefault("CategoricalParameterRanges", []).append(
                    {"Name": r.name, "Values": [str(v) for v in r.values]}
                )
            else:
                key = "IntegerParameterRanges" if isinstance(r, IntegerRange) else "ContinuousParameterRanges"
                ranges.setdefault(key, []).append(
                    {
                        "Name": r.name,
                        "MinValue": str(r.min_value),
                        "MaxValue": str(r.max_value),
                        "ScalingType": ScalingType(r.scaling).value,
                    }
                )
        config: dict[str, Any] = {
            "Strategy": self.strategy.value,
            "HyperParameterTuningJobObjective": {
                "Type": ObjectiveType(self.objective.type).value,
                "MetricName": self.objective.metric_name,
            },
            "ResourceLimits": limits,
            "ParameterRanges": ranges,
            "TrainingJobEarlyStoppingType": self.early_stopping.value,
        }
        if self.hyperband is not None:
            hb: dict[str, Any] = {"MinResource": self.hyperband.min_resource}
            if self.hyperband.max_resource is not None:
                hb["MaxResource"] = self.hyperband.max_resource
            config["StrategyConfig"] = {"HyperbandStrategyConfig": hb}
        if self.random_seed is not None:
            config["RandomSeed"] = self.random_seed
        return config

    def _training_definition(self) -> dict[str, Any]:
        definition = self.training.definition(checkpoint_suffix="")
        # Trials share one training definition, and SageMaker documents no per-trial checkpoint
        # path: with one CheckpointConfig every trial would resume from the others' models. So
        # tuning trials run without checkpoints; an interrupted spot trial starts over.
        definition.pop("CheckpointConfig", None)
        definition["StaticHyperParameters"] = dict(self.static_hyperparameters)
        return definition

    def request(self, *, job_name: str | None = None) -> dict[str, Any]:
        """The ``CreateHyperParameterTuningJob`` request (CDK tokens where values come at deploy)."""
        return finish_request(
            self,
            "request_overrides",
            "CreateHyperParameterTuningJob",
            self._request(job_name=job_name),
            self.request_overrides,
        )

    def _request(self, *, job_name: str | None = None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "HyperParameterTuningJobName": job_name or f"{self.job_name_prefix}-manual",
            "HyperParameterTuningJobConfig": self._config(),
            "TrainingJobDefinition": self._training_definition(),
        }
        if self.warm_start is not None:
            request["WarmStartConfig"] = {
                "ParentHyperParameterTuningJobs": [
                    {"HyperParameterTuningJobName": p} for p in self.warm_start.parent_jobs
                ],
                "WarmStartType": WarmStartType(self.warm_start.type).value,
            }
        return request

    # -- Step Functions ----------------------------------------------------------------------
    def task(
        self,
        scope: Construct,
        id: str,
        *,
        job_name: str | None = None,
        hyperparameters_path: str | None = None,
        instance_type_path: str | None = None,
        result_path: str | None = "$.tuning",
    ) -> sfn.CustomState:
        """A ``createHyperParameterTuningJob.sync`` task; its result holds the tuning job name,
        status and ``BestTrainingJob`` (name, objective value, tuned hyperparameters).

        ``hyperparameters_path`` points at static hyperparameter overrides (string values);
        ``instance_type_path`` at an instance type for the trials (see ``TrainingJob.task``).
        The role running it needs :meth:`grant_run`.
        """
        params = self._request()
        del params["HyperParameterTuningJobName"]
        params.update(
            name_field(
                "HyperParameterTuningJobName",
                job_name,
                unique_name_expression(self.job_name_prefix, short=True),
            )
        )
        definition = params["TrainingJobDefinition"]
        if hyperparameters_path:
            del definition["StaticHyperParameters"]
            definition["StaticHyperParameters.$"] = merged_hyperparameters(
                self.static_hyperparameters, hyperparameters_path
            )
        if instance_type_path:
            resources = definition["ResourceConfig"]
            del resources["InstanceType"]
            resources["InstanceType.$"] = instance_type_path
        params = finish_request(
            self, "request_overrides", "CreateHyperParameterTuningJob", params, self.request_overrides
        )
        return task_state(
            scope,
            id,
            comment=f"Tune with {self.node.path}",
            resource=sync_resource("createHyperParameterTuningJob"),
            parameters=params,
            result_selector={
                "HyperParameterTuningJobName.$": "$.HyperParameterTuningJobName",
                "HyperParameterTuningJobArn.$": "$.HyperParameterTuningJobArn",
                "HyperParameterTuningJobStatus.$": "$.HyperParameterTuningJobStatus",
                "BestTrainingJob.$": "$.BestTrainingJob",
            },
            result_path=result_path_value(result_path),
        )

    def overrides_check(self, scope: Construct, id: str, *, hyperparameters_path: str) -> sfn.Chain:
        """States that fail the execution (error ``TunedHyperparameterOverride``) when the
        overrides at ``hyperparameters_path`` name a tuned hyperparameter.

        SageMaker rejects a tuning job whose static hyperparameters include a tuned one; failing
        here says which name and why before any job starts. Put it before :meth:`task`.
        """
        tuned = sorted(r.name for r in self.ranges)
        static = ", ".join(sorted(self.static_hyperparameters)) or "(none)"
        fail = sfn.Fail(
            scope,
            f"{id} Rejected",
            error="TunedHyperparameterOverride",
            cause=f"The execution input overrides a hyperparameter that {self.node.path} tunes "
            f"({', '.join(tuned)}); overrides may set the static ones only: {static}",
        )
        accepted = sfn.Pass(scope, f"{id} Accepted", comment="No tuned hyperparameter overridden")
        present = [sfn.Condition.is_present(json_member(hyperparameters_path, name)) for name in tuned]
        choice = (
            sfn.Choice(scope, id, comment="Reject overrides of tuned hyperparameters")
            .when(present[0] if len(present) == 1 else sfn.Condition.or_(*present), fail)
            .otherwise(accepted)
        )
        return sfn.Chain.custom(choice, [accepted], accepted)

    def best_training_job_task(
        self,
        scope: Construct,
        id: str,
        *,
        name_path: str = "$.tuning.BestTrainingJob.TrainingJobName",
        result_path: str = "$.best",
    ) -> sfn.CustomState:
        """``DescribeTrainingJob`` of the best training job: ``$.best`` gets its name, ARN,
        ``ModelArtifacts`` (the S3 URI of model.tar.gz), ``TrainingImage`` and ``RoleArn``."""
        return task_state(
            scope,
            id,
            comment="Read the best training job's model artifacts",
            resource=sdk_resource("describeTrainingJob"),
            parameters={"TrainingJobName.$": name_path},
            result_selector={
                "TrainingJobName.$": "$.TrainingJobName",
                "TrainingJobArn.$": "$.TrainingJobArn",
                "ModelArtifacts.$": "$.ModelArtifacts.S3ModelArtifacts",
                "TrainingImage.$": "$.AlgorithmSpecification.TrainingImage",
                "RoleArn.$": "$.RoleArn",
            },
            result_path=result_path_value(result_path),
        )

    def grant_run(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` run :meth:`task` and :meth:`best_training_job_task`."""
        grant_sync_job(
            grantee,
            self,
            actions=[
                "sagemaker:CreateHyperParameterTuningJob",
                "sagemaker:DescribeHyperParameterTuningJob",
                "sagemaker:StopHyperParameterTuningJob",
                "sagemaker:ListTrainingJobsForHyperParameterTuningJob",
                # Step Functions tags every job it starts with .sync (MANAGED_BY_AWS).
                "sagemaker:AddTags",
            ],
            resources=[self.job_arn_pattern],
            events_rule="StepFunctionsGetEventsForSageMakerTuningJobsRule",
            passed_role=self.training.role,
            reason=f"Tuning jobs are named at run time; the ARN is limited to the job name prefix "
            f"'{self.job_name_prefix}-' of {self.node.path}.",
        )
        grant_sync_job(
            grantee,
            self,
            actions=["sagemaker:DescribeTrainingJob"],
            resources=[self.training_job_arn_pattern],
            events_rule=None,
            passed_role=None,
            reason=f"SageMaker names the training jobs of a tuning job after it; the ARN is limited "
            f"to the tuning job name prefix '{self.job_name_prefix}-' of {self.node.path}.",
        )

    @property
    def job_arn_pattern(self) -> str:
        return sagemaker_arn(self, "hyper-parameter-tuning-job", f"{self.job_name_prefix}-*")

    @property
    def training_job_arn_pattern(self) -> str:
        return sagemaker_arn(self, "training-job", f"{self.job_name_prefix}-*")

    def grant_start(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start the on-demand state machine."""
        return self.state_machine.grant_start_execution(grantee)


def json_member(path: str, name: str) -> str:
    """The JSONPath of member ``name`` under ``path`` (bracket notation unless an identifier)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return f"{path}.{name}"
    return f"{path}['{name}']"


def job_name_prefix_for_tuning(scope: Construct, given: str | None) -> str:
    return check_name(scope, given, TUNING_PREFIX_LENGTH, "job_name_prefix")


__all__ = [
    "CategoricalRange",
    "ContinuousRange",
    "EarlyStopping",
    "HyperbandConfig",
    "HyperparameterTuning",
    "IntegerRange",
    "Objective",
    "ObjectiveType",
    "ScalingType",
    "TuningStrategy",
    "WarmStart",
    "WarmStartType",
]
