"""Step Functions state machines built the library's way."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .iam import depend_on_role_policy
from .logs import DEFAULT_LOG_RETENTION, secure_log_group
from .nag import acknowledge_wildcards


def secure_state_machine(
    scope: Construct,
    id: str,
    *,
    definition: sfn.IChainable,
    encryption_key: kms.IKey,
    timeout: Duration,
    purpose: str,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
) -> tuple[sfn.StateMachine, logs.LogGroup]:
    """A standard state machine with ALL-level logs in an encrypted group and X-Ray tracing.

    Returns the machine and its log group (``<id>Logs``). The role's log-delivery and X-Ray
    wildcards are acknowledged: those APIs support no resource-level permissions.
    """
    log_group = secure_log_group(
        scope,
        f"{id}Logs",
        encryption_key=encryption_key,
        retention=retention,
        removal_policy=removal_policy,
    )
    machine = sfn.StateMachine(
        scope,
        id,
        comment=purpose,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        timeout=timeout,
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        removal_policy=removal_policy,
    )
    depend_on_role_policy(machine, machine.role)
    acknowledge_wildcards(
        machine.role,
        "Step Functions log delivery (logs:*LogDelivery, logs:PutResourcePolicy, "
        "logs:Describe*) and X-Ray (xray:PutTraceSegments, ...) support no resource-level "
        f"permissions; this role belongs to the state machine of {scope.node.path} only.",
        resources=["*"],
    )
    return machine, log_group
