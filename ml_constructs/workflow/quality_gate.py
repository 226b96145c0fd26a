"""QualityGate: deploy a new model only when it beats the one in production."""

from __future__ import annotations

import math
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..core import DEFAULT_LOG_RETENTION, invalid
from ..core.functions import python_function
from ..ml.hyperparameter_tuning import HyperparameterTuning, ObjectiveType
from ..ml.model_registry import ModelPackageGroup
from ..ml.training_job import TrainingJob
from ..runtime.quality_gate import METADATA_METRIC, METADATA_VALUE

__all__ = ["METADATA_METRIC", "METADATA_VALUE", "ModelComparison", "QualityGate"]


@dataclass(frozen=True)
class QualityGate:
    """Deploy a new model only when it beats the production model by more than ``margin``.

    The production model is the newest *approved* version in the workflow's model registry;
    its objective value is the one recorded when it was registered (customer metadata
    ``ObjectiveMetric`` / ``ObjectiveValue``; the workflow records it on every version). A
    candidate passes when there is no approved version yet, or when that version records no
    value of the metric (nothing to compare with).

    ``metric_name`` / ``direction``: default the tuning objective (with a single
    ``TrainingJob``, both are required: a metric of its ``FinalMetricDataList``).
    ``margin``: in the metric's units, >= 0 (default 0: any improvement).
    """

    margin: float = 0.0
    metric_name: str | None = None
    direction: ObjectiveType | None = None


class ModelComparison(Construct):
    """The Lambda function behind a :class:`QualityGate` (:mod:`ml_constructs.runtime.quality_gate`)
    and the task that runs it. It reads the registry (list and describe versions) and, for a
    single training job, that job's final metrics; nothing else."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        gate: QualityGate,
        registry: ModelPackageGroup,
        tuning: HyperparameterTuning | None,
        training: TrainingJob | None,
        encryption_key: kms.IKey,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
    ) -> None:
        super().__init__(scope, id)
        if not isinstance(gate, QualityGate):
            raise invalid(
                self, "quality_gate", gate, "a QualityGate(margin=..., metric_name=..., direction=...)"
            )
        if isinstance(gate.margin, bool) or not isinstance(gate.margin, (int, float)):
            raise invalid(self, "quality_gate.margin", gate.margin, "a number >= 0")
        if not math.isfinite(gate.margin) or gate.margin < 0:
            raise invalid(self, "quality_gate.margin", gate.margin, "a finite number >= 0")
        metric, direction = gate.metric_name, gate.direction
        if tuning is not None:
            metric = metric or tuning.objective.metric_name
            direction = direction or tuning.objective.type
            if metric != tuning.objective.metric_name:
                raise invalid(
                    self,
                    "quality_gate.metric_name",
                    metric,
                    f"the tuning objective '{tuning.objective.metric_name}' (the best job is chosen by it)",
                )
        if not metric or not direction:
            raise invalid(
                self,
                "quality_gate",
                gate,
                "metric_name and direction (ObjectiveType) with a single TrainingJob: a metric it reports",
            )
        if direction not in list(ObjectiveType):
            raise invalid(self, "quality_gate.direction", direction, "ObjectiveType.MAXIMIZE or MINIMIZE")
        self.gate = gate
        self.metric_name = metric
        self.direction = ObjectiveType(direction)
        self.tuning, self.training = tuning, training
        parts = python_function(
            self,
            "Function",
            handler="quality_gate.handler",
            description=f"Compares new models with the production model of {registry.node.path}",
            encryption_key=encryption_key,
            timeout=Duration.seconds(30),
            memory_size=256,
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.function, self.role, self.log_group = parts.function, parts.role, parts.log_group
        registry.grant_read(self.role)
        if tuning is None and training is not None:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["sagemaker:DescribeTrainingJob"], resources=[training.job_arn_pattern]
                )
            )
        self.registry = registry

    def task(self, scope: Construct, id: str, *, result_path: str = "$.gate") -> tasks.LambdaInvoke:
        """Compare the candidate (the tuning job's best objective at ``$.tuning``, or the
        training job at ``$.best``) with production; ``result_path`` gets ``passed``, ``reason``
        and ``candidate`` (the value recorded with the new version)."""
        payload: dict[str, object] = {
            "group": self.registry.name,
            "metric_name": self.metric_name,
            "direction": self.direction.value,
            "margin": self.gate.margin,
        }
        if self.tuning is not None:
            payload["candidate.$"] = "$.tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric"
        else:
            payload["training_job_name.$"] = "$.best.TrainingJobName"
        return tasks.LambdaInvoke(
            scope,
            id,
            lambda_function=self.function,
            comment=f"Better than production? ({self.metric_name}, margin {self.gate.margin:g})",
            payload=sfn.TaskInput.from_object(payload),
            result_selector={
                "passed.$": "$.Payload.passed",
                "reason.$": "$.Payload.reason",
                "candidate.$": "$.Payload.candidate",
            },
            result_path=result_path,
        )
