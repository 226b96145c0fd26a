"""ApprovedModelDeployment: approving a model version in the registry deploys exactly that version."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import DEFAULT_LOG_RETENTION, invalid
from ..core.alarms import alarm_at_least
from ..core.state_machines import secure_state_machine
from ..ml.batch_transform import BatchTransform
from ..ml.model_endpoint import ModelEndpoint
from ..ml.model_monitor import ModelMonitor
from ..ml.model_registry import ApprovalStatus, ModelPackageGroup
from ..ml.training_job import TrainingJob
from ._states import caught, chain_of, deploy_steps, grant_deploy_steps, grant_publish, notify


class ApprovedModelDeployment(Construct):
    """A state machine started by EventBridge when a version of ``model_registry`` becomes
    ``Approved`` (``SageMaker Model Package State Change``): it deploys that version's model to
    ``endpoint`` and/or scores with it (``batch``).

    The event is only a trigger: the machine reads the version back (``DescribeModelPackage``)
    and deploys it only if it is still ``Approved`` and is the newest approved version of the
    group; a version approved after a newer one (superseded), or rejected again meanwhile, is
    never deployed (the execution succeeds with a notice saying why). A rolled-back endpoint
    update rejects the version. Failures are notified and fail the execution.

    :class:`MlWorkflow` creates one with ``approval=ApprovalMode.MANUAL``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model_registry: ModelPackageGroup,
        training: TrainingJob,
        endpoint: ModelEndpoint | None = None,
        batch: BatchTransform | None = None,
        monitor: ModelMonitor | None = None,
        notification_topic: sns.ITopic,
        topic_key: kms.IKey | None,
        encryption_key: kms.IKey,
        timeout: Duration = Duration.hours(6),
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
    ) -> None:
        super().__init__(scope, id)
        if endpoint is None and batch is None:
            raise invalid(self, "endpoint/batch", None, "at least one place to deploy an approved model")
        self.model_registry, self.endpoint, self.batch = model_registry, endpoint, batch
        self.notification_topic = notification_topic
        message = {
            "deployment": self.node.path,
            "execution.$": "$$.Execution.Id",
            "modelPackageArn.$": "$.package.ModelPackageArn",
        }
        steps = deploy_steps(
            self,
            batch=batch,
            endpoint=endpoint,
            training=training,
            model_data_path="$.package.ModelDataUrl",
            image_path="$.package.Image",
            registry=model_registry,
            package_arn_path="$.package.ModelPackageArn",
            monitor=monitor,
        )
        deployed = notify(self, "NotifyDeployed", notification_topic, "Approved model deployed", message)
        skipped = notify(
            self,
            "NotifySkipped",
            notification_topic,
            "Approved model not deployed",
            {
                **message,
                "reason": "The version is no longer Approved, or a newer version was approved since: "
                "only the newest approved version is deployed",
            },
        )
        current = sfn.Pass(
            self,
            "IsNewestApproved",
            comment="Is this version the newest approved one of its group?",
            parameters={
                "newest.$": "States.ArrayContains($.latest.ModelPackageArns, $.package.ModelPackageArn)"
            },
            result_path="$.check",
        )
        decide = (
            sfn.Choice(self, "DeployIt?")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.string_equals(
                        "$.package.ModelApprovalStatus", ApprovalStatus.APPROVED.value
                    ),
                    sfn.Condition.boolean_equals("$.check.newest", True),
                ),
                chain_of([*steps, deployed]),
            )
            .otherwise(skipped)
        )
        chain = (
            sfn.Chain.start(model_registry.describe_task(self, "ReadVersion"))
            .next(model_registry.latest_approved_task(self, "NewestApproved"))
            .next(current)
            .next(decide)
        )
        body = caught(
            self,
            chain,
            topic=notification_topic,
            subject="Approved model deployment failed",
            message={"deployment": self.node.path, "execution.$": "$$.Execution.Id", "error.$": "$.error"},
            fail_error="ApprovedModelDeploymentFailed",
        )
        self.state_machine, self.log_group = secure_state_machine(
            self,
            "StateMachine",
            definition=body,
            encryption_key=encryption_key,
            timeout=timeout,
            removal_policy=removal_policy,
            retention=log_retention,
            purpose=f"Deploys the approved versions of {model_registry.node.path}",
        )
        role = self.state_machine.role
        model_registry.grant_read(role)
        grant_deploy_steps(role, batch=batch, endpoint=endpoint, registry=model_registry, monitor=monitor)
        grant_publish(role, notification_topic, topic_key)
        self.rule = events.Rule(
            self,
            "Approved",
            description=f"A version of {model_registry.node.path} was approved: deploy it",
            event_pattern=model_registry.approved_event_pattern(),
            targets=[targets.SfnStateMachine(self.state_machine)],
        )
        self.failure_alarm = alarm_at_least(
            self,
            "FailedAlarm",
            self.state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
            description=f"A deployment of an approved model by {self.node.path} failed",
            topic=notification_topic,
        )
