"""ModelEndpoint: serve a model over HTTPS: model -> endpoint config -> real-time endpoint."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Tags, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ..core import DEFAULT_LOG_RETENTION, acknowledge, check_range, check_s3_prefix, invalid, secure_log_group
from ..core.alarms import alarm_at_least
from ..core.nag import acknowledge_object_grants, acknowledge_wildcards
from ..core.naming import resource_name
from ..core.validation import check_construct_id
from ..store.data_lake import DataLake, Zone
from ._jobs import (
    GPU_FAMILIES,
    check_instance_type,
    grant_job_logs_and_metrics,
    grant_vpc_access,
    has_local_storage,
    instance_family,
    sagemaker_arn,
    sdk_resource,
    subnet_selection,
    sync_resource,
)
from ._requests import check_overrides, finish_request, merge
from .images import SageMakerImage
from .service_model import placeholders, shape, validate_request

_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
_S3_URL = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)")
# Workflow-created names: '<prefix>-<MD5 of the execution name>' (32 hex) within SageMaker's 63.
NAME_PREFIX_LENGTH = 30
ACCOUNT_ID = "ApiGatewayAccount"  # the stack's one AWS::ApiGateway::Account (construct id)
AUTOSCALING_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
DEFAULT_INSTANCE_TYPE = "ml.m5.large"
AUTOSCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)


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


class ModelEndpoint(Construct):
    """A SageMaker real-time endpoint: model -> endpoint config -> HTTPS endpoint, with alarms.

    With ``model_data`` (an artifact that exists at deploy time) CloudFormation creates the
    ``AWS::SageMaker::Model``, ``AWS::SageMaker::EndpointConfig`` and ``AWS::SageMaker::Endpoint``.
    Model and config carry no names: a new ``model_data`` or image replaces both under fresh
    generated names and the endpoint (fixed name) switches to the new config in place, with no
    name clash and no downtime.

    With ``model_data=None`` (the default: before the first training run there is no artifact)
    no SageMaker resources are created. The endpoint gets its deterministic name
    (:attr:`endpoint_name`) and :meth:`deploy_tasks` gives the Step Functions states a workflow
    runs after training: create model -> create endpoint config -> create the endpoint on the
    first run, update it afterwards -> wait until ``InService`` -> register autoscaling. Grant the
    workflow's state machine :meth:`grant_deploy`.

    Secure defaults: network isolation on (instance endpoints), the lake key on the ML storage
    volume (instance types without local NVMe storage, which SageMaker encrypts in hardware and
    for which it refuses a key) and on captured data, a least-privilege execution role (read the
    model artifact, write data capture, its own logs), optional VPC placement.

    Args:
        lake: the data lake: model artifacts come from its models zone, captured data goes to it.
        image: the inference image (:class:`SageMakerImage`).
        model_data: the model artifact: a key in the models zone (``xgboost/output/model.tar.gz``)
            or an ``s3://`` URL; ``None`` (default) for a workflow-deployed endpoint.
        models_prefix: the key prefix of the models zone the execution role may read in
            workflow mode (default: the whole zone).
        environment: container environment variables.
        instance_type: default ``ml.m5.large``; validated against botocore's
            ``ProductionVariantInstanceType`` enum. None with ``serverless`` (a GPU type is
            refused, a CPU type ignored with a warning).
        instance_count: initial instances (default 1; within the autoscaling bounds); None
            with ``serverless``.
        serverless: a :class:`ServerlessConfig` instead of instances.
        data_capture: a :class:`DataCapture` (default 20% to the curated zone for instance
            endpoints; off for serverless ones) or ``None``.
        autoscaling: an :class:`Autoscaling` (instance endpoints only), default none.
        vpc / vpc_subnets / security_groups: place the model in a VPC (default: not in a VPC;
            given a VPC and no groups, a new group allowing HTTPS out only).
        network_isolation: no network access from the container (default on; serverless: off).
        encryption_key: a key other than the lake's.
        endpoint_name: default a unique name derived from the construct path.
        variant_name: default ``AllTraffic``.
        latency_threshold: the ModelLatency p90 alarm threshold (default 1 second).
        alarm_topic: SNS topic the alarms notify.
        api: an :class:`HttpsApi` to put a public API in front (default none).
        removal_policy: for the API's log groups (default: the lake's).
        role: bring your own execution role of the model (you grant it the artifact, data
            capture, key and logs; nothing is added to it). Default: a new least-privilege role.
        model_overrides / endpoint_config_overrides / endpoint_overrides: members merged deeply
            into the ``CreateModel`` / ``CreateEndpointConfig`` / ``CreateEndpoint`` requests
            (the CloudFormation resources' properties with ``model_data``, the workflow's deploy
            states otherwise), e.g. ``{"AsyncInferenceConfig": {...}}``; ``None`` removes a
            member. Checked against botocore's model at synth.

    The deploy states' requests carry the stack's tags (``Tags``); the CloudFormation resources
    get them from CloudFormation.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake,
        image: SageMakerImage,
        model_data: str | None = None,
        models_prefix: str = "",
        environment: Mapping[str, str] | None = None,
        instance_type: str | None = None,
        instance_count: int | None = None,
        serverless: ServerlessConfig | None = None,
        data_capture: DataCapture | None = DEFAULT_DATA_CAPTURE,
        autoscaling: Autoscaling | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        network_isolation: bool | None = None,
        encryption_key: kms.IKey | None = None,
        endpoint_name: str | None = None,
        variant_name: str = "AllTraffic",
        latency_threshold: Duration = Duration.seconds(1),
        alarm_topic: sns.ITopic | None = None,
        api: HttpsApi | None = None,
        removal_policy: RemovalPolicy | None = None,
        role: iam.IRole | None = None,
        model_overrides: Mapping[str, Any] | None = None,
        endpoint_config_overrides: Mapping[str, Any] | None = None,
        endpoint_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        check_construct_id(scope, id, "ModelEndpoint")
        super().__init__(scope, id)
        if not isinstance(image, SageMakerImage):
            raise invalid(self, "image", image, "a SageMakerImage (built_in, from_ecr_repository, from_uri)")
        self.model_overrides = check_overrides(self, "model_overrides", model_overrides)
        self.endpoint_config_overrides = check_overrides(
            self, "endpoint_config_overrides", endpoint_config_overrides
        )
        self.endpoint_overrides = check_overrides(self, "endpoint_overrides", endpoint_overrides)
        self.lake = lake
        self.encryption_key: kms.IKey = encryption_key or lake.encryption_key
        self.serverless = serverless
        self.autoscaling = autoscaling
        removal = removal_policy or lake.removal_policy

        # -- validation --------------------------------------------------------------------
        if serverless is not None:
            self._check_serverless(serverless, autoscaling, vpc, network_isolation, data_capture)
            self._check_serverless_instances(instance_type, instance_count)
            if data_capture is DEFAULT_DATA_CAPTURE:
                data_capture = None
            network_isolation = False if network_isolation is None else network_isolation
        else:
            instance_type = DEFAULT_INSTANCE_TYPE if instance_type is None else instance_type
            instance_count = 1 if instance_count is None else instance_count
            check_instance_type(self, "instance_type", instance_type, "ProductionVariantInstanceType")
            check_range(self, "instance_count", instance_count, minimum=1)
            if autoscaling is not None:
                self._check_autoscaling(autoscaling, instance_count)
            network_isolation = True if network_isolation is None else network_isolation
        self.data_capture = data_capture
        self.network_isolation = bool(network_isolation)
        self.instance_type = None if serverless else instance_type
        self.instance_count = None if serverless else instance_count
        capture_prefix = self._check_data_capture(data_capture) if data_capture else ""
        models_prefix = check_s3_prefix(self, "models_prefix", models_prefix) or ""
        model_key, model_url = self._check_model_data(model_data)
        if not _NAME.fullmatch(variant_name):
            raise invalid(
                self, "variant_name", variant_name, "1-63 letters, digits and '-' (not at the ends)"
            )
        if endpoint_name is None:
            endpoint_name = resource_name(self, max_length=63).lower()
        elif not _NAME.fullmatch(endpoint_name):
            raise invalid(
                self, "endpoint_name", endpoint_name, "1-63 letters, digits and '-' (not at the ends)"
            )
        check_range(
            self, "latency_threshold", latency_threshold.to_milliseconds(), minimum=1, unit="milliseconds"
        )
        if api is not None:
            self._check_api(api)
        self.endpoint_name = endpoint_name
        self.variant_name = variant_name
        self.endpoint_arn = sagemaker_arn(self, "endpoint", endpoint_name)
        self.name_prefix = endpoint_name[:NAME_PREFIX_LENGTH].rstrip("-")
        self.environment = dict(environment or {})

        # -- execution role -------------------------------------------------------------------
        self._own_role = role is None
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of the model behind {self.node.path}",
        )
        self.image = image
        self.image_uri = image.bind(self, self.role if self._own_role else None)
        if self._own_role:
            self._grant_execution_role(model_key, model_url, models_prefix, data_capture, capture_prefix)
        self.security_groups: list[ec2.ISecurityGroup] = []
        self.subnet_ids: list[str] = []
        if vpc is not None:
            selection = vpc.select_subnets(**subnet_selection(vpc_subnets))
            if not selection.subnet_ids:
                raise invalid(self, "vpc_subnets", "no subnets", "a selection matching subnets of vpc")
            self.subnet_ids = list(selection.subnet_ids)
            self.security_groups = list(security_groups or [self._security_group(vpc)])
            if self._own_role:
                assert isinstance(self.role, iam.Role)
                grant_vpc_access(self.role, self, self.subnet_ids, self.security_groups)
        elif security_groups:
            raise invalid(self, "security_groups", "given without vpc", "a vpc with them")

        # Fail at synth, not at deploy: every request against botocore's SageMaker model.
        for operation, request in (
            ("CreateModel", self._model_request(model_name="m", model_data_url="s3://bucket/model.tar.gz")),
            ("CreateEndpointConfig", self._endpoint_config_request(config_name="c", model_name="m")),
        ):
            problems = validate_request(operation, placeholders(Stack.of(self).resolve(request)))
            if problems:
                raise invalid(self, operation, "; ".join(problems), "a request SageMaker accepts")
        self.model_request(model_name="m", model_data_url="s3://bucket/model.tar.gz")
        self.endpoint_config_request(config_name="c", model_name="m")
        self.endpoint_request(config_name="c")

        # -- CloudFormation resources (only with an artifact known at deploy time) -------------
        self.model: sagemaker.CfnModel | None = None
        self.endpoint_config: sagemaker.CfnEndpointConfig | None = None
        self.endpoint: sagemaker.CfnEndpoint | None = None
        self.scalable_target: appscaling.CfnScalableTarget | None = None
        self.scaling_policy: appscaling.CfnScalingPolicy | None = None
        self.model_data_url: str | None = None
        if model_data is not None:
            self.model_data_url = model_url or lake.s3_uri(Zone.MODELS, model_key or "")
            self._cloudformation_endpoint()

        # -- alarms ------------------------------------------------------------------------------
        self.error_alarm = alarm_at_least(
            self,
            "ErrorAlarm",
            self.metric_5xx_errors(),
            description=f"{self.node.path}: the model answered with 5xx errors",
            topic=alarm_topic,
        )
        self.latency_alarm = cloudwatch.Alarm(
            self,
            "LatencyAlarm",
            metric=self.metric_model_latency(),
            alarm_description=(
                f"{self.node.path}: p90 model latency above {latency_threshold.to_milliseconds():g} ms"
            ),
            threshold=latency_threshold.to_milliseconds() * 1000,  # ModelLatency is in microseconds
            evaluation_periods=3,
            datapoints_to_alarm=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if alarm_topic is not None:
            self.latency_alarm.add_alarm_action(cw_actions.SnsAction(alarm_topic))
        self.alarms: list[cloudwatch.Alarm] = [self.error_alarm, self.latency_alarm]

        # -- public API ----------------------------------------------------------------------------
        self.api: apigw.RestApi | None = None
        self.api_role: iam.Role | None = None
        self.access_log_group: logs.LogGroup | None = None
        self.execution_log_group: logs.LogGroup | None = None
        self.web_acl: wafv2.CfnWebACL | None = None
        self.api_account: apigw.CfnAccount | None = None
        self.api_settings = api
        if api is not None:
            self._public_api(api, removal)

    # -- validation helpers ----------------------------------------------------------------------
    def _grant_execution_role(
        self,
        model_key: str | None,
        model_url: str | None,
        models_prefix: str,
        data_capture: DataCapture | None,
        capture_prefix: str,
    ) -> None:
        lake = self.lake
        assert isinstance(self.role, iam.Role)
        reads: list[tuple[Any, str]] = []
        if model_key is not None:
            lake.grant_read(self.role, Zone.MODELS, model_key)
            reads.append((lake.models_bucket, model_key))
        elif model_url is not None and not Token.is_unresolved(model_url):
            match = _S3_URL.fullmatch(model_url)
            assert match is not None
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[f"arn:{Stack.of(self).partition}:s3:::{match['bucket']}/{match['key']}"],
                )
            )
            self.encryption_key.grant_decrypt(self.role)
        else:
            lake.grant_read(self.role, Zone.MODELS, models_prefix)
            reads.append((lake.models_bucket, models_prefix))
        writes: list[tuple[Any, str]] = []
        if data_capture is not None:
            lake.grant_write(self.role, data_capture.zone, capture_prefix)
            writes.append((lake.bucket(data_capture.zone), capture_prefix))
        if reads or writes:
            acknowledge_object_grants(
                self.role,
                reads=reads,
                writes=writes,
                purpose=f"the model of {self.node.path} loads its artifact and writes captured requests",
            )
        grant_job_logs_and_metrics(self.role, "Endpoints", self.node.path)

    def _check_serverless(self, config, autoscaling, vpc, network_isolation, data_capture) -> None:
        low, high = (int(shape("ServerlessMemorySizeInMB").metadata[k]) for k in ("min", "max"))
        check_range(
            self, "serverless.memory_size_mb", config.memory_size_mb, minimum=low, maximum=high, unit="MB"
        )
        if config.memory_size_mb % 1024:
            raise invalid(
                self,
                "serverless.memory_size_mb",
                config.memory_size_mb,
                f"{low}..{high} MB in steps of 1024 MB",
            )
        low, high = (int(shape("ServerlessMaxConcurrency").metadata[k]) for k in ("min", "max"))
        check_range(self, "serverless.max_concurrency", config.max_concurrency, minimum=low, maximum=high)
        if config.provisioned_concurrency is not None:
            check_range(
                self,
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
                raise invalid(self, argument, value, f"None with serverless ({why})")
        if network_isolation:
            raise invalid(self, "network_isolation", True, "False or None with serverless (not supported)")

    def _check_serverless_instances(self, instance_type: str | None, instance_count: int | None) -> None:
        """A serverless variant has no instances: a count or a GPU type is a mistake; a CPU type
        is ignored (with a warning)."""
        if instance_count is not None:
            raise invalid(self, "instance_count", instance_count, "None with serverless (no instances)")
        if instance_type is None:
            return
        if instance_family(str(instance_type)) in GPU_FAMILIES:
            raise invalid(
                self,
                "instance_type",
                instance_type,
                "None with serverless (serverless endpoints have no GPUs; use an instance endpoint)",
            )
        Annotations.of(self).add_warning_v2(
            "ml-constructs:serverless-instance-type",
            f"{self.node.path}: instance_type={instance_type!r} is ignored: a serverless endpoint "
            "has no instances (pass instance_type=None)",
        )

    def _check_autoscaling(self, config: Autoscaling, instance_count: int) -> None:
        check_range(self, "autoscaling.min_capacity", config.min_capacity, minimum=1)
        check_range(self, "autoscaling.max_capacity", config.max_capacity, minimum=1)
        if config.min_capacity > config.max_capacity:
            raise invalid(
                self,
                "autoscaling.min_capacity/max_capacity",
                (config.min_capacity, config.max_capacity),
                "min_capacity <= max_capacity",
            )
        if not config.min_capacity <= instance_count <= config.max_capacity:
            raise invalid(
                self,
                "instance_count",
                instance_count,
                f"within autoscaling {config.min_capacity}..{config.max_capacity}",
            )
        check_range(
            self,
            "autoscaling.target_invocations_per_instance",
            config.target_invocations_per_instance,
            minimum=1,
        )
        for name in ("scale_out_cooldown", "scale_in_cooldown"):
            seconds = getattr(config, name).to_seconds()
            check_range(self, f"autoscaling.{name}", seconds, minimum=0, maximum=86400, unit="seconds")

    def _check_data_capture(self, capture: DataCapture) -> str:
        low, high = (int(shape("SamplingPercentage").metadata[k]) for k in ("min", "max"))
        check_range(
            self, "data_capture.sampling_percentage", capture.sampling_percentage, minimum=low, maximum=high
        )
        if capture.zone not in (Zone.CURATED, Zone.MODELS):
            raise invalid(self, "data_capture.zone", capture.zone, "Zone.CURATED or Zone.MODELS")
        if not (capture.capture_input or capture.capture_output):
            raise invalid(
                self, "data_capture.capture_input/capture_output", (False, False), "at least one True"
            )
        prefix = check_s3_prefix(self, "data_capture.prefix", capture.prefix)
        if not prefix:
            raise invalid(self, "data_capture.prefix", capture.prefix, "a non-empty key prefix")
        return prefix

    def _check_model_data(self, model_data: str | None) -> tuple[str | None, str | None]:
        """(key in the models zone, or s3:// URL)."""
        if model_data is None:
            return None, None
        if Token.is_unresolved(model_data):  # e.g. lake.s3_uri(Zone.MODELS, ...): read models_prefix
            return None, model_data
        if model_data.startswith("s3://"):
            if not _S3_URL.fullmatch(model_data):
                raise invalid(self, "model_data", model_data, "s3://<bucket>/<key of the model artifact>")
            return None, model_data
        if not model_data or model_data.startswith("/") or model_data.endswith("/") or "*" in model_data:
            raise invalid(
                self,
                "model_data",
                model_data,
                "a key of the model artifact in the models zone (e.g. 'xgboost/output/model.tar.gz') "
                "or an s3:// URL",
            )
        return model_data, None

    def _check_api(self, api: HttpsApi) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_]{1,128}", api.stage_name):
            raise invalid(self, "api.stage_name", api.stage_name, "1-128 letters, digits and '_'")
        check_range(self, "api.rate_limit", api.rate_limit, minimum=1, maximum=10000, unit="requests/s")
        check_range(self, "api.burst_limit", api.burst_limit, minimum=1, maximum=5000, unit="requests")
        if api.web_acl:
            check_range(
                self,
                "api.requests_per_ip_per_5_minutes",
                api.requests_per_ip_per_5_minutes,
                minimum=10,
                maximum=2_000_000_000,
            )

    # -- requests ------------------------------------------------------------------------------
    @property
    def volume_key_id(self) -> str | None:
        """The key of the ML storage volume, or ``None`` where SageMaker refuses one."""
        if self.serverless is not None or has_local_storage(str(self.instance_type)):
            return None
        return self.encryption_key.key_arn

    def model_request(self, *, model_name: str, model_data_url: str) -> dict[str, Any]:
        """The ``CreateModel`` request (the same properties ``AWS::SageMaker::Model`` gets), with
        :attr:`model_overrides` and the stack's tags."""
        return finish_request(
            self,
            "model_overrides",
            "CreateModel",
            self._model_request(model_name=model_name, model_data_url=model_data_url),
            self.model_overrides,
        )

    def endpoint_config_request(self, *, config_name: str, model_name: str) -> dict[str, Any]:
        """The ``CreateEndpointConfig`` request (the properties ``AWS::SageMaker::EndpointConfig``
        gets), with :attr:`endpoint_config_overrides` and the stack's tags."""
        return finish_request(
            self,
            "endpoint_config_overrides",
            "CreateEndpointConfig",
            self._endpoint_config_request(config_name=config_name, model_name=model_name),
            self.endpoint_config_overrides,
        )

    def endpoint_request(self, *, config_name: str) -> dict[str, Any]:
        """The ``CreateEndpoint`` request, with :attr:`endpoint_overrides` and the stack's tags."""
        return finish_request(
            self,
            "endpoint_overrides",
            "CreateEndpoint",
            {"EndpointName": self.endpoint_name, "EndpointConfigName": config_name},
            self.endpoint_overrides,
        )

    def _model_request(self, *, model_name: str, model_data_url: str) -> dict[str, Any]:
        container: dict[str, Any] = {
            "Image": self.image_uri,
            "Mode": "SingleModel",
            "ModelDataUrl": model_data_url,
        }
        if self.environment:
            container["Environment"] = dict(self.environment)
        request: dict[str, Any] = {
            "ModelName": model_name,
            "ExecutionRoleArn": self.role.role_arn,
            "PrimaryContainer": container,
            "EnableNetworkIsolation": self.network_isolation,
        }
        if self.subnet_ids:
            request["VpcConfig"] = {
                "SecurityGroupIds": [g.security_group_id for g in self.security_groups],
                "Subnets": list(self.subnet_ids),
            }
        return request

    def _endpoint_config_request(self, *, config_name: str, model_name: str) -> dict[str, Any]:
        variant: dict[str, Any] = {"VariantName": self.variant_name, "ModelName": model_name}
        if self.serverless is not None:
            serverless: dict[str, Any] = {
                "MemorySizeInMB": self.serverless.memory_size_mb,
                "MaxConcurrency": self.serverless.max_concurrency,
            }
            if self.serverless.provisioned_concurrency is not None:
                serverless["ProvisionedConcurrency"] = self.serverless.provisioned_concurrency
            variant["ServerlessConfig"] = serverless
        else:
            variant["InstanceType"] = self.instance_type
            variant["InitialInstanceCount"] = self.instance_count
            variant["InitialVariantWeight"] = 1.0
        request: dict[str, Any] = {"EndpointConfigName": config_name, "ProductionVariants": [variant]}
        if self.volume_key_id is not None:
            request["KmsKeyId"] = self.volume_key_id
        capture = self.data_capture
        if capture is not None:
            modes = [
                m for m, on in (("Input", capture.capture_input), ("Output", capture.capture_output)) if on
            ]
            headers: dict[str, Any] = {}
            if capture.csv_content_types:
                headers["CsvContentTypes"] = list(capture.csv_content_types)
            if capture.json_content_types:
                headers["JsonContentTypes"] = list(capture.json_content_types)
            request["DataCaptureConfig"] = {
                "EnableCapture": True,
                "InitialSamplingPercentage": capture.sampling_percentage,
                "DestinationS3Uri": self.lake.s3_uri(
                    capture.zone, check_s3_prefix(self, "prefix", capture.prefix) or ""
                ),
                "KmsKeyId": self.encryption_key.key_arn,
                "CaptureOptions": [{"CaptureMode": mode} for mode in modes],
                **({"CaptureContentTypeHeader": headers} if headers else {}),
            }
        return request

    # -- CloudFormation path ---------------------------------------------------------------------
    def _cloudformation_endpoint(self) -> None:
        assert self.model_data_url is not None
        # Overrides apply to the resources' properties; CloudFormation tags the resources with the
        # stack's tags, and a Tags override becomes CDK tags.
        model = merge(
            self._model_request(model_name="", model_data_url=self.model_data_url), self.model_overrides
        )
        del model["ModelName"]  # generated by CloudFormation: a replacement never clashes
        self.model = sagemaker.CfnModel(self, "Model", execution_role_arn=self.role.role_arn)
        for key, value in model.items():
            if key != "Tags":
                self.model.add_property_override(key, value)
        # The model reads its artifact and pulls its image with the role: grants first.
        default_policy = self.role.node.try_find_child("DefaultPolicy")
        if self._own_role and default_policy is not None:
            policy = default_policy.node.default_child
            assert isinstance(policy, iam.CfnPolicy)
            self.model.node.add_dependency(policy)
        config = merge(
            self._endpoint_config_request(config_name="", model_name=self.model.attr_model_name),
            self.endpoint_config_overrides,
        )
        del config["EndpointConfigName"]
        self.endpoint_config = sagemaker.CfnEndpointConfig(self, "EndpointConfig", production_variants=[])
        for key, value in config.items():
            if key != "Tags":
                self.endpoint_config.add_property_override(key, value)
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )
        for key, value in self.endpoint_overrides.items():
            if key not in ("Tags", "EndpointName", "EndpointConfigName"):
                self.endpoint.add_property_override(key, value)
        for resource, overrides in (
            (self.model, self.model_overrides),
            (self.endpoint_config, self.endpoint_config_overrides),
            (self.endpoint, self.endpoint_overrides),
        ):
            for tag in overrides.get("Tags") or []:
                Tags.of(resource).add(tag["Key"], tag["Value"])
        if self.autoscaling is not None:
            self.scalable_target, self.scaling_policy = self._autoscaling()
            self.scalable_target.node.add_dependency(self.endpoint)

    def _autoscaling(self) -> tuple[appscaling.CfnScalableTarget, appscaling.CfnScalingPolicy]:
        config = self.autoscaling
        assert config is not None
        # No RoleARN: Application Auto Scaling uses (and creates if needed) its SageMaker
        # service-linked role; CDK's ScalableTarget would add a role of its own instead.
        target = appscaling.CfnScalableTarget(
            self,
            "ScalableTarget",
            service_namespace="sagemaker",
            resource_id=self.scaling_resource_id,
            scalable_dimension=AUTOSCALING_DIMENSION,
            min_capacity=config.min_capacity,
            max_capacity=config.max_capacity,
        )
        policy = appscaling.CfnScalingPolicy(
            self,
            "ScalingPolicy",
            policy_name="InvocationsPerInstance",
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=config.target_invocations_per_instance,
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                ),
                scale_in_cooldown=int(config.scale_in_cooldown.to_seconds()),
                scale_out_cooldown=int(config.scale_out_cooldown.to_seconds()),
            ),
        )
        return target, policy

    @property
    def scaling_resource_id(self) -> str:
        return f"endpoint/{self.endpoint_name}/variant/{self.variant_name}"

    # -- workflow path -----------------------------------------------------------------------------
    @property
    def deployment_name(self) -> str:
        """The intrinsic naming a workflow's model and endpoint config: prefix + MD5 of the
        execution name (unique per execution, the same in every state of it)."""
        return f"States.Format('{self.name_prefix}-{{}}', States.Hash($$.Execution.Name, 'MD5'))"

    def deploy_tasks(
        self,
        scope: Construct,
        id: str,
        *,
        model_data_path: str,
        result_path: str = "$.deployment",
        poll_interval: Duration = Duration.minutes(1),
    ) -> sfn.Chain:
        """Step Functions states that deploy a freshly trained model to this endpoint.

        ``CreateModel`` (artifact at ``model_data_path``, a JSONPath such as
        ``$.training.ModelArtifacts``) -> ``CreateEndpointConfig`` -> ``DescribeEndpoint``:
        missing -> ``CreateEndpoint``, present -> ``UpdateEndpoint`` (in place, no downtime) ->
        poll every ``poll_interval`` until ``InService`` (``Failed`` / ``OutOfService`` end in a
        Fail state) -> with :class:`Autoscaling`, ``RegisterScalableTarget`` +
        ``PutScalingPolicy`` (Application Auto Scaling cannot target an endpoint before it
        exists, so it is not in CloudFormation here).

        Model and config are named ``<prefix>-<MD5 of the execution name>``. The endpoint's last
        description lands at ``result_path``; the rest of the input passes through. An endpoint
        still ``Creating``/``Updating`` from an earlier run, or ``Failed``, makes the update fail
        (delete a failed endpoint first). The state machine running these needs
        :meth:`grant_deploy`.
        """
        if self.model is not None:
            raise invalid(
                self,
                "deploy_tasks",
                "an endpoint CloudFormation owns (model_data given)",
                "model_data=None, so that the workflow alone deploys models to it",
            )
        if not (model_data_path.startswith("$") or model_data_path.startswith("States.")):
            raise invalid(
                self, "model_data_path", model_data_path, "a JSONPath ('$.training.ModelArtifacts')"
            )
        check_range(
            self, "poll_interval", poll_interval.to_seconds(), minimum=1, maximum=3600, unit="seconds"
        )
        name = self.deployment_name
        model = self._model_request(model_name="", model_data_url="")
        del model["ModelName"]
        model["PrimaryContainer"].pop("ModelDataUrl")
        model["ModelName.$"] = name
        model["PrimaryContainer"]["ModelDataUrl.$"] = model_data_path
        model = finish_request(self, "model_overrides", "CreateModel", model, self.model_overrides)
        config = self._endpoint_config_request(config_name="", model_name="")
        del config["EndpointConfigName"]
        config["EndpointConfigName.$"] = name
        variant = config["ProductionVariants"][0]
        del variant["ModelName"]
        variant["ModelName.$"] = name
        config = finish_request(
            self, "endpoint_config_overrides", "CreateEndpointConfig", config, self.endpoint_config_overrides
        )
        create_model = sfn.CustomState(
            scope,
            f"{id} Create model",
            state_json={
                "Type": "Task",
                "Comment": f"Create a model for {self.node.path}",
                "Resource": sync_resource("createModel", ""),
                "Parameters": model,
                "ResultPath": sfn.JsonPath.DISCARD,
            },
        )
        create_config = sfn.CustomState(
            scope,
            f"{id} Create endpoint config",
            state_json={
                "Type": "Task",
                "Comment": f"Create an endpoint config for {self.node.path}",
                "Resource": sync_resource("createEndpointConfig", ""),
                "Parameters": config,
                "ResultPath": sfn.JsonPath.DISCARD,
            },
        )
        describe = self._describe_state(scope, f"{id} Find endpoint", result_path)
        config_name = sfn.JsonPath.format(
            f"{self.name_prefix}-{{}}", sfn.JsonPath.hash(sfn.JsonPath.execution_name, "MD5")
        )
        # A CustomState rather than CDK's SageMakerCreateEndpoint: the request carries the
        # stack's tags and endpoint_overrides (grant_deploy grants what it needs).
        endpoint = self.endpoint_request(config_name="<named at run time>")
        del endpoint["EndpointConfigName"]
        endpoint["EndpointConfigName.$"] = name
        create = sfn.CustomState(
            scope,
            f"{id} Create endpoint",
            state_json={
                "Type": "Task",
                "Comment": f"Create the endpoint {self.endpoint_name}",
                "Resource": sync_resource("createEndpoint", ""),
                "Parameters": endpoint,
                "ResultPath": sfn.JsonPath.DISCARD,
            },
        )
        update = tasks.SageMakerUpdateEndpoint(
            scope,
            f"{id} Update endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=config_name,
            result_path=sfn.JsonPath.DISCARD,
        )
        describe.add_catch(create, errors=["States.TaskFailed"], result_path=sfn.JsonPath.DISCARD)
        wait = sfn.Wait(scope, f"{id} Wait for endpoint", time=sfn.WaitTime.duration(poll_interval))
        poll = self._describe_state(scope, f"{id} Check endpoint", result_path)
        failed = sfn.Fail(
            scope,
            f"{id} Endpoint failed",
            error="EndpointDeploymentFailed",
            cause=f"The endpoint {self.endpoint_name} did not reach InService (see its FailureReason)",
        )
        done = sfn.Pass(scope, f"{id} Endpoint in service")
        in_service: sfn.IChainable = done
        if self.autoscaling is not None:
            in_service = self._autoscaling_states(scope, id).next(done)
        status = f"{result_path}.EndpointStatus"
        check = (
            sfn.Choice(scope, f"{id} Endpoint ready?")
            .when(sfn.Condition.string_equals(status, "InService"), in_service)
            .when(
                sfn.Condition.or_(
                    sfn.Condition.string_equals(status, "Failed"),
                    sfn.Condition.string_equals(status, "OutOfService"),
                ),
                failed,
            )
            .otherwise(wait)
        )
        create.next(wait)
        update.next(wait)
        wait.next(poll).next(check)
        describe.next(update)
        create_model.next(create_config).next(describe)
        return sfn.Chain.custom(create_model, [done], done)

    def _describe_state(self, scope: Construct, id: str, result_path: str) -> sfn.CustomState:
        return sfn.CustomState(
            scope,
            id,
            state_json={
                "Type": "Task",
                "Comment": f"Describe the endpoint of {self.node.path}",
                "Resource": sdk_resource("describeEndpoint"),
                "Parameters": {"EndpointName": self.endpoint_name},
                "ResultSelector": {
                    "EndpointName.$": "$.EndpointName",
                    "EndpointStatus.$": "$.EndpointStatus",
                    "EndpointConfigName.$": "$.EndpointConfigName",
                },
                "ResultPath": result_path,
            },
        )

    def _autoscaling_states(self, scope: Construct, id: str) -> sfn.Chain:
        config = self.autoscaling
        assert config is not None
        target = {
            "ServiceNamespace": "sagemaker",
            "ResourceId": self.scaling_resource_id,
            "ScalableDimension": AUTOSCALING_DIMENSION,
        }
        register = sfn.CustomState(
            scope,
            f"{id} Register autoscaling",
            state_json={
                "Type": "Task",
                "Comment": f"Scale {self.node.path} between {config.min_capacity} and {config.max_capacity}",
                "Resource": _autoscaling_resource(self, "registerScalableTarget"),
                "Parameters": {
                    **target,
                    "MinCapacity": config.min_capacity,
                    "MaxCapacity": config.max_capacity,
                },
                "ResultPath": sfn.JsonPath.DISCARD,
            },
        )
        policy = sfn.CustomState(
            scope,
            f"{id} Track invocations per instance",
            state_json={
                "Type": "Task",
                "Comment": "Target tracking on SageMakerVariantInvocationsPerInstance",
                "Resource": _autoscaling_resource(self, "putScalingPolicy"),
                "Parameters": {
                    **target,
                    "PolicyName": "InvocationsPerInstance",
                    "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": {
                        "TargetValue": config.target_invocations_per_instance,
                        "PredefinedMetricSpecification": {
                            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                        },
                        "ScaleInCooldown": int(config.scale_in_cooldown.to_seconds()),
                        "ScaleOutCooldown": int(config.scale_out_cooldown.to_seconds()),
                    },
                },
                "ResultPath": sfn.JsonPath.DISCARD,
            },
        )
        return sfn.Chain.start(register).next(policy)

    def grant_deploy(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` (the state machine running :meth:`deploy_tasks`) deploy models here:
        create models and configs under this endpoint's name prefix, create/update/describe this
        endpoint, pass the execution role, use the key, and register autoscaling."""
        principal = grantee.grant_principal
        models = sagemaker_arn(self, "model", f"{self.name_prefix}-*")
        configs = sagemaker_arn(self, "endpoint-config", f"{self.name_prefix}-*")
        any_config = sagemaker_arn(self, "endpoint-config", "*")
        statements = [
            iam.PolicyStatement(actions=["sagemaker:CreateModel"], resources=[models]),
            iam.PolicyStatement(actions=["sagemaker:CreateEndpointConfig"], resources=[configs]),
            iam.PolicyStatement(
                actions=["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
                resources=[self.endpoint_arn, configs],
            ),
            # The create requests carry the stack's tags.
            iam.PolicyStatement(
                actions=["sagemaker:AddTags"], resources=[models, configs, self.endpoint_arn]
            ),
            iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=[self.endpoint_arn]),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[self.encryption_key.key_arn]),
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[self.encryption_key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
        wildcards = [models, configs, any_config, "*"]  # the last two: CDK's endpoint tasks
        if self.autoscaling is not None:
            stack = Stack.of(self)
            alarms = stack.format_arn(
                service="cloudwatch",
                resource="alarm",
                resource_name=f"TargetTracking-{self.scaling_resource_id}-*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            scalable_targets = stack.format_arn(
                service="application-autoscaling",
                resource="scalable-target",
                resource_name="*",
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
            statements += [
                # Register/Put only SageMaker variants' instance counts (the condition keys AWS
                # documents for Application Auto Scaling); Describe* has no resource level.
                iam.PolicyStatement(
                    actions=[
                        "application-autoscaling:RegisterScalableTarget",
                        "application-autoscaling:PutScalingPolicy",
                    ],
                    resources=[scalable_targets],
                    conditions={
                        "StringEquals": {
                            "application-autoscaling:service-namespace": "sagemaker",
                            "application-autoscaling:scalable-dimension": AUTOSCALING_DIMENSION,
                        }
                    },
                ),
                iam.PolicyStatement(
                    actions=[
                        "application-autoscaling:DescribeScalableTargets",
                        "application-autoscaling:DescribeScalingPolicies",
                    ],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    actions=["sagemaker:DescribeEndpointConfig"],
                    resources=[configs],
                ),
                iam.PolicyStatement(
                    actions=["sagemaker:UpdateEndpointWeightsAndCapacities"], resources=[self.endpoint_arn]
                ),
                iam.PolicyStatement(
                    actions=[
                        "cloudwatch:PutMetricAlarm",
                        "cloudwatch:DescribeAlarms",
                        "cloudwatch:DeleteAlarms",
                    ],
                    resources=[alarms],
                ),
                iam.PolicyStatement(
                    actions=["iam:CreateServiceLinkedRole"],
                    resources=[
                        stack.format_arn(
                            service="iam", region="", resource="role", resource_name=AUTOSCALING_ROLE
                        )
                    ],
                    conditions={
                        "StringLike": {
                            "iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"
                        }
                    },
                ),
            ]
            wildcards += [alarms, scalable_targets]
        for statement in statements:
            principal.add_to_principal_policy(statement)
        if isinstance(principal, Construct):
            acknowledge_wildcards(
                principal,
                f"Models and endpoint configs of {self.node.path} are created at run time under the "
                f"name prefix '{self.name_prefix}-'; CDK's UpdateEndpoint task asks "
                "for any endpoint config (named at run time) and sagemaker:ListTags, and "
                "Application Auto Scaling targets have no ARN before they exist (target-tracking "
                "alarms are limited to this endpoint's names).",
                resources=wildcards,
            )

    # -- metrics, grants ---------------------------------------------------------------------------
    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """A metric of this endpoint's variant in ``AWS/SageMaker`` (default: sum over 5 minutes)."""
        props.setdefault("statistic", "Sum")
        props.setdefault("period", Duration.minutes(5))
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=metric_name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": self.variant_name},
            **props,
        )

    def metric_invocations(self, **props: Any) -> cloudwatch.Metric:
        return self.metric("Invocations", **props)

    def metric_5xx_errors(self, **props: Any) -> cloudwatch.Metric:
        return self.metric("Invocation5XXErrors", **props)

    def metric_4xx_errors(self, **props: Any) -> cloudwatch.Metric:
        return self.metric("Invocation4XXErrors", **props)

    def metric_model_latency(self, **props: Any) -> cloudwatch.Metric:
        """Model latency in microseconds (default p90 over 5 minutes)."""
        props.setdefault("statistic", "p90")
        return self.metric("ModelLatency", **props)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call ``InvokeEndpoint`` (and its streaming variant) on this endpoint."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
            resource_arns=[self.endpoint_arn],
        )

    def grant_api_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call the public API's ``POST /invocations`` (SigV4-signed)."""
        if self.api is None or self.api_settings is None:
            raise invalid(self, "grant_api_invoke", "no api", "an endpoint created with api=HttpsApi(...)")
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["execute-api:Invoke"],
            resource_arns=[
                self.api.arn_for_execute_api("POST", "/invocations", self.api_settings.stage_name)
            ],
        )

    @property
    def api_url(self) -> str | None:
        """``https://.../<stage>/invocations`` of the public API, if any."""
        return None if self.api is None else self.api.url_for_path("/invocations")

    # -- pieces ------------------------------------------------------------------------------------
    def _security_group(self, vpc: ec2.IVpc) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"Model of {self.node.path}: HTTPS out only (artifact and image downloads)",
            allow_all_outbound=False,
        )
        group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to S3 and ECR (endpoints or NAT)"
        )
        return group

    def _public_api(self, settings: HttpsApi, removal: RemovalPolicy) -> None:
        stack = Stack.of(self)
        self.access_log_group = secure_log_group(
            self,
            "ApiAccessLogs",
            encryption_key=self.encryption_key,
            retention=settings.log_retention,
            removal_policy=removal,
        )
        api = apigw.RestApi(
            self,
            "Api",
            description=f"Public HTTPS API of the SageMaker endpoint {self.endpoint_name}",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=settings.stage_name,
                throttling_rate_limit=settings.rate_limit,
                throttling_burst_limit=settings.burst_limit,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        self.api = api
        # API Gateway would create the execution log group itself, unencrypted and kept forever.
        self.execution_log_group = secure_log_group(
            self,
            "ApiExecutionLogs",
            encryption_key=self.encryption_key,
            retention=settings.log_retention,
            log_group_name=f"API-Gateway-Execution-Logs_{api.rest_api_id}/{settings.stage_name}",
            removal_policy=removal,
        )
        api.deployment_stage.node.add_dependency(self.execution_log_group)
        if settings.account_logging_role:
            self.api_account = self._account_logging_role(stack)
            api.deployment_stage.node.add_dependency(self.api_account)

        self.api_role = iam.Role(
            self,
            "ApiRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description=f"Lets the API of {self.node.path} invoke its SageMaker endpoint",
        )
        self.grant_invoke(self.api_role)
        integration = apigw.AwsIntegration(
            service="runtime.sagemaker",
            path=f"endpoints/{self.endpoint_name}/invocations",
            integration_http_method="POST",
            options=apigw.IntegrationOptions(
                credentials_role=self.api_role,
                passthrough_behavior=apigw.PassthroughBehavior.WHEN_NO_MATCH,
                request_parameters={
                    "integration.request.header.Content-Type": "method.request.header.Content-Type",
                    "integration.request.header.Accept": "method.request.header.Accept",
                },
                integration_responses=[
                    apigw.IntegrationResponse(status_code="200"),
                    apigw.IntegrationResponse(status_code="400", selection_pattern=r"4\d{2}"),
                    apigw.IntegrationResponse(status_code="500", selection_pattern=r"5\d{2}"),
                ],
            ),
        )
        validator = apigw.RequestValidator(
            self,
            "ApiRequestValidator",
            rest_api=api,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        models = None
        if settings.request_schema is not None:
            model = api.add_model(
                "RequestModel",
                content_type="application/json",
                schema=apigw.JsonSchema(**_json_schema_kwargs(settings.request_schema)),
            )
            models = {"application/json": model}
        method = api.root.add_resource("invocations").add_method(
            "POST",
            integration,
            authorization_type=apigw.AuthorizationType.IAM,
            request_validator=validator,
            request_models=models,
            request_parameters={
                "method.request.header.Content-Type": True,
                "method.request.header.Accept": False,
            },
            method_responses=[apigw.MethodResponse(status_code=code) for code in ("200", "400", "500")],
        )
        acknowledge(
            method,
            "AwsSolutions-COG4",
            f"POST /invocations of {self.node.path} uses IAM (SigV4) authorization: callers sign with "
            "IAM credentials granted through grant_api_invoke; a Cognito user pool is not the "
            "identity source of this machine-to-machine API.",
        )
        if settings.web_acl:
            self.web_acl = self._web_acl(settings)
            wafv2.CfnWebACLAssociation(
                self,
                "ApiWebAclAssociation",
                resource_arn=api.deployment_stage.stage_arn,
                web_acl_arn=self.web_acl.attr_arn,
            )
        else:
            acknowledge(
                api.deployment_stage,
                "AwsSolutions-APIG3",
                f"The API of {self.node.path} was created with HttpsApi(web_acl=False): IAM "
                "authorization and stage throttling protect it; associate your own web ACL.",
            )

    def _account_logging_role(self, stack: Stack) -> apigw.CfnAccount:
        """The stack's one ``AWS::ApiGateway::Account`` and its CloudWatch Logs role (shared)."""
        existing = stack.node.try_find_child(ACCOUNT_ID)
        if isinstance(existing, apigw.CfnAccount):
            return existing
        role = iam.Role(
            stack,
            f"{ACCOUNT_ID}LoggingRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="Lets API Gateway write access and execution logs in this account and region",
        )
        log_groups = stack.format_arn(
            service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                ],
                resources=[log_groups],
            )
        )
        acknowledge_wildcards(
            role,
            "API Gateway uses one CloudWatch Logs role per account and region for every REST API "
            "(AWS::ApiGateway::Account), writing to log groups named after each API and stage; "
            "the role is limited to this account's and region's log groups.",
            resources=[log_groups],
        )
        policy = role.node.find_child("DefaultPolicy").node.default_child
        assert isinstance(policy, iam.CfnPolicy)
        # Other APIs of the account log through this role: keep it when the stack goes.
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        policy.apply_removal_policy(RemovalPolicy.RETAIN)
        account = apigw.CfnAccount(stack, ACCOUNT_ID, cloud_watch_role_arn=role.role_arn)
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        # API Gateway checks the role's permissions when the account setting is made.
        account.node.add_dependency(policy)
        return account

    def _web_acl(self, settings: HttpsApi) -> wafv2.CfnWebACL:
        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            )

        def managed(priority: int, name: str, overrides: Sequence[str] = ()) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name=name,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                            )
                            for rule in overrides
                        ]
                        or None,
                    )
                ),
                visibility_config=visibility(name),
            )

        return wafv2.CfnWebACL(
            self,
            "ApiWebAcl",
            scope="REGIONAL",
            description=f"Protects the public API of {self.node.path}",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("ModelEndpointApi"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="RequestsPerIp",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP", limit=settings.requests_per_ip_per_5_minutes
                        )
                    ),
                    visibility_config=visibility("RequestsPerIp"),
                ),
                # Inference payloads are often larger than the common rule set's 8 KB body limit.
                managed(1, "AWSManagedRulesCommonRuleSet", overrides=["SizeRestrictions_BODY"]),
                managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
            ],
        )


def _autoscaling_resource(scope: Construct, action: str) -> str:
    return f"arn:{Stack.of(scope).partition}:states:::aws-sdk:applicationautoscaling:{action}"


def _json_schema_kwargs(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON schema dict (draft 4 keywords) as ``apigw.JsonSchema`` keyword arguments."""
    names = {
        "$schema": "schema",
        "$ref": "ref",
        "type": "type",
        "title": "title",
        "description": "description",
        "properties": "properties",
        "required": "required",
        "items": "items",
        "enum": "enum",
        "minimum": "minimum",
        "maximum": "maximum",
        "minLength": "min_length",
        "maxLength": "max_length",
        "minItems": "min_items",
        "maxItems": "max_items",
        "pattern": "pattern",
        "additionalProperties": "additional_properties",
        "format": "format",
    }
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in names:
            raise ValueError(
                f"request_schema: unsupported JSON schema keyword {key!r}; allowed: {', '.join(names)}"
            )
        if key == "type":
            value = getattr(apigw.JsonSchemaType, value.upper()) if isinstance(value, str) else value
        elif key == "properties":
            value = {k: apigw.JsonSchema(**_json_schema_kwargs(v)) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            value = apigw.JsonSchema(**_json_schema_kwargs(value))
        elif key == "$schema":
            value = apigw.JsonSchemaVersion.DRAFT4
        result[names[key]] = value
    return result
