"""ModelEndpoint: serve a model over HTTPS: model -> endpoint config -> real-time endpoint.

The construct lives here; its settings (:mod:`.endpoint_settings`), the workflow's deploy states
(:mod:`.endpoint_deploy`) and the public HTTPS API (:mod:`.endpoint_api`) have modules of their
own, and their public names are importable from this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack, Tags, Token
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
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ..core import check_range, check_s3_prefix, invalid
from ..core.alarms import alarm_at_least
from ..core.nag import acknowledge_object_grants
from ..core.naming import resource_name
from ..core.validation import check_construct_id
from ..store.data_lake import DataLake, Zone
from . import endpoint_deploy
from ._jobs import (
    check_instance_type,
    grant_job_logs_and_metrics,
    grant_vpc_access,
    has_local_storage,
    sagemaker_arn,
    vpc_placement,
)
from ._requests import check_overrides, finish_request, merge
from .endpoint_api import ACCOUNT_ID, public_api
from .endpoint_deploy import AUTOSCALING_DIMENSION, AUTOSCALING_ROLE, DEPLOYMENT_FAILED, ROLLED_BACK
from .endpoint_rollout import Rollout, check_rollout, deployment_config
from .endpoint_settings import (
    DEFAULT_DATA_CAPTURE,
    S3_URL,
    Autoscaling,
    DataCapture,
    HttpsApi,
    ServerlessConfig,
    check_api,
    check_autoscaling,
    check_data_capture,
    check_model_data,
    check_serverless,
    check_serverless_instances,
)
from .images import SageMakerImage
from .service_model import input_shape, placeholders, validate_request

__all__ = [
    "ACCOUNT_ID",
    "AUTOSCALING_DIMENSION",
    "AUTOSCALING_ROLE",
    "DEFAULT_DATA_CAPTURE",
    "DEFAULT_INSTANCE_TYPE",
    "DEPLOYMENT_FAILED",
    "NAME_PREFIX_LENGTH",
    "ROLLED_BACK",
    "Autoscaling",
    "DataCapture",
    "HttpsApi",
    "ModelEndpoint",
    "Rollout",
    "ServerlessConfig",
]

_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
# Workflow-created names: '<prefix>-<MD5 of the execution name>' (32 hex) within SageMaker's 63.
NAME_PREFIX_LENGTH = 30
DEFAULT_INSTANCE_TYPE = "ml.m5.large"


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
        rollout: a :class:`Rollout` (blue/green canary, linear or all at once, a bake time, and
            automatic rollback on :attr:`alarms`) for every update of the endpoint. Default
            ``None``: SageMaker's default update (blue/green, all at once, no bake time, no
            automatic rollback).
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
        rollout: Rollout | None = None,
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
            check_serverless(self, serverless, autoscaling, vpc, network_isolation, data_capture)
            check_serverless_instances(self, instance_type, instance_count)
            if data_capture is DEFAULT_DATA_CAPTURE:
                data_capture = None
            network_isolation = False if network_isolation is None else network_isolation
        else:
            instance_type = DEFAULT_INSTANCE_TYPE if instance_type is None else instance_type
            instance_count = 1 if instance_count is None else instance_count
            check_instance_type(self, "instance_type", instance_type, "ProductionVariantInstanceType")
            check_range(self, "instance_count", instance_count, minimum=1)
            if autoscaling is not None:
                check_autoscaling(self, autoscaling, instance_count)
            network_isolation = True if network_isolation is None else network_isolation
        self.data_capture = data_capture
        self.network_isolation = bool(network_isolation)
        self.instance_type = None if serverless else instance_type
        self.instance_count = None if serverless else instance_count
        capture_prefix = check_data_capture(self, data_capture) if data_capture else ""
        models_prefix = check_s3_prefix(self, "models_prefix", models_prefix) or ""
        model_key, model_url = check_model_data(self, model_data)
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
            check_api(self, api)
        if rollout is not None:
            check_rollout(
                self,
                rollout,
                serverless=serverless is not None,
                instance_type=None if serverless else instance_type,
                instance_count=instance_count,
            )
        self.rollout = rollout
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
        self.subnet_ids, self.security_groups = vpc_placement(
            self,
            vpc,
            vpc_subnets,
            security_groups,
            f"Model of {self.node.path}: HTTPS out only (artifact and image downloads)",
        )
        if self.subnet_ids and self._own_role:
            assert isinstance(self.role, iam.Role)
            grant_vpc_access(self.role, self, self.subnet_ids, self.security_groups)

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
        self.model_error_alarm = alarm_at_least(
            self,
            "ModelErrorAlarm",
            self.metric_model_errors(),
            description=f"{self.node.path}: the model gave no valid response (InvocationModelErrors)",
            topic=alarm_topic,
        )
        self.alarms: list[cloudwatch.Alarm] = [self.error_alarm, self.latency_alarm, self.model_error_alarm]
        if rollout is not None and self._own_role:
            # SageMaker reads the rollback alarms as the endpoint's execution role.
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["cloudwatch:DescribeAlarms"], resources=[a.alarm_arn for a in self.alarms]
                )
            )

        self.update_endpoint_request(config_name="c")  # its DeploymentConfig names the alarms

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

        # -- public API ----------------------------------------------------------------------------
        self.api: apigw.RestApi | None = None
        self.api_role: iam.Role | None = None
        self.access_log_group: logs.LogGroup | None = None
        self.execution_log_group: logs.LogGroup | None = None
        self.web_acl: wafv2.CfnWebACL | None = None
        self.api_account: apigw.CfnAccount | None = None
        self.api_settings = api
        if api is not None:
            public_api(self, api, removal)

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
            match = S3_URL.fullmatch(model_url)
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

    @property
    def deployment_config(self) -> dict[str, Any] | None:
        """The ``DeploymentConfig`` of :attr:`rollout` (rollback on :attr:`alarms`), or ``None``."""
        if self.rollout is None:
            return None
        return deployment_config(self.rollout, [alarm.alarm_name for alarm in self.alarms])

    def update_endpoint_request(self, *, config_name: str) -> dict[str, Any]:
        """The ``UpdateEndpoint`` request: the new config, :attr:`deployment_config`, and the
        :attr:`endpoint_overrides` members ``UpdateEndpoint`` takes (not ``Tags``)."""
        request: dict[str, Any] = {"EndpointName": self.endpoint_name, "EndpointConfigName": config_name}
        if self.deployment_config is not None:
            request["DeploymentConfig"] = self.deployment_config
        members = input_shape("UpdateEndpoint").members
        overrides = {k: v for k, v in self.endpoint_overrides.items() if k.removesuffix(".$") in members}
        return finish_request(self, "endpoint_overrides", "UpdateEndpoint", request, overrides, tags=False)

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
        if self.deployment_config is not None:
            self.endpoint.add_property_override("DeploymentConfig", self.deployment_config)
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
        return endpoint_deploy.deploy_tasks(
            self,
            scope,
            id,
            model_data_path=model_data_path,
            result_path=result_path,
            poll_interval=poll_interval,
        )

    def grant_deploy(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` (the state machine running :meth:`deploy_tasks`) deploy models here:
        create models and configs under this endpoint's name prefix, create/update/describe this
        endpoint, pass the execution role, use the key, and register autoscaling."""
        endpoint_deploy.grant_deploy(self, grantee)

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

    def metric_model_errors(self, **props: Any) -> cloudwatch.Metric:
        """Requests without a valid model response (4xx/5xx from the container, timeouts)."""
        return self.metric("InvocationModelErrors", **props)

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
