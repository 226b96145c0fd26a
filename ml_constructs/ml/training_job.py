"""TrainingJob: a SageMaker training job definition, its Step Functions task, and an on-demand runner."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import DEFAULT_LOG_RETENTION, check_range, check_s3_prefix, invalid
from ..core.nag import acknowledge_object_grants
from ..core.state_machines import secure_state_machine
from ..core.validation import check_construct_id, renamed
from ..store.data_lake import DataLake, Zone
from ._jobs import (
    MAX_JOB_SECONDS,
    check_duration,
    check_gpu,
    check_instance_type,
    execution_input_pass,
    grant_job_logs_and_metrics,
    grant_key_use,
    grant_sync_job,
    grant_vpc_access,
    has_local_storage,
    hyperparameter_strings,
    job_name_prefix,
    merged_hyperparameters,
    name_field,
    result_path_value,
    sagemaker_arn,
    subnet_selection,
    sync_resource,
    unique_name_expression,
)
from ._requests import check_overrides, finish_request
from .algorithms import check_gpu_hyperparameters
from .images import SageMakerImage

# Training job names: 63 characters; the prefix leaves room for '-' and a 36-character UUID.
JOB_PREFIX_LENGTH = 26
_CHANNEL_NAME = re.compile(r"[A-Za-z0-9.\-_]{1,64}")


class InputMode(StrEnum):
    """How the algorithm reads a channel."""

    FILE = "File"  # copy to the volume before training
    PIPE = "Pipe"  # stream through a Unix pipe
    FAST_FILE = "FastFile"  # stream on demand through a file system view


class S3Distribution(StrEnum):
    """How a channel's objects spread over the instances of a distributed job."""

    FULLY_REPLICATED = "FullyReplicated"
    SHARDED_BY_S3_KEY = "ShardedByS3Key"


class Compression(StrEnum):
    NONE = "None"
    GZIP = "Gzip"


@dataclass(frozen=True)
class InputChannel:
    """A training input channel: the objects under ``prefix`` in a data lake ``zone``.

    Defaults: the processed zone, every instance gets all objects, no compression, the job's
    input mode, no content type (set ``"text/csv"`` for CSV into built-in algorithms).
    """

    name: str
    prefix: str
    zone: Zone = Zone.PROCESSED
    content_type: str | None = None
    distribution: S3Distribution = S3Distribution.FULLY_REPLICATED
    compression: Compression = Compression.NONE
    input_mode: InputMode | None = None


@dataclass(frozen=True)
class SpotTraining:
    """Managed spot training: up to ~90% cheaper, may be interrupted and resumed.

    ``max_wait`` (>= the job's ``max_runtime``) bounds waiting for spot capacity plus running.
    Checkpoints go to the data lake's models zone under ``checkpoint_prefix`` + the execution
    name (``.request()``: + the job name), so a resumed job continues where it stopped.
    """

    max_wait: Duration
    checkpoint_prefix: str = "checkpoints/"
    local_path: str = "/opt/ml/checkpoints"


@dataclass(frozen=True)
class MetricDefinition:
    """A metric SageMaker scrapes from your container's logs with ``regex`` (own images only)."""

    name: str
    regex: str


DEFAULT_CHANNELS = (
    InputChannel("train", "train/", content_type="text/csv"),
    InputChannel("validation", "validation/", content_type="text/csv"),
)


