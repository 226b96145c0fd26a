"""BatchTransform: offline predictions for a whole prefix of the data lake, run by Step Functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import DEFAULT_LOG_RETENTION, check_range, check_s3_prefix, invalid
from ..core.nag import acknowledge_object_grants
from ..core.state_machines import secure_state_machine
from ..core.validation import check_construct_id
from ..store.data_lake import DataLake, Zone
from ._jobs import (
    MAX_JOB_SECONDS,
    check_duration,
    check_instance_type,
    execution_input_pass,
    grant_sync_job,
    has_local_storage,
    name_field,
    result_path_value,
    sagemaker_arn,
    sync_resource,
    task_state,
    unique_name_expression,
)
from ._jobs import (
    job_name_prefix as check_name,
)
from ._requests import check_overrides, finish_request
from .images import SageMakerImage
from .training_job import TrainingJob, grant_job_logs_and_metrics, grant_key_use

JOB_PREFIX_LENGTH = 26


class SplitType(StrEnum):
    """How input files are cut into records."""

    NONE = "None"
    LINE = "Line"
    RECORD_IO = "RecordIO"
    TF_RECORD = "TFRecord"


class AssembleWith(StrEnum):
    """How predictions are put together in the output files."""

    NONE = "None"
    LINE = "Line"


class BatchStrategy(StrEnum):
    MULTI_RECORD = "MultiRecord"  # as many records per request as fit in max_payload_mb
    SINGLE_RECORD = "SingleRecord"


class JoinSource(StrEnum):
    NONE = "None"
    INPUT = "Input"  # join each prediction to its input record


_JSONPATH_SEGMENT = re.compile(
    r"""\.(?:\*|[^.\[\]\s'"]+)"""  # .name or .*
    r"""|\[(?:\*"""  # [*]
    r"""|'[^']*'(?:\s*,\s*'[^']*')*"""  # ['a','b']
    r"""|-?\d+(?:\s*,\s*-?\d+)*"""  # [0,-1]
    r"""|-?\d*:-?\d*"""  # [1:] [:3] [1:-1]
    r""")\]"""
)


def is_jsonpath_filter(value: str) -> bool:
    """True for a JSONPath built from the operators SageMaker's batch transform filters support
    (``$``, ``.name``, ``.*``, ``['name',...]``, ``[index,...]``, ``[start:end]``)."""
    if Token.is_unresolved(value):
        return True
    if not isinstance(value, str) or not value.startswith("$"):
        return False
    position = 1
    while position < len(value):
        match = _JSONPATH_SEGMENT.match(value, position)
        if match is None:
            return False
        position = match.end()
    return True


class BatchTransform(Construct):
    """A SageMaker batch transform job: the request, a Step Functions task, an on-demand runner.

    Reads every object under ``input_prefix`` of the processed zone, writes predictions
    (``<file>.out``) under ``output_prefix`` of the curated zone, encrypted with the lake's key.
    The task is a ``CustomState`` with ``createTransformJob.sync``: CDK's
    ``SageMakerCreateTransformJob`` creates and passes an unused role with the
    ``AmazonSageMakerFullAccess`` managed policy, grants ``sagemaker:ListTags`` on ``*`` and has
    no ``DataProcessing`` (input/output filters, join) fields.

    A transform job reads and writes with its *model's* execution role: pass that role as
    ``model_role`` (it gets the input, output and key grants), or let the construct create one
    (:attr:`model_role`) and create the model with :meth:`create_model_task`.

    Args:
        lake: the data lake.
        model_name: the SageMaker model to run, or a JSONPath to it in the state input (default
            ``$.model_name``: the on-demand state machine's input names the model).
        model_role: the model's execution role (default: a new one, :attr:`model_role`).
        instance_type: a SageMaker ``TransformInstanceType`` (default ``ml.m5.large``).
        instance_count: instances (default 1).
        input_prefix: in the processed zone (default ``batch-input/``).
        output_prefix: in the curated zone (default ``predictions/<id>/``).
        content_type / accept: MIME types of input records and predictions (default text/csv).
        split: how input is cut into records (default Line).
        assemble: how predictions are joined (default Line).
        batch_strategy: MultiRecord (default) or SingleRecord.
        max_payload_mb: per request (0-100, default 6).
        max_concurrent_transforms: parallel requests per instance (default: SageMaker's choice).
        compressed: input objects are gzip-compressed (default False).
        input_filter / output_filter / join_source: JSONPath filters and joining predictions to
            their input (DataProcessing).
        invocation_timeout / invocation_retries: per request (1-3600 s, 0-3).
        max_runtime: how long the task waits for the job (default 1 day).
        environment: environment variables of the container.
        encryption_key: output and volume encryption (default the lake's key).
        job_name_prefix: start of every transform job name (default unique to this construct).
        removal_policy / log_retention: of the state machine's log group.
        request_overrides: members merged deeply into every ``CreateTransformJob`` request
            (:meth:`request`, :meth:`task`), e.g. ``{"DataCaptureConfig": {...}}``; ``None``
            removes a member. Checked against botocore's model at synth.
        model_overrides: the same for the ``CreateModel`` request of :meth:`create_model_task`.

    Every request carries the stack's tags (``Tags``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake,
        model_name: str | None = None,
        model_role: iam.IRole | None = None,
        instance_type: str = "ml.m5.large",
        instance_count: int = 1,
        input_prefix: str = "batch-input/",
        output_prefix: str | None = None,
        content_type: str = "text/csv",
        accept: str | None = "text/csv",
        split: SplitType = SplitType.LINE,
        assemble: AssembleWith = AssembleWith.LINE,
        batch_strategy: BatchStrategy = BatchStrategy.MULTI_RECORD,
        max_payload_mb: int = 6,
        max_concurrent_transforms: int | None = None,
        compressed: bool = False,
        input_filter: str | None = None,
        output_filter: str | None = None,
        join_source: JoinSource = JoinSource.NONE,
        invocation_timeout: Duration | None = None,
        invocation_retries: int | None = None,
        max_runtime: Duration = Duration.days(1),
        environment: Mapping[str, str] | None = None,
        encryption_key: kms.IKey | None = None,
        job_name_prefix: str | None = None,
        removal_policy: RemovalPolicy | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        request_overrides: Mapping[str, Any] | None = None,
        model_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        check_construct_id(scope, id, "BatchTransform")
        super().__init__(scope, id)
        self.request_overrides = check_overrides(self, "request_overrides", request_overrides)
        self.model_overrides = check_overrides(self, "model_overrides", model_overrides)
        check_instance_type(self, "instance_type", instance_type, "TransformInstanceType")
        check_range(self, "instance_count", instance_count, minimum=1, maximum=100)
        self.input_prefix = check_s3_prefix(self, "input_prefix", input_prefix) or ""
        default_output = (
            "predictions/" + "".join(c if c.isalnum() or c == "-" else "-" for c in id.lower()) + "/"
        )
        self.output_prefix = check_s3_prefix(self, "output_prefix", output_prefix or default_output) or ""
        for argument, value in (("content_type", content_type), ("accept", accept)):
            if value is not None and not 1 <= len(value) <= 256:
                raise invalid(self, argument, value, "a MIME type of 1-256 characters")
        self.split = SplitType(split)
        self.assemble = AssembleWith(assemble)
        self.batch_strategy = BatchStrategy(batch_strategy)
        self.join_source = JoinSource(join_source)
        check_range(self, "max_payload_mb", max_payload_mb, minimum=0, maximum=100, unit="MB")
        if max_concurrent_transforms is not None:
            check_range(self, "max_concurrent_transforms", max_concurrent_transforms, minimum=1, maximum=1000)
        if self.batch_strategy is BatchStrategy.MULTI_RECORD and self.split is SplitType.NONE:
            raise invalid(
                self, "split", "None", "a SplitType other than None with batch_strategy=MultiRecord"
            )
        for argument, value in (("input_filter", input_filter), ("output_filter", output_filter)):
            if value is not None and not (is_jsonpath_filter(value) and len(value) <= 63):
                raise invalid(
                    self,
                    argument,
                    value,
                    "a JSONPath of at most 63 characters with SageMaker's operators: $ .name .* "
                    "['name',...] [index,...] [start:end], e.g. '$[1:]', '$.features', \"$['id','score']\"",
                )
        self.invocation_timeout_seconds = (
            check_duration(self, "invocation_timeout", invocation_timeout, minimum=1, maximum=3600)
            if invocation_timeout is not None
            else None
        )
        if invocation_retries is not None:
            check_range(self, "invocation_retries", invocation_retries, minimum=0, maximum=3)
        self.max_runtime_seconds = check_duration(self, "max_runtime", max_runtime, maximum=MAX_JOB_SECONDS)
        self.environment = dict(environment or {})
        if len(self.environment) > 16:
            raise invalid(self, "environment", f"{len(self.environment)} variables", "at most 16")
        if model_name is not None and not model_name.startswith("$") and not Token.is_unresolved(model_name):
            check_name(self, model_name, 63, "model_name")

        self.lake = lake
        self.model_name = model_name
        self.instance_type = instance_type
        self.instance_count = instance_count
        self.content_type, self.accept = content_type, accept
        self.max_payload_mb = max_payload_mb
        self.max_concurrent_transforms = max_concurrent_transforms
        self.compressed = compressed
        self.input_filter, self.output_filter = input_filter, output_filter
        self.invocation_retries = invocation_retries
        self.encryption_key: kms.IKey = encryption_key or lake.encryption_key
        self.job_name_prefix = check_name(self, job_name_prefix, JOB_PREFIX_LENGTH, "job_name_prefix")
        removal = removal_policy or lake.removal_policy

        self._own_model_role = model_role is None
        self.model_role: iam.IRole = model_role or iam.Role(
            self,
            "ModelRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of the models that {self.node.path} runs",
        )
        if isinstance(self.model_role, iam.Role):
            self.grant_data_access(self.model_role)
        # Fail at synth, with this path, on model overrides SageMaker would reject.
        example_model = {
            "ModelName": "model",
            "PrimaryContainer": {"Image": "image", "ModelDataUrl": "s3://bucket/model.tar.gz"},
            "ExecutionRoleArn": self.model_role.role_arn,
            "EnableNetworkIsolation": True,
        }
        finish_request(self, "model_overrides", "CreateModel", example_model, self.model_overrides)

        defaults = {} if model_name is None or model_name.startswith("$") else {"model_name": model_name}
        definition = execution_input_pass(self, "Input", defaults).next(
            self.task(
                self,
                "Transform",
                model_name=model_name
                if model_name is not None and model_name.startswith("$")
                else "$.model_name",
            )
        )
        self.state_machine, self.log_group = secure_state_machine(
            self,
            "StateMachine",
            definition=definition,
            encryption_key=self.encryption_key,
            timeout=Duration.seconds(self.max_runtime_seconds + 600),
            removal_policy=removal,
            retention=log_retention,
            purpose=f"Runs the batch transform of {self.node.path} on demand",
        )
        self.grant_run(self.state_machine)

    # -- grants --------------------------------------------------------------------------------
    def grant_data_access(self, role: iam.Role, *, model_data: tuple[Zone, str] | None = None) -> None:
        """Grant a model execution role what the transform job does with it: read the input,
        write predictions, use the key (and read model artifacts under ``model_data``)."""
        self.lake.grant_read(role, Zone.PROCESSED, self.input_prefix)
        self.lake.grant_write(role, Zone.CURATED, self.output_prefix)
        reads = [(self.lake.bucket(Zone.PROCESSED), self.input_prefix)]
        if model_data is not None:
            self.lake.grant_read(role, model_data[0], model_data[1])
            reads.append((self.lake.bucket(model_data[0]), model_data[1]))
        acknowledge_object_grants(
            role,
            reads=reads,
            writes=[(self.lake.bucket(Zone.CURATED), self.output_prefix)],
            purpose=f"the transform jobs of {self.node.path} read input records and write predictions",
        )
        grant_key_use(role, self.encryption_key, volume=self.volume_key_id is not None)
        grant_job_logs_and_metrics(role, "TransformJobs", self.node.path)

    # -- the request ---------------------------------------------------------------------------
    @property
    def volume_key_id(self) -> str | None:
        return None if has_local_storage(self.instance_type) else self.encryption_key.key_arn

    def request(self, *, job_name: str | None = None, model_name: str | None = None) -> dict[str, Any]:
        """The ``CreateTransformJob`` request (CDK tokens where values come at deploy)."""
        name = model_name or self.model_name
        if name is None or name.startswith("$"):
            raise invalid(self, "model_name", name, "a model name for a concrete request")
        request = self._params()
        request["TransformJobName"] = job_name or f"{self.job_name_prefix}-manual"
        request["ModelName"] = name
        return finish_request(
            self, "request_overrides", "CreateTransformJob", request, self.request_overrides
        )

    def _params(self) -> dict[str, Any]:
        transform_input: dict[str, Any] = {
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": self.lake.s3_uri(Zone.PROCESSED, self.input_prefix),
                }
            },
            "ContentType": self.content_type,
            "CompressionType": "Gzip" if self.compressed else "None",
            "SplitType": self.split.value,
        }
        transform_output: dict[str, Any] = {
            "S3OutputPath": self.lake.s3_uri(Zone.CURATED, self.output_prefix),
            "AssembleWith": self.assemble.value,
            "KmsKeyId": self.encryption_key.key_arn,
        }
        if self.accept:
            transform_output["Accept"] = self.accept
        resources: dict[str, Any] = {"InstanceType": self.instance_type, "InstanceCount": self.instance_count}
        if self.volume_key_id is not None:
            resources["VolumeKmsKeyId"] = self.volume_key_id
        params: dict[str, Any] = {
            "TransformInput": transform_input,
            "TransformOutput": transform_output,
            "TransformResources": resources,
            "BatchStrategy": self.batch_strategy.value,
            "MaxPayloadInMB": self.max_payload_mb,
        }
        if self.max_concurrent_transforms is not None:
            params["MaxConcurrentTransforms"] = self.max_concurrent_transforms
        processing: dict[str, Any] = {}
        if self.input_filter:
            processing["InputFilter"] = self.input_filter
        if self.output_filter:
            processing["OutputFilter"] = self.output_filter
        if self.join_source is not JoinSource.NONE:
            processing["JoinSource"] = self.join_source.value
        if processing:
            params["DataProcessing"] = processing
        if self.invocation_timeout_seconds is not None or self.invocation_retries is not None:
            client: dict[str, Any] = {}
            if self.invocation_timeout_seconds is not None:
                client["InvocationsTimeoutInSeconds"] = self.invocation_timeout_seconds
            if self.invocation_retries is not None:
                client["InvocationsMaxRetries"] = self.invocation_retries
            params["ModelClientConfig"] = client
        if self.environment:
            params["Environment"] = dict(self.environment)
        return params

    # -- Step Functions ------------------------------------------------------------------------
    def task(
        self,
        scope: Construct,
        id: str,
        *,
        model_name: str | None = None,
        job_name: str | None = None,
        result_path: str | None = "$.transform",
    ) -> sfn.CustomState:
        """A ``createTransformJob.sync`` task. ``model_name``: a name or JSONPath (default the
        construct's ``model_name``, else ``$.model_name``). The role running it needs
        :meth:`grant_run`."""
        params = self._params()
        params.update(name_field("TransformJobName", job_name, unique_name_expression(self.job_name_prefix)))
        model = model_name or self.model_name or "$.model_name"
        params.update(name_field("ModelName", model, model))
        params = finish_request(
            self, "request_overrides", "CreateTransformJob", params, self.request_overrides
        )
        return task_state(
            scope,
            id,
            comment=f"Batch transform with {self.node.path}",
            resource=sync_resource("createTransformJob"),
            parameters=params,
            result_selector={
                "TransformJobName.$": "$.TransformJobName",
                "TransformJobArn.$": "$.TransformJobArn",
                "TransformJobStatus.$": "$.TransformJobStatus",
                "S3OutputPath.$": "$.TransformOutput.S3OutputPath",
            },
            result_path=result_path_value(result_path),
            timeout_seconds=self.max_runtime_seconds,
        )

    def create_model_task(
        self,
        scope: Construct,
        id: str,
        *,
        image: SageMakerImage | None = None,
        image_path: str = "$.best.TrainingImage",
        model_data_path: str = "$.best.ModelArtifacts",
        training: TrainingJob | None = None,
        result_path: str = "$.model",
    ) -> sfn.CustomState:
        """A ``CreateModel`` task for the model a transform runs, e.g. the best tuned model.

        The model gets :attr:`model_role` and network isolation; its name lands at
        ``<result_path>.ModelName`` (pass ``model_name="$.model.ModelName"`` to :meth:`task`).
        ``training`` grants the model role read on that job's artifacts. The role running it
        needs :meth:`grant_create_model`.
        """
        if self._own_model_role and training is not None and isinstance(self.model_role, iam.Role):
            self.lake.grant_read(self.model_role, Zone.MODELS, training.output_prefix)
            acknowledge_object_grants(
                self.model_role,
                reads=[(self.lake.bucket(Zone.MODELS), training.output_prefix)],
                purpose=f"the models of {self.node.path} load the artifacts of {training.node.path}",
            )
        container: dict[str, Any] = {"ModelDataUrl.$": model_data_path}
        if image is not None:
            container["Image"] = image.bind(self, self.model_role if self._own_model_role else None)
        else:
            container["Image.$"] = image_path
        return task_state(
            scope,
            id,
            comment=f"Create the model {self.node.path} runs",
            resource=sync_resource("createModel", ""),
            parameters=finish_request(
                self,
                "model_overrides",
                "CreateModel",
                {
                    "ModelName.$": unique_name_expression(self.model_prefix),
                    "PrimaryContainer": container,
                    "ExecutionRoleArn": self.model_role.role_arn,
                    "EnableNetworkIsolation": True,
                },
                self.model_overrides,
            ),
            result_selector={
                "ModelArn.$": "$.ModelArn",
                "ModelName.$": "States.ArrayGetItem(States.StringSplit($.ModelArn, '/'), 1)",
            },
            result_path=result_path_value(result_path),
        )

    @property
    def model_prefix(self) -> str:
        # Lower case: SageMaker lowercases names in ARNs, and create_model_task reads the name back
        # from the model ARN, so a mixed-case name would not be found by the transform.
        return f"{self.job_name_prefix[:20]}-model".lower()

    def grant_run(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` run :meth:`task`: create, describe and stop this construct's
        transform jobs, and the ``.sync`` EventBridge rule."""
        grant_sync_job(
            grantee,
            self,
            actions=[
                "sagemaker:CreateTransformJob",
                "sagemaker:DescribeTransformJob",
                "sagemaker:StopTransformJob",
                # Step Functions tags every job it starts with .sync (MANAGED_BY_AWS).
                "sagemaker:AddTags",
            ],
            resources=[sagemaker_arn(self, "transform-job", f"{self.job_name_prefix}-*")],
            events_rule="StepFunctionsGetEventsForSageMakerTransformJobsRule",
            passed_role=None,
            reason=f"Transform jobs are named at run time; the ARN is limited to the job name prefix "
            f"'{self.job_name_prefix}-' of {self.node.path}.",
        )

    def grant_create_model(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` run :meth:`create_model_task` (CreateModel, pass :attr:`model_role`)."""
        grant_sync_job(
            grantee,
            self,
            # AddTags: the request carries the stack's tags.
            actions=["sagemaker:CreateModel", "sagemaker:AddTags"],
            resources=[sagemaker_arn(self, "model", f"{self.model_prefix}-*")],
            events_rule=None,
            passed_role=self.model_role,
            reason=f"Models are named at run time; the ARN is limited to the model name prefix "
            f"'{self.model_prefix}-' of {self.node.path}.",
        )

    def grant_start(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start the on-demand state machine."""
        return self.state_machine.grant_start_execution(grantee)
