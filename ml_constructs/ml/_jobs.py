"""Shared pieces of the job constructs (training, tuning, transform, model registration).

SageMaker jobs have no CloudFormation resources: they run through Step Functions' optimized
SageMaker integrations. This module holds what every job construct needs: instance-type checks
against botocore's enums, job-name expressions, IAM grants for the ``.sync`` integrations, and
the small on-demand state machine (logging ALL to an encrypted log group, X-Ray tracing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aws_cdk import ArnFormat, Aws, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import invalid
from ..core.nag import acknowledge_wildcards
from ..core.naming import resource_name
from .service_model import enum_values

# NVIDIA GPU instance families SageMaker offers (Trainium/Inferentia are accelerators, not GPUs).
GPU_FAMILIES = frozenset(
    {
        "p2",
        "p3",
        "p3dn",
        "p4d",
        "p4de",
        "p5",
        "p5e",
        "p5en",
        "p6-b200",
        "p6-b300",
        "p6e-gb200",
        "g4dn",
        "g5",
        "g6",
        "g6e",
        "g7",
        "g7e",
    }
)
# Families whose storage is EBS only. Every other family has local NVMe instance storage, which
# SageMaker encrypts in hardware and for which it rejects a VolumeKmsKeyId.
EBS_ONLY_FAMILIES = frozenset(
    {
        "t3",
        "m4",
        "m5",
        "m6i",
        "m7i",
        "m7i-flex",
        "m8i",
        "m8i-flex",
        "c4",
        "c5",
        "c5n",
        "c6i",
        "c7i",
        "c7i-flex",
        "c8i",
        "c8i-flex",
        "r5",
        "r6i",
        "r7i",
        "r8i",
        "r8i-flex",
        "p2",
        "p3",
        # Graviton, network-optimised and Inferentia families without a "d" (local NVMe) variant
        "t2",
        "m6g",
        "m7g",
        "m8g",
        "c6g",
        "c6gn",
        "c7g",
        "c8g",
        "r6g",
        "r7g",
        "r8g",
        "c6in",
        "inf1",
        "inf2",
    }
)

# How long the .sync integrations may run: SageMaker's longest job runtime is 28 days.
MAX_JOB_SECONDS = 28 * 24 * 3600

_NAME_CHARS = re.compile(r"[^A-Za-z0-9-]")


def instance_family(instance_type: str) -> str:
    """``ml.g5.2xlarge`` -> ``g5``."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 else ""


def check_instance_type(scope: Construct, argument: str, value: str, shape_name: str) -> str:
    """Raise unless ``value`` is one of botocore's ``shape_name`` enum values (e.g.
    ``TrainingInstanceType``); return it."""
    allowed = enum_values(shape_name)
    if value not in allowed:
        families = sorted({instance_family(v) for v in allowed})
        hint = ""
        if isinstance(value, str) and not value.startswith("ml."):
            hint = f" (did you mean 'ml.{value}'?)" if f"ml.{value}" in allowed else ""
        raise invalid(
            scope,
            argument,
            value,
            f"a SageMaker {shape_name} such as {allowed[0]!r}{hint}; families: " + ", ".join(families),
        )
    return value


def check_gpu(scope: Construct, argument: str, value: str) -> None:
    """Raise unless ``value`` is an NVIDIA GPU instance type."""
    family = instance_family(value)
    if family not in GPU_FAMILIES:
        what = (
            "an AWS Trainium/Inferentia accelerator, not a GPU"
            if family.startswith(("trn", "inf"))
            else ("a CPU instance")
        )
        raise invalid(
            scope,
            argument,
            value,
            f"a GPU instance type with gpu=True ({value} is {what}); GPU families: "
            + ", ".join(sorted(GPU_FAMILIES)),
        )


def has_local_storage(instance_type: str) -> bool:
    """Whether SageMaker rejects a VolumeKmsKeyId for ``instance_type`` (local NVMe storage)."""
    return instance_family(instance_type) not in EBS_ONLY_FAMILIES


def job_name_prefix(scope: Construct, given: str | None, max_length: int, argument: str) -> str:
    """A job name prefix (letters, digits, '-'), unique to ``scope`` unless ``given``."""
    if given is None:
        return resource_name(scope, max_length=max_length).strip("-")
    if (
        not given
        or len(given) > max_length
        or _NAME_CHARS.search(given)
        or not re.fullmatch(r"[A-Za-z0-9](-*[A-Za-z0-9])*", given)
    ):
        raise invalid(
            scope,
            argument,
            given,
            f"1-{max_length} letters, digits and '-', starting and ending with a letter or digit",
        )
    return given


def unique_name_expression(prefix: str, *, short: bool = False) -> str:
    """A Step Functions intrinsic giving ``prefix-<uuid>`` (``prefix-<8 hex>`` when ``short``).

    A fresh UUID per evaluation keeps names unique across executions, retries and Map
    iterations; JSONPath intrinsics cannot cut or clean an execution name (up to 80 characters,
    '_' allowed) to SageMaker's 63 (tuning: 32) characters of ``[a-zA-Z0-9-]``.
    """
    if short:
        return (
            f"States.Format('{prefix}-{{}}', States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 0))"
        )
    return f"States.Format('{prefix}-{{}}', States.UUID())"


