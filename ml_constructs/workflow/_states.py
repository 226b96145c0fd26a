"""States and grants the workflow's state machines share: retries, notices, the deploy steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..ml.batch_transform import BatchTransform
from ..ml.model_endpoint import ROLLED_BACK, ModelEndpoint
from ..ml.model_monitor import ModelMonitor
from ..ml.model_registry import ApprovalStatus, ModelPackageGroup
from ..ml.training_job import TrainingJob

# Errors worth retrying: throttling and transient service faults of the task integrations.
RETRYABLE_ERRORS = (
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "SageMaker.AmazonSageMakerException",
    "Glue.ConcurrentRunsExceededException",
    "Glue.ThrottlingException",
    "States.Timeout",
)


def notify(
    scope: Construct, id: str, topic: sns.ITopic, subject: str, message: dict[str, Any]
) -> tasks.SnsPublish:
    """An SNS notice whose result is discarded (the state's input passes through)."""
    return tasks.SnsPublish(
        scope,
        id,
        topic=topic,
        subject=subject,
        message=sfn.TaskInput.from_object(message),
        result_path=sfn.JsonPath.DISCARD,
    )


def caught(
    scope: Construct,
    chain: sfn.IChainable,
    *,
    topic: sns.ITopic,
    subject: str,
    message: dict[str, Any],
    fail_error: str,
) -> sfn.Parallel:
    """``chain`` as the one branch of a Parallel ``Pipeline``: every task retries throttling and
    transient faults with exponential backoff; any failure is notified with its cause and ends
    the execution in a Fail state (``fail_error``)."""
    body = sfn.Parallel(scope, "Pipeline", comment="The stages, caught as one", result_path="$.pipeline")
    body.branch(chain)
    add_retries(chain)
    failed = notify(scope, "NotifyFailure", topic, subject, message).next(
        sfn.Fail(scope, "Failed", error=fail_error, cause_path="$.error.Cause")
    )
    body.add_catch(failed, errors=["States.ALL"], result_path="$.error")
    return body


def add_retries(chain: sfn.IChainable) -> None:
    """Retry throttling and transient faults, with exponential backoff, on every task reachable
    from ``chain`` (not inside nested Parallel branches: call it on those before wrapping)."""
    for state in sfn.State.find_reachable_states(chain.start_state, include_error_handlers=True):
        if isinstance(state, (sfn.TaskStateBase, sfn.CustomState)):
            state.add_retry(
                errors=list(RETRYABLE_ERRORS),
                interval=Duration.seconds(10),
                backoff_rate=2.0,
                max_attempts=4,
                jitter_strategy=sfn.JitterType.FULL,
            )


def grant_publish(role: iam.IRole, topic: sns.ITopic, key: kms.IKey | None) -> None:
    """Exactly what publishing to ``topic`` (KMS-encrypted with ``key``) needs (grant_publish
    would add kms:GenerateDataKey*)."""
    if key is None:
        topic.grant_publish(role)
        return
    role.add_to_principal_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn]))
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn])
    )


def deploy_steps(
    scope: Construct,
    *,
    batch: BatchTransform | None,
    endpoint: ModelEndpoint | None,
    training: TrainingJob,
    model_data_path: str,
    image_path: str,
    registry: ModelPackageGroup | None,
    package_arn_path: str | None,
    monitor: ModelMonitor | None = None,
) -> list[sfn.IChainable]:
    """Score with ``batch`` and/or deploy to ``endpoint`` the model at ``model_data_path``.

    With a ``monitor``: the data-quality baseline of the features the model was trained on is
    computed before the rollout, and the monitoring schedule is created (or pointed at the
    current job definition) after it: the endpoint name is stable, so the schedule survives
    every later deploy.

    A rolled-back endpoint update (the endpoint's alarms fired) rejects the registered version
    (at ``package_arn_path``) so that it is never taken for the production model, notifies, and
    fails with ``EndpointDeploymentRolledBack``.
    """
    steps: list[sfn.IChainable] = []
    if batch is not None:
        steps.append(
            batch.create_model_task(
                scope, "BatchModel", training=training, image_path=image_path, model_data_path=model_data_path
            )
        )
        steps.append(batch.task(scope, "Score", model_name="$.model.ModelName"))
    if endpoint is not None:
        if monitor is not None:
            steps.append(monitor.baseline_task(scope, "Baseline"))
        deploy = endpoint.deploy_tasks(scope, "Deploy", model_data_path=model_data_path)
        if registry is None or package_arn_path is None:
            steps.append(deploy)
        else:
            steps.append(_rejecting_rollback(scope, deploy, registry, package_arn_path, endpoint))
        if monitor is not None:
            steps.append(monitor.schedule_tasks(scope, "MonitorSchedule"))
    return steps


def grant_deploy_steps(
    role: iam.IRole,
    *,
    batch: BatchTransform | None,
    endpoint: ModelEndpoint | None,
    registry: ModelPackageGroup | None,
    monitor: ModelMonitor | None = None,
) -> None:
    """Let ``role`` run :func:`deploy_steps` with the same arguments."""
    if batch is not None:
        batch.grant_run(role)
        batch.grant_create_model(role)
    if endpoint is not None:
        endpoint.grant_deploy(role)
        if registry is not None:
            registry.grant_update_status(role)  # reject a rolled-back version
        if monitor is not None:
            monitor.grant_baseline(role)
            monitor.grant_schedule(role)


def _rejecting_rollback(
    scope: Construct,
    deploy: sfn.Chain,
    registry: ModelPackageGroup,
    package_arn_path: str,
    endpoint: ModelEndpoint,
) -> sfn.Parallel:
    # A Parallel of its own: its catch keeps the state (the package ARN) next to the error.
    rollout = sfn.Parallel(
        scope, "Rollout", comment=f"Deploy to {endpoint.endpoint_name}", result_path=sfn.JsonPath.DISCARD
    )
    add_retries(deploy)
    rollout.branch(deploy)
    reject = registry.update_status_task(
        scope,
        "RejectRolledBack",
        status=ApprovalStatus.REJECTED,
        package_arn_path=package_arn_path,
        description_path="$.rollback.Cause",
    )
    rollout.add_catch(
        reject.next(sfn.Fail(scope, "RolledBack", error=ROLLED_BACK, cause_path="$.rollback.Cause")),
        errors=[ROLLED_BACK],
        result_path="$.rollback",
    )
    return rollout


def chain_of(steps: Sequence[sfn.IChainable]) -> sfn.Chain:
    chain = sfn.Chain.start(steps[0])
    for step in steps[1:]:
        chain = chain.next(step)
    return chain
