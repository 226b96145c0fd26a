"""The settings of a :class:`~ml_constructs.ml.model_endpoint.ModelEndpoint`: frozen dataclasses
and their synth-time checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, Duration, Token
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..core import DEFAULT_LOG_RETENTION, check_range, check_s3_prefix, invalid
from ..store.data_lake import Zone
from ._jobs import GPU_FAMILIES, instance_family
from .service_model import shape

S3_URL = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)")


@dataclass(frozen=True)
class ServerlessConfig:
    """A serverless variant: no instances, billed per request, scales to zero.

    ``memory_size_mb``: 1024-6144 in 1024 MB steps (default 2048); ``max_concurrency``: 1-200
    (default 5); ``provisioned_concurrency``: warm capacity, 1..``max_concurrency`` (default
    none). Serverless endpoints support neither VPC, network isolation, data capture, GPUs nor
    Application Auto Scaling of instances.
    """

    memory_size_mb: int = 2048
    max_concurrency: int = 5
    provisioned_concurrency: int | None = None


@dataclass(frozen=True)
class DataCapture:
    """Capture requests and responses to the data lake (for Model Monitor, drift, audits).

    Defaults: 20% of requests, input and output, to the curated zone under ``data-capture/``
    (SageMaker appends ``<endpoint>/<variant>/yyyy/mm/dd/hh/``), encrypted with the lake key;
    CSV and JSON payloads stored as text rather than base64.
    """

    sampling_percentage: int = 20
    zone: Zone = Zone.CURATED
    prefix: str = "data-capture/"
    capture_input: bool = True
    capture_output: bool = True
    csv_content_types: tuple[str, ...] = ("text/csv",)
    json_content_types: tuple[str, ...] = ("application/json",)


DEFAULT_DATA_CAPTURE = DataCapture()


@dataclass(frozen=True)
class Autoscaling:
    """Target tracking on ``SageMakerVariantInvocationsPerInstance`` (instance endpoints only).

    Keeps invocations per instance per minute near ``target_invocations_per_instance`` between
    ``min_capacity`` and ``max_capacity`` instances (defaults 1..4, target 100, scale out after
    1 minute, in after 5).
    """

    min_capacity: int = 1
    max_capacity: int = 4
    target_invocations_per_instance: int = 100
    scale_out_cooldown: Duration = Duration.minutes(1)
    scale_in_cooldown: Duration = Duration.minutes(5)


@dataclass(frozen=True)
class HttpsApi:
    """A public HTTPS API in front of the endpoint, for callers outside AWS.

    API Gateway REST API (regional) with IAM (SigV4) authorization, ``POST /invocations`` ->
    SageMaker ``InvokeEndpoint`` through an AWS service integration and a role allowed to invoke
    this endpoint only. Stage throttling (``rate_limit`` requests per second, ``burst_limit``),
    access logs and execution logs (errors) in KMS-encrypted log groups, X-Ray tracing, request
    validation (a ``Content-Type`` header, and the body against ``request_schema`` when given),
    and by default an AWS WAF web ACL (AWS managed common and known-bad-inputs rules, and at most
    ``requests_per_ip_per_5_minutes`` per client IP).

    ``account_logging_role``: API Gateway logs through one CloudWatch role per account and region
    (``AWS::ApiGateway::Account``). ``True`` (default) creates it once per stack (shared by every
    API of the stack, retained on stack deletion since other APIs may rely on it); set ``False``
    where the account already has one set up elsewhere.
    """

    stage_name: str = "v1"
    rate_limit: int = 50
    burst_limit: int = 100
    web_acl: bool = True
    requests_per_ip_per_5_minutes: int = 2000
    request_schema: Mapping[str, Any] | None = None
    account_logging_role: bool = True
    log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION


def check_serverless(
    scope: Construct,
    config: ServerlessConfig,
    autoscaling: Any,
    vpc: Any,
    network_isolation: Any,
    data_capture: Any,
) -> None:
    low, high = (int(shape("ServerlessMemorySizeInMB").metadata[k]) for k in ("min", "max"))
    check_range(
        scope, "serverless.memory_size_mb", config.memory_size_mb, minimum=low, maximum=high, unit="MB"
    )
    if config.memory_size_mb % 1024:
        raise invalid(
            scope,
            "serverless.memory_size_mb",
            config.memory_size_mb,
            f"{low}..{high} MB in steps of 1024 MB",
        )
    low, high = (int(shape("ServerlessMaxConcurrency").metadata[k]) for k in ("min", "max"))
    check_range(scope, "serverless.max_concurrency", config.max_concurrency, minimum=low, maximum=high)
    if config.provisioned_concurrency is not None:
        check_range(
            scope,
            "serverless.provisioned_concurrency",
            config.provisioned_concurrency,
            minimum=1,
            maximum=config.max_concurrency,
        )
    for argument, value, why in (
        ("autoscaling", autoscaling, "serverless endpoints scale by themselves"),
        ("vpc", vpc, "serverless endpoints do not run in a VPC"),
        ("data_capture", None if data_capture is DEFAULT_DATA_CAPTURE else data_capture, "not supported"),
    ):
        if value is not None:
            raise invalid(scope, argument, value, f"None with serverless ({why})")
    if network_isolation:
        raise invalid(scope, "network_isolation", True, "False or None with serverless (not supported)")


def check_serverless_instances(
    scope: Construct, instance_type: str | None, instance_count: int | None
) -> None:
    """A serverless variant has no instances: a count or a GPU type is a mistake; a CPU type
    is ignored (with a warning)."""
    if instance_count is not None:
        raise invalid(scope, "instance_count", instance_count, "None with serverless (no instances)")
    if instance_type is None:
        return
    if instance_family(str(instance_type)) in GPU_FAMILIES:
        raise invalid(
            scope,
            "instance_type",
            instance_type,
            "None with serverless (serverless endpoints have no GPUs; use an instance endpoint)",
        )
    Annotations.of(scope).add_warning_v2(
        "ml-constructs:serverless-instance-type",
        f"{scope.node.path}: instance_type={instance_type!r} is ignored: a serverless endpoint "
        "has no instances (pass instance_type=None)",
    )


def check_autoscaling(scope: Construct, config: Autoscaling, instance_count: int) -> None:
    check_range(scope, "autoscaling.min_capacity", config.min_capacity, minimum=1)
    check_range(scope, "autoscaling.max_capacity", config.max_capacity, minimum=1)
    if config.min_capacity > config.max_capacity:
        raise invalid(
            scope,
            "autoscaling.min_capacity/max_capacity",
            (config.min_capacity, config.max_capacity),
            "min_capacity <= max_capacity",
        )
    if not config.min_capacity <= instance_count <= config.max_capacity:
        raise invalid(
            scope,
            "instance_count",
            instance_count,
            f"within autoscaling {config.min_capacity}..{config.max_capacity}",
        )
    check_range(
        scope,
        "autoscaling.target_invocations_per_instance",
        config.target_invocations_per_instance,
        minimum=1,
    )
    for name in ("scale_out_cooldown", "scale_in_cooldown"):
        seconds = getattr(config, name).to_seconds()
        check_range(scope, f"autoscaling.{name}", seconds, minimum=0, maximum=86400, unit="seconds")


def check_data_capture(scope: Construct, capture: DataCapture) -> str:
    low, high = (int(shape("SamplingPercentage").metadata[k]) for k in ("min", "max"))
    check_range(
        scope, "data_capture.sampling_percentage", capture.sampling_percentage, minimum=low, maximum=high
    )
    if capture.zone not in (Zone.CURATED, Zone.MODELS):
        raise invalid(scope, "data_capture.zone", capture.zone, "Zone.CURATED or Zone.MODELS")
    if not (capture.capture_input or capture.capture_output):
        raise invalid(scope, "data_capture.capture_input/capture_output", (False, False), "at least one True")
    prefix = check_s3_prefix(scope, "data_capture.prefix", capture.prefix)
    if not prefix:
        raise invalid(scope, "data_capture.prefix", capture.prefix, "a non-empty key prefix")
    return prefix


def check_model_data(scope: Construct, model_data: str | None) -> tuple[str | None, str | None]:
    """(key in the models zone, or s3:// URL)."""
    if model_data is None:
        return None, None
    if Token.is_unresolved(model_data):  # e.g. lake.s3_uri(Zone.MODELS, ...): read models_prefix
        return None, model_data
    if model_data.startswith("s3://"):
        if not S3_URL.fullmatch(model_data):
            raise invalid(scope, "model_data", model_data, "s3://<bucket>/<key of the model artifact>")
        return None, model_data
    if not model_data or model_data.startswith("/") or model_data.endswith("/") or "*" in model_data:
        raise invalid(
            scope,
            "model_data",
            model_data,
            "a key of the model artifact in the models zone (e.g. 'xgboost/output/model.tar.gz') "
            "or an s3:// URL",
        )
    return model_data, None


def check_api(scope: Construct, api: HttpsApi) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_]{1,128}", api.stage_name):
        raise invalid(scope, "api.stage_name", api.stage_name, "1-128 letters, digits and '_'")
    check_range(scope, "api.rate_limit", api.rate_limit, minimum=1, maximum=10000, unit="requests/s")
    check_range(scope, "api.burst_limit", api.burst_limit, minimum=1, maximum=5000, unit="requests")
    if api.web_acl:
        check_range(
            scope,
            "api.requests_per_ip_per_5_minutes",
            api.requests_per_ip_per_5_minutes,
            minimum=10,
            maximum=2_000_000_000,
        )


# -- requests ------------------------------------------------------------------------------