def intrinsic_string(text: str) -> str:
    """``text`` as a single-quoted intrinsic-function string literal (``'{}\\`` escaped)."""
    return "'" + re.sub(r"(['{}\\])", r"\\\1", text) + "'"


def result_path_value(result_path: str | None) -> str:
    """A state's ``ResultPath`` for ``state_json``: ``None`` (discard the result) becomes
    ``JsonPath.DISCARD``, which renders as JSON ``null``; CDK drops a Python ``None`` from
    ``CustomState`` JSON, and the default ``$`` would then replace the whole state."""
    return sfn.JsonPath.DISCARD if result_path is None else result_path


def merged_hyperparameters(defaults: Mapping[str, str], path: str) -> str:
    """An intrinsic merging the hyperparameters at ``path`` over ``defaults`` (shallow)."""
    literal = intrinsic_string(json.dumps(dict(defaults), separators=(",", ":"), sort_keys=True))
    return f"States.JsonMerge(States.StringToJson({literal}), {path}, false)"


def hyperparameter_strings(
    scope: Construct, argument: str, values: Mapping[str, Any] | None
) -> dict[str, str]:
    """Hyperparameters as SageMaker wants them: string keys and string values."""
    result: dict[str, str] = {}
    for key, value in (values or {}).items():
        if not isinstance(key, str) or not 1 <= len(key) <= 256:
            raise invalid(scope, argument, key, "names of 1-256 characters")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            text = str(value)
        else:
            raise invalid(scope, f"{argument}[{key!r}]", value, "a string, number or boolean")
        if len(text) > 2500:
            raise invalid(scope, f"{argument}[{key!r}]", text[:40] + "...", "at most 2500 characters")
        result[key] = text
    if len(result) > 100:
        raise invalid(scope, argument, f"{len(result)} entries", "at most 100 hyperparameters")
    return result


def sync_resource(operation: str, pattern: str = ".sync") -> str:
    """``arn:<partition>:states:::sagemaker:<operation><pattern>``."""
    return f"arn:{Aws.PARTITION}:states:::sagemaker:{operation}{pattern}"


def sdk_resource(action: str) -> str:
    """``arn:<partition>:states:::aws-sdk:sagemaker:<action>`` (an AWS SDK integration)."""
    return f"arn:{Aws.PARTITION}:states:::aws-sdk:sagemaker:{action}"


def task_state(
    scope: Construct,
    id: str,
    *,
    comment: str,
    resource: str,
    parameters: Mapping[str, Any],
    result_selector: Mapping[str, Any] | None = None,
    result_path: str | None = None,
    timeout_seconds: int | None = None,
) -> sfn.CustomState:
    """A Task state with a ``Parameters`` object as given (CDK's typed tasks cannot carry every
    request member). ``result_path`` None discards the result (the input passes through)."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Comment": comment,
        "Resource": resource,
        "Parameters": parameters,
    }
    if timeout_seconds is not None:
        state["TimeoutSeconds"] = timeout_seconds
    if result_selector is not None:
        state["ResultSelector"] = result_selector
    state["ResultPath"] = sfn.JsonPath.DISCARD if result_path is None else result_path
    return sfn.CustomState(scope, id, state_json=state)


def sagemaker_arn(scope: Construct, resource: str, name: str) -> str:
    """A SageMaker ARN; SageMaker writes resource names in ARNs in lowercase (and IAM compares
    ARNs case-sensitively), so ``name`` is lowercased."""
    from aws_cdk import Token

    if not Token.is_unresolved(name):
        name = name.lower()
    return Stack.of(scope).format_arn(service="sagemaker", resource=resource, resource_name=name)


def events_rule_arn(scope: Construct, rule: str) -> str:
    return Stack.of(scope).format_arn(service="events", resource="rule", resource_name=rule)


def grant_sync_job(
    grantee: iam.IGrantable,
    scope: Construct,
    *,
    actions: Iterable[str],
    resources: Iterable[str],
    events_rule: str | None,
    passed_role: iam.IRole | None,
    reason: str,
) -> None:
    """Let ``grantee`` run a SageMaker ``.sync`` integration on ``resources``.

    Adds the job actions, the EventBridge managed rule the ``.sync`` pattern polls through,
    and ``iam:PassRole`` of the job's execution role to SageMaker only.
    """
    resources = list(resources)
    principal = grantee.grant_principal
    principal.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=resources))
    if events_rule is not None:
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[events_rule_arn(scope, events_rule)],
            )
        )
    if passed_role is not None:
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[passed_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
    wildcards = [r for r in resources if "*" in r]
    if wildcards and isinstance(principal, Construct):
        acknowledge_wildcards(principal, reason, resources=wildcards)


def timeout_seconds(duration: Duration) -> int:
    return int(duration.to_seconds())


def check_duration(
    scope: Construct, argument: str, value: Duration, *, minimum: int = 1, maximum: int = MAX_JOB_SECONDS
) -> int:
    seconds = value.to_seconds()
    if not minimum <= seconds <= maximum:
        raise invalid(
            scope, argument, f"{seconds:g} seconds", f"{minimum}..{maximum} seconds{_readable(maximum)}"
        )
    return int(seconds)


def _readable(seconds: int) -> str:
    """`` (28 days)`` / `` (1 hour)`` for a limit in seconds, or nothing."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f" ({count} {unit}{'s' if count != 1 else ''})"
    return ""


