"""MlWorkflow: ETL -> tune (or train) -> model -> endpoint and/or batch transform -> notify."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import DEFAULT_LOG_RETENTION, check_range, check_s3_prefix, invalid
from ..core.alarms import alarm_at_least
from ..core.buckets import warn_unless_event_bridge
from ..core.nag import acknowledge_wildcards
from ..core.state_machines import secure_state_machine
from ..core.topics import service_publishable_topic
from ..core.validation import check_construct_id
from ..ml.batch_transform import BatchTransform
from ..ml.hyperparameter_tuning import HyperparameterTuning
from ..ml.model_endpoint import ModelEndpoint
from ..ml.model_monitor import ModelMonitor
from ..ml.model_registry import ApprovalStatus, ModelPackageGroup
from ..ml.training_job import TrainingJob
from ..store.data_lake import DataLake, Zone
from ._states import (
    RETRYABLE_ERRORS,
    caught,
    chain_of,
    deploy_steps,
    grant_deploy_steps,
    grant_publish,
    notify,
)
from .approved_deployment import ApprovedModelDeployment
from .quality_gate import METADATA_METRIC, METADATA_VALUE, ModelComparison, QualityGate

__all__ = ["RETRYABLE_ERRORS", "ApprovalMode", "EtlStep", "MlWorkflow", "NewDataTrigger"]


class ApprovalMode(StrEnum):
    """What happens to a new model that passes the quality gate (or every new model, without one).

    ``AUTOMATIC``: registered ``Approved`` and deployed by the same execution.
    ``MANUAL``: registered ``PendingManualApproval``; the execution ends. Approving the version
    in the model registry starts the workflow's deployment state machine, which deploys exactly
    that version (unless a newer one was approved meanwhile).
    """

    AUTOMATIC = "automatic"
    MANUAL = "manual"


class EtlStep(Protocol):
    """What the workflow needs of an ETL construct (``GlueEtlJob``, ``SparkServerlessJob``)."""

    def start_task(self, scope: Construct, id: str) -> sfn.IChainable: ...


@dataclass(frozen=True)
class NewDataTrigger:
    """Start the workflow when objects land under ``prefix`` of ``zone`` (default processed)."""

    prefix: str
    zone: Zone = Zone.PROCESSED


class MlWorkflow(Construct):
    """A Step Functions state machine that runs the ML lifecycle from data to predictions.

    ``Input`` (execution input over defaults) -> optional guard (skip when another execution is
    running) -> ``etl`` (and its crawler) -> ``tuning`` (then the best job's artifacts) or ``training`` ->
    optional ``quality_gate`` (is the new model better than the production one?) -> model
    registration -> ``batch`` transform and/or ``endpoint`` deployment -> SNS notice. Every task
    retries throttling and transient faults with exponential backoff; any failure is caught,
    notified with its cause, and ends the execution in a Fail state. Logs (ALL, to an encrypted
    log group) and X-Ray tracing are on. An alarm fires on failed executions. See
    ``docs/model_governance.md`` for the decision flow.

    Governance: a model that loses the gate is registered ``Rejected`` with the reason, nothing
    is deployed, and the execution succeeds with a "not better" notice. With ``approval``
    ``AUTOMATIC`` (default) a winner is registered ``Approved`` and deployed; with ``MANUAL`` it
    is registered ``PendingManualApproval`` and approving it in the registry starts
    :attr:`deployment` (an :class:`ApprovedModelDeployment`). Every version records its
    objective value (customer metadata ``ObjectiveMetric`` / ``ObjectiveValue``) for later
    gates. An endpoint update that SageMaker rolls back (the endpoint's alarms fired during a
    :class:`Rollout`) rejects the version and fails the execution (``EndpointDeploymentRolledBack``).

    Execution input may override static ``hyperparameters`` (an object of strings) and
    ``training_instance_type``, e.g. ``{"hyperparameters": {"num_round": "200"}}``; overriding
    a tuned one fails the execution (``TunedHyperparameterOverride``) before any job starts.

    Args:
        lake: the data lake (key, new-data trigger bucket).
        etl: a ``GlueEtlJob`` or ``SparkServerlessJob`` run first (optional).
        tuning / training: tune (``HyperparameterTuning``), or train once (``TrainingJob``);
            exactly one.
        model_registry: register every new model (``ModelPackageGroup``); needed by
            ``quality_gate`` and manual approval.
        endpoint: a ``ModelEndpoint`` with ``model_data=None``; the workflow deploys to it.
        batch: a ``BatchTransform`` scoring the processed zone with the new model.
            At least one of endpoint, batch and model_registry.
        approval: :class:`ApprovalMode` (default ``AUTOMATIC``).
        quality_gate: a :class:`QualityGate` (default none: every new model is deployed).
        monitor: a ``ModelMonitor`` of ``endpoint``: its baseline is computed before each
            deploy and its schedule created after the first (default none).
        schedule: an EventBridge schedule (e.g. ``events.Schedule.rate(Duration.days(1))``).
        new_data: start when new objects land in the lake (:class:`NewDataTrigger`).
        skip_if_running: with triggers, an execution ends early when another is running
            (default True), so a burst of new files starts one run, not hundreds.
        crawl_after_etl: start the ETL job's crawler after it (when it has one), so the Glue
            catalog (and Athena) sees the new feature tables (default True).
        notification_topic: SNS topic for success/failure notices (default: a new KMS topic).
        timeout: the whole execution's limit (default 24 h; 1 min - 1 year).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake,
        etl: EtlStep | None = None,
        tuning: HyperparameterTuning | None = None,
        training: TrainingJob | None = None,
        model_registry: ModelPackageGroup | None = None,
        endpoint: ModelEndpoint | None = None,
        batch: BatchTransform | None = None,
        approval: ApprovalMode = ApprovalMode.AUTOMATIC,
        quality_gate: QualityGate | None = None,
        monitor: ModelMonitor | None = None,
        schedule: events.Schedule | None = None,
        new_data: NewDataTrigger | None = None,
        skip_if_running: bool = True,
        crawl_after_etl: bool = True,
        notification_topic: sns.ITopic | None = None,
        encryption_key: kms.IKey | None = None,
        timeout: Duration = Duration.hours(24),
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        check_construct_id(scope, id, "MlWorkflow")
        super().__init__(scope, id)
        if (tuning is None) == (training is None):
            raise invalid(
                self,
                "tuning/training",
                (tuning and tuning.node.path, training and training.node.path),
                "exactly one of them: a HyperparameterTuning or a single TrainingJob",
            )
        if endpoint is None and batch is None and model_registry is None:
            raise invalid(
                self,
                "endpoint/batch/model_registry",
                None,
                "at least one place for the model: deploy, score or register",
            )
        if approval not in list(ApprovalMode):
            raise invalid(self, "approval", approval, "ApprovalMode.AUTOMATIC or ApprovalMode.MANUAL")
        self.approval = ApprovalMode(approval)
        if model_registry is None and self.approval is ApprovalMode.MANUAL:
            raise invalid(self, "approval", "manual", "a model_registry to approve versions in")
        if model_registry is None and quality_gate is not None:
            raise invalid(
                self,
                "quality_gate",
                quality_gate,
                "a model_registry (the production model's metric is kept there)",
            )
        if monitor is not None and monitor.endpoint is not endpoint:
            raise invalid(
                self,
                "monitor",
                monitor.node.path,
                "a ModelMonitor of the workflow's endpoint (it computes the baseline before each "
                "deploy and schedules the monitoring after it)",
            )
        if endpoint is not None and endpoint.model is not None:
            raise invalid(
                self,
                "endpoint",
                endpoint.node.path,
                "a ModelEndpoint created with model_data=None (the workflow deploys its models)",
            )
        check_range(self, "timeout", timeout.to_seconds(), minimum=60, maximum=31_536_000, unit="seconds")
        if new_data is not None:
            check_s3_prefix(self, "new_data.prefix", new_data.prefix)
            if not new_data.prefix:
                raise invalid(self, "new_data.prefix", new_data.prefix, "a non-empty key prefix")
        self.lake = lake
        self.etl, self.tuning, self.training = etl, tuning, training
        self.endpoint, self.batch, self.model_registry = endpoint, batch, model_registry
        key = encryption_key or lake.encryption_key
        removal = removal_policy or lake.removal_policy
        job = tuning.training if tuning is not None else training
        assert job is not None

        # A topic of its own lets the failure alarm (CloudWatch) publish and use ``key`` for it.
        self.notification_topic = notification_topic or service_publishable_topic(
            self, "Notifications", key=key, display_name=f"ML workflow {self.node.path}"
        )

        # -- the states ----------------------------------------------------------------------
        defaults = {"hyperparameters": {}, "training_instance_type": job.instance_type}
        literal = json.dumps(defaults, separators=(",", ":"), sort_keys=True).replace("'", "\\'")
        start = sfn.Pass(
            self,
            "Input",
            comment="Execution input over the defaults",
            parameters={"input.$": f"States.JsonMerge(States.StringToJson('{literal}'), $, false)"},
            output_path="$.input",
        )
        steps: list[sfn.IChainable] = []
        if tuning is not None:  # reject bad overrides before any job runs
            steps.append(
                tuning.overrides_check(self, "CheckOverrides", hyperparameters_path="$.hyperparameters")
            )
        if etl is not None:
            steps.append(etl.start_task(self, "Etl"))
            crawl = getattr(etl, "crawl_task", None)
            if crawl_after_etl and callable(crawl) and getattr(etl, "crawler", None) is not None:
                steps.append(self._crawl_states(crawl(self, "Crawl")))
        if tuning is not None:
            steps.append(
                tuning.task(
                    self,
                    "Tune",
                    hyperparameters_path="$.hyperparameters",
                    instance_type_path="$.training_instance_type",
                )
            )
            steps.append(tuning.best_training_job_task(self, "BestModel", result_path="$.best"))
        else:
            assert training is not None
            steps.append(
                training.task(
                    self,
                    "Train",
                    hyperparameters_path="$.hyperparameters",
                    instance_type_path="$.training_instance_type",
                    result_path="$.best",
                )
            )
        # -- after training: gate, register, deploy ------------------------------------------
        self.comparison: ModelComparison | None = None
        if quality_gate is not None:
            assert model_registry is not None
            self.comparison = ModelComparison(
                self,
                "QualityGate",
                gate=quality_gate,
                registry=model_registry,
                tuning=tuning,
                training=training,
                encryption_key=key,
                removal_policy=removal,
                log_retention=log_retention,
            )
        metadata = self._objective_metadata()
        succeeded = notify(
            self,
            "NotifySuccess",
            self.notification_topic,
            "ML workflow succeeded",
            {
                "workflow": self.node.path,
                "execution.$": "$$.Execution.Id",
                "model.$": "$.best.ModelArtifacts",
            },
        )
        # With manual approval, scoring and deploying are the deployment machine's (below).
        automatic = self.approval is ApprovalMode.AUTOMATIC
        own_batch, own_endpoint = (batch, endpoint) if automatic else (None, None)
        awaits_approval = not automatic and (endpoint is not None or batch is not None)
        accepted_status = ApprovalStatus.APPROVED if automatic else ApprovalStatus.PENDING_MANUAL_APPROVAL
        model_steps = deploy_steps(
            self,
            batch=own_batch,
            endpoint=own_endpoint,
            training=job,
            model_data_path="$.best.ModelArtifacts",
            image_path="$.best.TrainingImage",
            registry=model_registry,
            package_arn_path="$.registered.ModelPackageArn" if model_registry is not None else None,
            monitor=monitor,
        )
        accepted: list[sfn.IChainable] = []
        if model_registry is not None:
            accepted.append(
                model_registry.register_task(
                    self,
                    "Register",
                    approval=accepted_status,
                    metadata=metadata,
                )
            )
            if self.comparison is not None:  # the verdict, for the registry's audit trail
                accepted.append(
                    model_registry.update_status_task(
                        self,
                        "RecordVerdict",
                        status=ApprovalStatus.APPROVED
                        if automatic
                        else ApprovalStatus.PENDING_MANUAL_APPROVAL,
                        description_path="$.gate.reason",
                    )
                )
            if awaits_approval:
                succeeded = notify(
                    self,
                    "NotifyPendingApproval",
                    self.notification_topic,
                    "ML workflow: a new model awaits approval",
                    {
                        "workflow": self.node.path,
                        "execution.$": "$$.Execution.Id",
                        "modelPackageArn.$": "$.registered.ModelPackageArn",
                        "approve": "Set its ModelApprovalStatus to Approved (SageMaker Model Registry); "
                        "the approved version is then deployed",
                    },
                )
        accepted += [*model_steps, succeeded]
        after_training: sfn.IChainable = chain_of(accepted)
        if self.comparison is not None:
            assert model_registry is not None
            rejected = (
                model_registry.register_task(
                    self, "RegisterRejected", approval=ApprovalStatus.REJECTED, metadata=metadata
                )
                .next(
                    model_registry.update_status_task(
                        self,
                        "RecordRejection",
                        status=ApprovalStatus.REJECTED,
                        description_path="$.gate.reason",
                    )
                )
                .next(
                    notify(
                        self,
                        "NotifyRejected",
                        self.notification_topic,
                        "ML workflow: the new model is not better; production unchanged",
                        {
                            "workflow": self.node.path,
                            "execution.$": "$$.Execution.Id",
                            "reason.$": "$.gate.reason",
                            "modelPackageArn.$": "$.registered.ModelPackageArn",
                        },
                    )
                )
            )
            after_training = sfn.Chain.start(self.comparison.task(self, "CompareWithProduction")).next(
                sfn.Choice(self, "BetterThanProduction?")
                .when(sfn.Condition.boolean_equals("$.gate.passed", True), after_training)
                .otherwise(rejected)
            )
        steps.append(after_training)
        body = caught(
            self,
            chain_of(steps),
            topic=self.notification_topic,
            subject="ML workflow failed",
            message={"workflow": self.node.path, "execution.$": "$$.Execution.Id", "error.$": "$.error"},
            fail_error="MlWorkflowFailed",
        )
        definition: sfn.IChainable
        self._guarded = skip_if_running and (schedule is not None or new_data is not None)
        if self._guarded:
            running = sfn.CustomState(
                self,
                "RunningExecutions",
                state_json={
                    "Type": "Task",
                    "Comment": "How many executions of this state machine are running",
                    "Resource": f"arn:{Stack.of(self).partition}:states:::aws-sdk:sfn:listExecutions",
                    "Parameters": {
                        "StateMachineArn.$": "$$.StateMachine.Id",
                        "StatusFilter": "RUNNING",
                        "MaxResults": 2,
                    },
                    "ResultSelector": {"count.$": "States.ArrayLength($.Executions)"},
                    "ResultPath": "$.running",
                },
            )
            skip = sfn.Succeed(self, "AlreadyRunning", comment="Another execution is at work")
            definition = (
                sfn.Chain.start(start)
                .next(running)
                .next(
                    sfn.Choice(self, "OnlyExecution?")
                    .when(sfn.Condition.number_greater_than("$.running.count", 1), skip)
                    .otherwise(body)
                )
            )
        else:
            definition = sfn.Chain.start(start).next(body)

        self.state_machine, self.log_group = secure_state_machine(
            self,
            "StateMachine",
            definition=definition,
            encryption_key=key,
            timeout=timeout,
            removal_policy=removal,
            retention=log_retention,
            purpose=f"ML workflow {self.node.path}: ETL, tune/train, deploy",
        )
        role = self.state_machine.role
        if tuning is not None:
            tuning.grant_run(role)
        else:
            assert training is not None
            training.grant_run(role)
        if model_registry is not None:
            model_registry.grant_register(role)
            if self.comparison is not None:
                model_registry.grant_update_status(role)  # the gate's verdict
        grant_deploy_steps(
            role, batch=own_batch, endpoint=own_endpoint, registry=model_registry, monitor=monitor
        )
        if self.comparison is not None:
            # The LambdaInvoke task grants lambda:InvokeFunction on the function and its versions.
            acknowledge_wildcards(
                role,
                f"The quality gate function of {self.node.path} and its versions/aliases (CDK's "
                "LambdaInvoke task grant): one function.",
                resources=[f"{self.comparison.function.function_arn}:*"],
            )
        grant_etl = getattr(etl, "grant_start_run", None)
        if callable(grant_etl):
            grant_etl(role)
        topic_key = key if notification_topic is None else getattr(notification_topic, "master_key", None)
        grant_publish(role, self.notification_topic, topic_key)

        # -- manual approval: approving a version in the registry deploys it -----------------
        self.deployment: ApprovedModelDeployment | None = None
        if awaits_approval:
            assert model_registry is not None
            self.deployment = ApprovedModelDeployment(
                self,
                "Deployment",
                model_registry=model_registry,
                training=job,
                endpoint=endpoint,
                batch=batch,
                monitor=monitor,
                notification_topic=self.notification_topic,
                topic_key=topic_key,
                encryption_key=key,
                removal_policy=removal,
                log_retention=log_retention,
            )
        if self._guarded:
            # A policy of its own: the machine's default policy cannot name the machine's ARN
            # (the machine depends on that policy).
            iam.Policy(
                self,
                "GuardPolicy",
                roles=[role],
                statements=[
                    iam.PolicyStatement(
                        actions=["states:ListExecutions"], resources=[self.state_machine.state_machine_arn]
                    )
                ],
            )

        # -- triggers ------------------------------------------------------------------------
        self.rules: list[events.Rule] = []
        if schedule is not None:
            self.rules.append(
                events.Rule(
                    self,
                    "Schedule",
                    schedule=schedule,
                    description=f"Runs {self.node.path} on a schedule",
                    targets=[targets.SfnStateMachine(self.state_machine)],
                )
            )
        if new_data is not None:
            bucket = lake.bucket(new_data.zone)
            warn_unless_event_bridge(self, bucket, f"The new-data trigger of {self.node.path}")
            self.rules.append(
                events.Rule(
                    self,
                    "NewData",
                    description=f"Runs {self.node.path} when data lands under {new_data.prefix}",
                    event_pattern=events.EventPattern(
                        source=["aws.s3"],
                        detail_type=["Object Created"],
                        detail={
                            "bucket": {"name": [bucket.bucket_name]},
                            "object": {"key": [{"prefix": new_data.prefix}]},
                        },
                    ),
                    targets=[targets.SfnStateMachine(self.state_machine)],
                )
            )

        self.failure_alarm = alarm_at_least(
            self,
            "FailedAlarm",
            self.state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
            description=f"An execution of {self.node.path} failed",
            topic=self.notification_topic,
        )

    def _objective_metadata(self) -> dict[str, str]:
        """What a registered version records of its objective, for a later quality gate."""
        if self.comparison is not None:
            return {
                METADATA_METRIC: self.comparison.metric_name,
                f"{METADATA_VALUE}.$": "States.Format('{}', $.gate.candidate)",
            }
        if self.tuning is not None:
            return {
                METADATA_METRIC: self.tuning.objective.metric_name,
                f"{METADATA_VALUE}.$": "States.Format('{}', "
                "$.tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value)",
            }
        return {}

    def _crawl_states(self, crawl: sfn.TaskStateBase) -> sfn.Chain:
        """The crawl, tolerant of a crawler still busy with an earlier run: retry for about 15
        minutes, then go on without it (training reads the features from S3, not the catalog;
        the next run's crawl picks the new partitions up)."""
        busy = ["Glue.CrawlerRunningException"]
        crawl.add_retry(errors=busy, interval=Duration.seconds(30), backoff_rate=2.0, max_attempts=5)
        skipped = sfn.Pass(
            self,
            "CrawlSkipped",
            comment="The crawler was still running an earlier crawl; the catalog catches up next run",
        )
        crawl.add_catch(skipped, errors=busy, result_path="$.crawl_skipped")
        return sfn.Chain.custom(crawl, [crawl, skipped], crawl)

    def grant_start(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start executions (e.g. a CI job after new data)."""
        return self.state_machine.grant_start_execution(grantee)

    def metric_failed(self, **props: Any) -> cloudwatch.Metric:
        return self.state_machine.metric_failed(**props)
