"""Python Lambda functions built the library's way.

Each function gets its own role (no AWS managed policies), an explicit KMS-encrypted log group
with retention (not CDK's ``log_retention`` custom resource), KMS-encrypted environment
variables, and the latest Python runtime. The code is the library's ``runtime`` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .iam import depend_on_role_policy
from .logs import DEFAULT_LOG_RETENTION, secure_log_group

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
PYTHON_RUNTIME = lambda_.Runtime.PYTHON_3_14
# What the Lambda bundle leaves out: Spark scripts and notebook lifecycle scripts run elsewhere.
_EXCLUDE = ["spark", "lifecycle", "**/__pycache__", "*.pyc"]


def runtime_code() -> lambda_.Code:
    """The library's ``runtime`` package as a Lambda asset (stdlib + boto3 code only)."""
    return lambda_.Code.from_asset(str(RUNTIME_DIR), exclude=_EXCLUDE)


@dataclass(frozen=True)
class PythonFunctionParts:
    function: lambda_.Function
    role: iam.Role
    log_group: logs.LogGroup


def python_function(
    scope: Construct,
    id: str,
    *,
    handler: str,
    description: str,
    encryption_key: kms.IKey,
    environment: dict[str, str] | None = None,
    timeout: Duration = Duration.minutes(1),
    memory_size: int = 512,
    retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    code: lambda_.Code | None = None,
) -> PythonFunctionParts:
    """A Lambda function running ``handler`` from the runtime package (or ``code``)."""
    role = iam.Role(
        scope,
        f"{id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Execution role of {description}",
    )
    log_group = secure_log_group(
        scope,
        f"{id}Logs",
        encryption_key=encryption_key,
        retention=retention,
        removal_policy=removal_policy,
    )
    function = lambda_.Function(
        scope,
        id,
        runtime=PYTHON_RUNTIME,
        architecture=lambda_.Architecture.ARM_64,
        handler=handler,
        code=code or runtime_code(),
        description=description,
        role=role,
        timeout=timeout,
        memory_size=memory_size,
        environment=environment or {},
        environment_encryption=encryption_key,
        log_group=log_group,
    )
    # The role writes only to its own log group (what AWSLambdaBasicExecutionRole would allow
    # on every group in the account).
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    depend_on_role_policy(function, role)
    return PythonFunctionParts(function=function, role=role, log_group=log_group)