class TrainingJob(Construct):
    """A SageMaker training job definition: the request, a Step Functions task, an on-demand runner.

    CloudFormation has no training job resource. This construct validates every argument at
    synth, builds the ``CreateTrainingJob`` request (:meth:`request`), a Step Functions task
    for it (:meth:`task`, the ``createTrainingJob.sync`` optimized integration through a
    ``CustomState``: CDK's ``SageMakerCreateTrainingJob`` has no managed spot, checkpoint or
    inter-container encryption fields), and deploys a small state machine
    (:attr:`state_machine`) that runs the job on demand. Its execution input may override
    hyperparameters: ``{"hyperparameters": {"max_depth": "8"}}`` (string values, as SageMaker
    wants them).

    Defaults: network isolation on, inter-container traffic encryption on, output (model
    artifacts) and volumes encrypted with the lake's key (instance types with local NVMe
    storage are encrypted in hardware; SageMaker rejects a volume key for them), no VPC, a new
    least-privilege execution role, 1 instance, 30 GB volume, 2 h max runtime, no spot.

    Args:
        lake: the data lake: channels read from its zones, output goes to its models zone.
        image: the container (:class:`SageMakerImage`).
        instance_type: a SageMaker training instance type (botocore's ``TrainingInstanceType``).
        gpu: require an NVIDIA GPU instance family (p3, p4d, p5, g4dn, g5, g6, ...).
        instance_count: instances (>1: distributed training).
        volume_size_gb: EBS volume per instance (1-16384 GB).
        max_runtime: stop the job after this long (1 s - 28 days).
        spot: managed spot training with checkpoints (:class:`SpotTraining`).
        hyperparameters: static hyperparameters (values become strings).
        channels: input channels (default ``train/`` and ``validation/`` CSV in the processed zone).
        input_mode: the default input mode of the channels (File).
        output_prefix: where model artifacts go in the models zone (default ``training/<id>/``).
        vpc / vpc_subnets / security_groups: run inside a VPC (default: no VPC; subnets default
            to the VPC's private subnets; a security group is created when none is given).
            ``subnets=`` is the deprecated name of ``vpc_subnets`` (kept one release).
        network_isolation: no network access from the container (default True).
        inter_container_encryption: encrypt traffic between instances (default True).
        metric_definitions: metrics to scrape from logs (own images; built-in algorithms publish
            theirs).
        role: bring your own execution role (you grant it; nothing is added to it).
        encryption_key: KMS key for output and volumes (default the lake's).
        job_name_prefix: the start of every job name (default: unique to this construct).
        retry_attempts: SageMaker-side retries of an internal failure (RetryStrategy, 1-30).
        environment: environment variables of the container (up to 100).
        removal_policy / log_retention: of the state machine's log group (default the lake's
            removal policy, three months).
        request_overrides: members merged deeply into every ``CreateTrainingJob`` request
            (:meth:`request`, :meth:`task`) for what the arguments do not cover, e.g.
            ``{"ProfilerConfig": {...}, "Tags": [...]}``; ``None`` removes a member. The merged
            request is checked against botocore's model at synth. (Tuning builds its own
            request: see ``HyperparameterTuning(request_overrides=)``.)

    Every request carries the stack's tags (``Tags``), so the jobs' cost can be allocated.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake,
        image: SageMakerImage,
        instance_type: str,
        gpu: bool = False,
        instance_count: int = 1,
        volume_size_gb: int = 30,
        max_runtime: Duration = Duration.hours(2),
        spot: SpotTraining | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        channels: Sequence[InputChannel] = DEFAULT_CHANNELS,
        input_mode: InputMode = InputMode.FILE,
        output_prefix: str | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        network_isolation: bool = True,
        inter_container_encryption: bool = True,
        metric_definitions: Sequence[MetricDefinition] = (),
        role: iam.IRole | None = None,
        encryption_key: kms.IKey | None = None,
        job_name_prefix: str | None = None,
        retry_attempts: int | None = None,
        environment: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        request_overrides: Mapping[str, Any] | None = None,
        subnets: ec2.SubnetSelection | None = None,
    ) -> None:
        check_construct_id(scope, id, "TrainingJob")
        super().__init__(scope, id)
        vpc_subnets = renamed(self, "subnets", subnets, "vpc_subnets", vpc_subnets)
        self.request_overrides = check_overrides(self, "request_overrides", request_overrides)
        if not isinstance(image, SageMakerImage):
            raise invalid(self, "image", image, "a SageMakerImage (built_in, from_ecr_repository, from_uri)")
        check_instance_type(self, "instance_type", instance_type, "TrainingInstanceType")
        if gpu:
            check_gpu(self, "instance_type", instance_type)
        check_range(self, "instance_count", instance_count, minimum=1, maximum=100)
        check_range(self, "volume_size_gb", volume_size_gb, minimum=1, maximum=16384, unit="GB")
        self.max_runtime_seconds = check_duration(self, "max_runtime", max_runtime)
        self.max_wait_seconds: int | None = None
        self.checkpoint_prefix: str | None = None
        if spot is not None:
            wait = spot.max_wait.to_seconds()
            if wait < self.max_runtime_seconds:
                raise invalid(
                    self,
                    "spot.max_wait",
                    f"{wait:g} seconds",
                    f">= max_runtime ({self.max_runtime_seconds} seconds): it bounds waiting for "
                    "spot capacity plus the run itself",
                )
            self.max_wait_seconds = check_duration(self, "spot.max_wait", spot.max_wait)
            self.checkpoint_prefix = check_s3_prefix(self, "spot.checkpoint_prefix", spot.checkpoint_prefix)
            if not self.checkpoint_prefix:
                raise invalid(
                    self, "spot.checkpoint_prefix", spot.checkpoint_prefix, "a non-empty key prefix"
                )
            if not spot.local_path.startswith("/opt/ml/"):
                raise invalid(self, "spot.local_path", spot.local_path, "a path under /opt/ml/")
        self.hyperparameters = hyperparameter_strings(self, "hyperparameters", hyperparameters)
        check_gpu_hyperparameters(self, image.algorithm, instance_type, self.hyperparameters)
        self.channels = self._check_channels(channels)
        self.input_mode = InputMode(input_mode)
        default_output = "training/" + re.sub(r"[^a-z0-9-]", "-", id.lower()) + "/"
        self.output_prefix = check_s3_prefix(self, "output_prefix", output_prefix or default_output) or ""
        if image.kind == "built_in" and metric_definitions:
            raise invalid(
                self,
                "metric_definitions",
                [m.name for m in metric_definitions],
                "none for built-in algorithms (they publish their own metrics, e.g. validation:auc)",
            )
        if len(metric_definitions) > 40:
            raise invalid(self, "metric_definitions", f"{len(metric_definitions)} definitions", "at most 40")
        for metric in metric_definitions:
            if not 1 <= len(metric.name) <= 255 or not 1 <= len(metric.regex) <= 500:
                raise invalid(
                    self, "metric_definitions", metric, "a name of 1-255 and a regex of 1-500 characters"
                )
            try:
                re.compile(metric.regex)
            except re.error as error:
                raise invalid(self, "metric_definitions", metric.regex, f"a valid regex ({error})") from None
        self.metric_definitions = tuple(metric_definitions)
        if retry_attempts is not None:
            check_range(self, "retry_attempts", retry_attempts, minimum=1, maximum=30)
        self.environment = dict(environment or {})
        if len(self.environment) > 100:
            raise invalid(self, "environment", f"{len(self.environment)} variables", "at most 100")
        if (vpc_subnets is not None or security_groups) and vpc is None:
            raise invalid(self, "vpc_subnets/security_groups", "given", "a vpc with them")

        self.lake = lake
        self.image = image
        self.instance_type = instance_type
        self.gpu = gpu
        self.instance_count = instance_count
        self.volume_size_gb = volume_size_gb
        self.spot = spot
        self.network_isolation = network_isolation
        self.inter_container_encryption = inter_container_encryption
        self.retry_attempts = retry_attempts
        self.encryption_key: kms.IKey = encryption_key or lake.encryption_key
        self.job_name_prefix = job_name_prefix_for(self, job_name_prefix)
        removal = removal_policy or lake.removal_policy

        # -- network ---------------------------------------------------------------------------
        self.vpc = vpc
        self.security_groups: list[ec2.ISecurityGroup] = list(security_groups or [])
        self.subnet_ids: list[str] = []
        if vpc is not None:
            if not self.security_groups:
                group = ec2.SecurityGroup(
                    self,
                    "SecurityGroup",
                    vpc=vpc,
                    description=f"Training instances of {self.node.path}",
                    allow_all_outbound=True,
                )
                # Instances of one distributed job talk to each other (and nothing else in).
                group.add_ingress_rule(group, ec2.Port.all_traffic(), "between the job's own instances")
                self.security_groups = [group]
            self.subnet_ids = vpc.select_subnets(**subnet_selection(vpc_subnets)).subnet_ids
            if not self.subnet_ids:
                raise invalid(self, "vpc_subnets", vpc_subnets, "a selection with at least one subnet")

        # -- execution role --------------------------------------------------------------------
        self._own_role = role is None
        self.role: iam.IRole = role or iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"SageMaker execution role of the training jobs of {self.node.path}",
        )
        self.image_uri = image.bind(self, self.role if self._own_role else None)
        if isinstance(self.role, iam.Role) and self._own_role:
            self._grant_execution_role(self.role)

        # Fail at synth, with this path, on overrides SageMaker would reject.
        self.request()

        # -- on-demand runner ------------------------------------------------------------------
        timeout = (self.max_wait_seconds or self.max_runtime_seconds) + 3600
        definition = execution_input_pass(self, "Input", {"hyperparameters": {}}).next(
            self.task(self, "Train", hyperparameters_path="$.hyperparameters")
        )
        self.state_machine, self.log_group = secure_state_machine(
            self,
            "StateMachine",
            definition=definition,
            encryption_key=self.encryption_key,
            timeout=Duration.seconds(min(timeout, MAX_JOB_SECONDS + 3600)),
            removal_policy=removal,
            retention=log_retention,
            purpose=f"Runs the training job of {self.node.path} on demand",
        )
        self.grant_run(self.state_machine)

    # -- validation helpers ------------------------------------------------------------------
    def _check_channels(self, channels: Sequence[InputChannel]) -> tuple[InputChannel, ...]:
        if not 1 <= len(channels) <= 20:
            raise invalid(self, "channels", len(channels), "1-20 input channels")
        names = [c.name for c in channels]
        if len(set(names)) != len(names):
            raise invalid(self, "channels", names, "unique channel names")
        checked = []
        for channel in channels:
            if not isinstance(channel, InputChannel):
                raise invalid(self, "channels", channel, "InputChannel values")
            if not _CHANNEL_NAME.fullmatch(channel.name):
                raise invalid(self, "channels.name", channel.name, "1-64 letters, digits, '.', '-', '_'")
            Zone(channel.zone)
            prefix = check_s3_prefix(self, f"channels[{channel.name}].prefix", channel.prefix) or ""
            if channel.content_type is not None and len(channel.content_type) > 256:
                raise invalid(
                    self, f"channels[{channel.name}].content_type", channel.content_type, "<= 256 chars"
                )
            checked.append(
                InputChannel(
                    name=channel.name,
                    prefix=prefix,
                    zone=Zone(channel.zone),
                    content_type=channel.content_type,
                    distribution=S3Distribution(channel.distribution),
                    compression=Compression(channel.compression),
                    input_mode=InputMode(channel.input_mode) if channel.input_mode else None,
                )
            )
        return tuple(checked)

    def _grant_execution_role(self, role: iam.Role) -> None:
        reads = []
        for channel in self.channels:
            self.lake.grant_read(role, channel.zone, channel.prefix)
            reads.append((self.lake.bucket(channel.zone), channel.prefix))
        models = self.lake.bucket(Zone.MODELS)
        self.lake.grant_write(role, Zone.MODELS, self.output_prefix)
        writes = [(models, self.output_prefix)]
        if self.checkpoint_prefix:
            self.lake.grant_read(role, Zone.MODELS, self.checkpoint_prefix)
            self.lake.grant_write(role, Zone.MODELS, self.checkpoint_prefix)
            reads.append((models, self.checkpoint_prefix))
            writes.append((models, self.checkpoint_prefix))
        acknowledge_object_grants(
            role,
            reads=reads,
            writes=writes,
            purpose=f"the training jobs of {self.node.path} read their input channels"
            + (" and checkpoints" if self.checkpoint_prefix else "")
            + " and write model artifacts",
        )
        grant_key_use(role, self.encryption_key, volume=self.volume_key_id is not None)
        grant_job_logs_and_metrics(role, "TrainingJobs", self.node.path)
        if self.vpc is not None:
            grant_vpc_access(role, self, self.subnet_ids, self.security_groups)

    # -- the request ---------------------------------------------------------------------------
    @property
    def volume_key_id(self) -> str | None:
        """The volume KMS key, or ``None`` where the instance type's local storage is used."""
        return None if has_local_storage(self.instance_type) else self.encryption_key.key_arn

    def request(
        self, *, job_name: str | None = None, hyperparameters: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The ``CreateTrainingJob`` request (CDK tokens where values come at deploy).

        ``hyperparameters`` override the static ones. ``job_name`` defaults to the prefix +
        ``-manual``; checkpoints go under the prefix + the job name.
        """
        name = job_name or f"{self.job_name_prefix}-manual"
        overrides = hyperparameter_strings(self, "hyperparameters", hyperparameters)
        request = self.definition(checkpoint_suffix=f"{name}/")
        request["TrainingJobName"] = name
        request["HyperParameters"] = {**self.hyperparameters, **overrides}
        return finish_request(self, "request_overrides", "CreateTrainingJob", request, self.request_overrides)

    def definition(self, *, checkpoint_suffix: str | None = None) -> dict[str, Any]:
        """The job definition shared by the training request and tuning's TrainingJobDefinition
        (no job name, no hyperparameters)."""
        algorithm: dict[str, Any] = {
            "TrainingImage": self.image_uri,
            "TrainingInputMode": self.input_mode.value,
        }
        if self.metric_definitions:
            algorithm["MetricDefinitions"] = [
                {"Name": m.name, "Regex": m.regex} for m in self.metric_definitions
            ]
        resources: dict[str, Any] = {
            "InstanceType": self.instance_type,
            "InstanceCount": self.instance_count,
            "VolumeSizeInGB": self.volume_size_gb,
        }
        if self.volume_key_id is not None:
            resources["VolumeKmsKeyId"] = self.volume_key_id
        stopping: dict[str, Any] = {"MaxRuntimeInSeconds": self.max_runtime_seconds}
        request: dict[str, Any] = {
            "AlgorithmSpecification": algorithm,
            "RoleArn": self.role.role_arn,
            "InputDataConfig": [self._channel(c) for c in self.channels],
            "OutputDataConfig": {
                "S3OutputPath": self.lake.s3_uri(Zone.MODELS, self.output_prefix),
                "KmsKeyId": self.encryption_key.key_arn,
            },
            "ResourceConfig": resources,
            "StoppingCondition": stopping,
            "EnableNetworkIsolation": self.network_isolation,
            "EnableInterContainerTrafficEncryption": self.inter_container_encryption,
        }
        if self.spot is not None:
            assert self.max_wait_seconds is not None
            stopping["MaxWaitTimeInSeconds"] = self.max_wait_seconds
            request["EnableManagedSpotTraining"] = True
            request["CheckpointConfig"] = {
                "S3Uri": self.lake.s3_uri(Zone.MODELS, f"{self.checkpoint_prefix}{checkpoint_suffix or ''}"),
                "LocalPath": self.spot.local_path,
            }
        if self.vpc is not None:
            request["VpcConfig"] = {
                "SecurityGroupIds": [g.security_group_id for g in self.security_groups],
                "Subnets": self.subnet_ids,
            }
        if self.retry_attempts is not None:
            request["RetryStrategy"] = {"MaximumRetryAttempts": self.retry_attempts}
        if self.environment:
            request["Environment"] = dict(self.environment)
        return request

    def _channel(self, channel: InputChannel) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ChannelName": channel.name,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": self.lake.s3_uri(channel.zone, channel.prefix),
                    "S3DataDistributionType": channel.distribution.value,
                }
            },
            "CompressionType": channel.compression.value,
        }
        if channel.content_type:
            result["ContentType"] = channel.content_type
        if channel.input_mode:
            result["InputMode"] = channel.input_mode.value
        return result

    # -- Step Functions ------------------------------------------------------------------------
    def task(
        self,
        scope: Construct,
        id: str,
        *,
        job_name: str | None = None,
        hyperparameters_path: str | None = None,
        instance_type_path: str | None = None,
        result_path: str | None = "$.training",
    ) -> sfn.CustomState:
        """A ``createTrainingJob.sync`` task; its result holds the job name, ARN and artifacts.

        Args:
            job_name: a JSONPath (``$.name``) or intrinsic for the job name (default: the
                prefix + a fresh UUID per run).
            hyperparameters_path: a JSONPath to an object of (string) hyperparameters merged
                over the static ones, e.g. ``$.hyperparameters``.
            instance_type_path: a JSONPath to the instance type to train on instead of
                ``instance_type`` (e.g. ``$.training_instance_type``). SageMaker checks it at
                run time: a type with local NVMe storage rejects the volume KMS key an EBS-only
                type gets, so override within the same storage kind.
            result_path: where the result goes in the state's output (``None``: discard it).

        The role of the state machine running it needs :meth:`grant_run`.
        """
        params = self.definition()
        params.pop("CheckpointConfig", None)
        if self.spot is not None:
            uri = self.lake.s3_uri(Zone.MODELS, self.checkpoint_prefix or "")
            params["CheckpointConfig"] = {
                "S3Uri.$": f"States.Format('{uri}{{}}/', $$.Execution.Name)",
                "LocalPath": self.spot.local_path,
            }
        params.update(name_field("TrainingJobName", job_name, unique_name_expression(self.job_name_prefix)))
        if hyperparameters_path:
            params["HyperParameters.$"] = merged_hyperparameters(self.hyperparameters, hyperparameters_path)
        else:
            params["HyperParameters"] = dict(self.hyperparameters)
        if instance_type_path:
            resources = params["ResourceConfig"]
            del resources["InstanceType"]
            resources["InstanceType.$"] = instance_type_path
        params = finish_request(
            self, "request_overrides", "CreateTrainingJob", params, self.request_overrides
        )
        state: dict[str, Any] = {
            "Type": "Task",
            "Comment": f"Train with {self.node.path}",
            "Resource": sync_resource("createTrainingJob"),
            "Parameters": params,
            "ResultSelector": {
                "TrainingJobName.$": "$.TrainingJobName",
                "TrainingJobArn.$": "$.TrainingJobArn",
                "TrainingJobStatus.$": "$.TrainingJobStatus",
                "ModelArtifacts.$": "$.ModelArtifacts.S3ModelArtifacts",
                "TrainingImage.$": "$.AlgorithmSpecification.TrainingImage",
            },
            "ResultPath": result_path_value(result_path),
        }
        return sfn.CustomState(scope, id, state_json=state)

    def grant_run(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` (a state machine) run :meth:`task`: create, describe and stop this
        construct's training jobs, the ``.sync`` EventBridge rule, pass the execution role."""
        grant_sync_job(
            grantee,
            self,
            actions=[
                "sagemaker:CreateTrainingJob",
                "sagemaker:DescribeTrainingJob",
                "sagemaker:StopTrainingJob",
                # Step Functions tags every job it starts with .sync (MANAGED_BY_AWS).
                "sagemaker:AddTags",
            ],
            resources=[self.job_arn_pattern],
            events_rule="StepFunctionsGetEventsForSageMakerTrainingJobsRule",
            passed_role=self.role,
            reason=f"Training jobs are named at run time; the ARN is limited to the job name prefix "
            f"'{self.job_name_prefix}-' of {self.node.path}.",
        )

    @property
    def job_arn_pattern(self) -> str:
        return sagemaker_arn(self, "training-job", f"{self.job_name_prefix}-*")

    def grant_start(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start the on-demand state machine."""
        return self.state_machine.grant_start_execution(grantee)


def job_name_prefix_for(scope: Construct, given: str | None, max_length: int = JOB_PREFIX_LENGTH) -> str:
    return job_name_prefix(scope, given, max_length, "job_name_prefix")