def execution_input_pass(scope: Construct, id: str, defaults: Mapping[str, Any]) -> sfn.Pass:
    """A Pass state giving the execution input with ``defaults`` for keys it lacks (shallow)."""
    literal = intrinsic_string(json.dumps(dict(defaults), separators=(",", ":"), sort_keys=True))
    return sfn.Pass(
        scope,
        id,
        comment="Execution input over the defaults",
        parameters={"input.$": f"States.JsonMerge(States.StringToJson({literal}), $, false)"},
        output_path="$.input",
    )


def subnet_selection(subnets: ec2.SubnetSelection | None) -> dict[str, Any]:
    if subnets is None:
        return {}
    return {
        key: getattr(subnets, key)
        for key in (
            "availability_zones",
            "one_per_az",
            "subnet_filters",
            "subnet_group_name",
            "subnets",
            "subnet_type",
        )
        if getattr(subnets, key, None) is not None
    }


def name_field(field: str, given: str | None, generated: str) -> dict[str, str]:
    if given is None:
        return {f"{field}.$": generated}
    if given.startswith("$") or given.startswith("States."):
        return {f"{field}.$": given}
    return {field: given}


def grant_key_use(role: iam.Role, key: kms.IKey, *, volume: bool) -> None:
    """Encrypt/decrypt with ``key``; with ``volume``, let SageMaker create grants for EBS."""
    key.grant_encrypt_decrypt(role)
    if volume:
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:CreateGrant", "kms:DescribeKey"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )


def grant_job_logs_and_metrics(role: iam.Role, kind: str, path: str) -> None:
    """CloudWatch Logs under ``/aws/sagemaker/<kind>`` and metrics in that namespace."""
    stack = Stack.of(role)
    group = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=f"/aws/sagemaker/{kind}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            resources=[group],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}},
        )
    )
    acknowledge_wildcards(
        role,
        f"SageMaker writes the logs of the {kind} of {path} to log streams named after each job "
        "(unknown in advance) in its fixed log group, and cloudwatch:PutMetricData has no "
        "resource-level permissions (limited by the cloudwatch:namespace condition).",
        resources=[group, "*"],
    )


def grant_vpc_access(
    role: iam.Role, scope: Construct, subnet_ids: Sequence[str], groups: Sequence[ec2.ISecurityGroup]
) -> None:
    """The ENI permissions SageMaker needs to place instances in the VPC."""
    stack = Stack.of(scope)
    eni = stack.format_arn(service="ec2", resource="network-interface", resource_name="*")
    subnets = [stack.format_arn(service="ec2", resource="subnet", resource_name=s) for s in subnet_ids]
    sgs = [
        stack.format_arn(service="ec2", resource="security-group", resource_name=g.security_group_id)
        for g in groups
    ]
    role.add_to_policy(
        iam.PolicyStatement(
            actions=[
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            resources=[eni, *subnets, *sgs],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=[
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
            resources=["*"],
        )
    )
    acknowledge_wildcards(
        role,
        f"SageMaker creates the network interfaces of {scope.node.path} at run time (IDs unknown "
        "in advance; creation is limited to the given subnets and security groups), and the EC2 "
        "Describe* calls have no resource-level permissions.",
        resources=[eni, "*"],
    )


def https_only_security_group(
    scope: Construct,
    vpc: ec2.IVpc,
    description: str,
    egress: str = "HTTPS to S3 and ECR (endpoints or NAT)",
) -> ec2.SecurityGroup:
    """A security group (``SecurityGroup`` in ``scope``) with no inbound rule and HTTPS as the
    only way out: what containers that read S3 and pull images need, nothing more."""
    group = ec2.SecurityGroup(
        scope, "SecurityGroup", vpc=vpc, description=description, allow_all_outbound=False
    )
    group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), egress)
    return group


def vpc_placement(
    scope: Construct,
    vpc: ec2.IVpc | None,
    vpc_subnets: ec2.SubnetSelection | None,
    security_groups: Sequence[ec2.ISecurityGroup] | None,
    description: str,
) -> tuple[list[str], list[ec2.ISecurityGroup]]:
    """The subnet ids and security groups of containers placed in ``vpc`` (none without one).
    Given no groups, a new HTTPS-only group (:func:`https_only_security_group`)."""
    if vpc is None:
        if security_groups:
            raise invalid(scope, "security_groups", "given without vpc", "a vpc with them")
        return [], []
    selection = vpc.select_subnets(**subnet_selection(vpc_subnets))
    if not selection.subnet_ids:
        raise invalid(scope, "vpc_subnets", "no subnets", "a selection matching subnets of vpc")
    groups = list(security_groups or [https_only_security_group(scope, vpc, description)])
    return list(selection.subnet_ids), groups
