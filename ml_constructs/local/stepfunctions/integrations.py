"""Service integrations of the interpreter, as AWS runs them.

- Every call a task makes (optimized integrations, ``aws-sdk:``, ``.sync`` polls, Lambda) is
  signed as the state machine's role (or the task's ``Credentials.RoleArn``) with the role's
  temporary credentials from :func:`ml_constructs.local.iam.session_as` (as ``client_as`` does),
  so the emulator authorizes it against that role's policies: a missing grant fails the task
  with the service's AccessDenied error, as on AWS. (moto signed with fixed keys and sent the
  calls to ``localhost:5000``.) Lambda errors get the same ``Exception`` suffix.
- ``aws-sdk:`` tasks: AWS accepts PascalCase member names for every service and SDK service
  names (``sfn``, ``applicationautoscaling``); requests are reshaped to botocore's input shape,
  responses come back PascalCase (``$.Executions`` of ``sfn:listExecutions``) with ISO-8601
  timestamps, and errors are named ``<Service>.<ErrorCode>`` with an ``Exception`` suffix
  (``Glue.CrawlerRunningException``, ``SageMaker.AccessDeniedException``), as the Step Functions
  docs describe.
- ``sagemaker:`` optimized integrations forward to the API; ``create*`` calls carry the tag
  ``MANAGED_BY_AWS=STARTED_BY_STEP_FUNCTIONS`` (which is why the role needs
  ``sagemaker:AddTags``); ``createTrainingJob``, ``createHyperParameterTuningJob``,
  ``createTransformJob`` and ``createProcessingJob`` support ``.sync``: the job's Describe API is
  polled until its status is terminal; ``Completed`` gives the Describe response (timestamps as
  epoch milliseconds), ``Failed``/``Stopped`` fail the task with ``States.TaskFailed`` and the
  Describe response as JSON cause.
- ``emr-serverless:startJobRun`` (``.sync``): PascalCase parameters, ``GetJobRun`` polled until
  ``SUCCESS`` (output: the GetJobRun response, PascalCase) or ``FAILED``/``CANCELLED``
  (``States.TaskFailed``, cause: that response as JSON).
"""

from __future__ import annotations

import datetime
import functools
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from .. import api, iam
from . import signing

MANAGED_TAG = {"Key": "MANAGED_BY_AWS", "Value": "STARTED_BY_STEP_FUNCTIONS"}

# SDK service names of ``aws-sdk:<service>:<action>`` that are not botocore's name with the
# dashes removed (that rule covers applicationautoscaling -> application-autoscaling, ...).
_SDK_SERVICES = {
    "sfn": "stepfunctions",
    "cloudwatchlogs": "logs",
    "eventbridge": "events",
    "elasticloadbalancingv2": "elbv2",
    "databasemigration": "dms",
}
# Error-name prefixes where the SDK's PascalCase differs from botocore's serviceId words.
_ERROR_SERVICES = {"stepfunctions": "Sfn", "dynamodb": "DynamoDb"}

# .sync of the SageMaker optimized integration: create action -> (describe operation, name
# member, status member).
SAGEMAKER_SYNC = {
    "createTrainingJob": ("DescribeTrainingJob", "TrainingJobName", "TrainingJobStatus"),
    "createHyperParameterTuningJob": (
        "DescribeHyperParameterTuningJob",
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobStatus",
    ),
    "createTransformJob": ("DescribeTransformJob", "TransformJobName", "TransformJobStatus"),
    "createProcessingJob": ("DescribeProcessingJob", "ProcessingJobName", "ProcessingJobStatus"),
}
SAGEMAKER_DONE = "Completed"
SAGEMAKER_FAILED = ("Failed", "Stopped")
EMR_SERVERLESS_DONE = "SUCCESS"
EMR_SERVERLESS_FAILED = ("FAILED", "CANCELLED")

_installed = False
_lock = threading.Lock()
_creating = threading.Lock()
_clients: dict[tuple[str | None, str, str, str | None], Any] = {}


# ----------------------------------------------------------------------------- signing


def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    """Replaces moto's ``boto_client_for``: a client signed as the task's role (cached)."""
    from botocore.config import Config

    role = getattr(state_credentials, "role_arn", None)
    key = (role, service, region, api.endpoint())
    with _lock:
        found = _clients.get(key)
    if found is not None:
        return found
    with _creating:  # boto3 sessions do not create clients safely from several threads
        found = _clients.get(key)
        if found is not None:
            return found
        # The role's temporary credentials, on one shared session: a session per role would
        # load each service model again (about 0.5 s for SageMaker's).
        credentials = iam.session_as(role, region).get_credentials().get_frozen_credentials()
        found = _shared_session().client(
            service,
            region_name=region,
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
            endpoint_url=api.endpoint(),
            config=Config(
                parameter_validation=False,  # the integrations pass loosely typed values, as moto's did
                retries={"max_attempts": 1, "mode": "standard"},
                s3={"addressing_style": "path"},
                connect_timeout=10,
                read_timeout=300,
            ),
        )
        signing.read_xml_errors(found)
        with _lock:
            _clients[key] = found
    return found


@functools.lru_cache(maxsize=1)
def _shared_session() -> Any:
    import boto3

    return boto3.session.Session(
        aws_access_key_id=api.ACCESS_KEY, aws_secret_access_key=api.SECRET_KEY, region_name=api.REGION
    )


def forget_clients() -> None:
    """Drop cached clients (their role sessions die with a moto reset)."""
    with _lock:
        _clients.clear()
    iam.forget_sessions()


# ----------------------------------------------------------------------------- shapes


@functools.cache
def service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@functools.cache
def botocore_service(sdk_name: str) -> str:
    """``aws-sdk:<name>`` as botocore's service name."""
    import botocore.session

    name = sdk_name.lower()
    if name in _SDK_SERVICES:
        return _SDK_SERVICES[name]
    available = botocore.session.get_session().get_available_services()
    if name in available:
        return name
    return {s.replace("-", ""): s for s in available}.get(name, name)


@functools.cache
def error_service_name(service: str) -> str:
    """The ``<Service>`` part of an error name: the SDK's PascalCase of the service id."""
    if service in _ERROR_SERVICES:
        return _ERROR_SERVICES[service]
    words = str(service_model(service).service_id).split()
    return "".join(w.capitalize() if w.isupper() else w[0].upper() + w[1:] for w in words)


def operation_name(service: str, action: str) -> str:
    """``registerScalableTarget`` as botocore's operation name (``RegisterScalableTarget``)."""
    names = {n.lower(): n for n in service_model(service).operation_names}
    return names.get(action.lower(), action[0].upper() + action[1:])


def to_request(value: Any, shape: Any) -> Any:
    """``value`` with its member names matched case-insensitively to botocore's ``shape``
    (PascalCase -> camelCase), JSON values rendered where a string is expected. Unknown
    members are kept: botocore rejects them, as AWS does."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        members = {name.lower(): name for name in shape.members}
        result = {}
        for key, item in value.items():
            name = members.get(str(key).lower())
            result[name or key] = to_request(item, shape.members[name]) if name else item
        return result
    if kind == "list" and isinstance(value, list):
        return [to_request(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: to_request(v, shape.value) for k, v in value.items()}
    if kind == "string" and isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if kind == "blob" and isinstance(value, str):
        return value.encode()
    return value


def to_output(value: Any, shape: Any, *, pascal: bool, millis: bool) -> Any:
    """A botocore response as a task result: JSON values only, member names PascalCase when
    ``pascal``, timestamps as ISO-8601 strings or epoch milliseconds."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000) if millis else value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "read"):  # StreamingBody
        return value.read().decode("utf-8", "replace")
    kind = getattr(shape, "type_name", None)
    if isinstance(value, Mapping):
        if kind == "structure":
            out = {}
            for key, item in value.items():
                if key == "ResponseMetadata":
                    continue
                member = shape.members.get(key)
                name = key[0].upper() + key[1:] if pascal and key else key
                out[name] = to_output(item, member, pascal=pascal, millis=millis)
            return out
        inner = shape.value if kind == "map" else None
        return {k: to_output(v, inner, pascal=pascal, millis=millis) for k, v in value.items()}
    if isinstance(value, list):
        inner = shape.member if kind == "list" else None
        return [to_output(v, inner, pascal=pascal, millis=millis) for v in value]
    return value


def json_ready(value: Any) -> Any:
    """``value`` (a dict or list, changed in place) with timestamps as epoch milliseconds, as
    the optimized integrations answer (a ``datetime`` left in a task result broke
    DescribeExecution's JSON)."""
    converted = to_output(value, None, pascal=False, millis=True)
    if isinstance(value, dict):
        value.clear()
        value.update(converted)
    elif isinstance(value, list):
        value[:] = converted
    return value


def error_name(service: str, error: ClientError) -> str:
    code = str(error.response.get("Error", {}).get("Code") or "Unknown")
    code = code.rsplit("#", 1)[-1].rsplit(":", 1)[0]
    if not code.endswith("Exception"):
        code += "Exception"
    return f"{error_service_name(service)}.{code}"


def error_cause(service: str, error: ClientError) -> str:
    info = error.response.get("Error", {})
    meta = error.response.get("ResponseMetadata", {})
    return (
        f"{info.get('Message', '')} (Service: {error_service_name(service)}, "
        f"Status Code: {meta.get('HTTPStatusCode')}, Request ID: {meta.get('RequestId')})"
    )


# ----------------------------------------------------------------------------- install


def install() -> None:
    global _installed
    if _installed:
        return
    _install_signing()
    _install_shapes()
    _install_glue()
    _install_lambda()
    _install_aws_sdk()
    _install_optimized()
    _installed = True


def _install_signing() -> None:
    import importlib

    from moto.moto_api._internal.models import MotoAPIBackend

    reset = MotoAPIBackend.reset

    def reset_and_forget(self: Any) -> None:
        reset(self)
        forget_clients()  # the roles' temporary credentials died with moto's state

    MotoAPIBackend.reset = reset_and_forget  # type: ignore[method-assign]

    modules = (
        "state_map.result_writer.resource_eval.resource_eval_s3",
        "state_map.item_reader.eval.resource_eval_s3",
        "state_task.lambda_eval_utils",
        *(
            f"state_task.service.state_task_service_{name}"
            for name in (
                "unsupported",
                "glue",
                "events",
                "ecs",
                "sqs",
                "sfn",
                "dynamodb",
                "batch",
                "sns",
                "aws_sdk",
            )
        ),
    )
    for name in modules:
        module = importlib.import_module(f"moto.stepfunctions.parser.asl.component.state.exec.{name}")
        module.boto_client_for = client_for  # type: ignore[attr-defined]


@functools.cache
def operation_model(service: str, snake_action: str) -> Any:
    """botocore's operation model for ``service`` and a snake_case action (``start_execution``)."""
    from botocore import xform_name

    model = service_model(service)
    names = {xform_name(name): name for name in model.operation_names}
    name = names.get(snake_action)
    return model.operation_model(name) if name else None


def _install_shapes() -> None:
    """moto's port left ``StateTaskService._normalise_parameters`` / ``_normalise_response`` as
    no-ops (LocalStack fills them from the service's botocore shapes), so an optimized
    integration of a camelCase API got PascalCase members (``states:startExecution`` failed with
    ``KeyError: 'StateMachineArn'``) and answered camelCase. Restored here with moto's own
    ``_to_boto_request`` / ``_from_boto_response``; SageMaker, EMR Serverless and aws-sdk tasks
    do their own (:mod:`.optimized`, :func:`_install_aws_sdk`)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    def shape(task: Any, service: str | None, action: str | None, which: str) -> Any:
        try:
            found = operation_model(
                task._get_boto_service_name(service), task._get_boto_service_action(action)
            )
        except Exception:  # noqa: BLE001 - unknown to botocore: leave the value as it is
            return None
        return getattr(found, which, None) if found is not None else None

    def normalise_parameters(
        self: Any,
        parameters: dict,
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        input_shape = shape(self, boto_service_name, service_action_name, "input_shape")
        if input_shape is not None:
            self._to_boto_request(parameters, input_shape)

    def normalise_response(
        self: Any, response: Any, boto_service_name: str | None = None, service_action_name: str | None = None
    ) -> None:
        output_shape = shape(self, boto_service_name, service_action_name, "output_shape")
        if output_shape is not None:
            self._from_boto_response(response, output_shape)
        json_ready(response)

    StateTaskService._normalise_parameters = normalise_parameters  # type: ignore[method-assign]
    StateTaskService._normalise_response = normalise_response  # type: ignore[method-assign]


def _install_glue() -> None:
    """Glue ``startJobRun.sync`` answers the JobRun with epoch-millisecond timestamps; errors get
    AWS's names."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_glue import (  # noqa: E501
        StateTaskServiceGlue,
    )

    build = StateTaskServiceGlue._sync_to_start_job_run

    def sync_to_start_job_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        resolve: Any = build(self, *args, **kwargs)

        def resolved() -> Any:
            found = resolve()
            return json_ready(found) if found is not None else None

        return resolved

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        # moto named Glue errors ``Glue.<Code>``; AWS adds the ``Exception`` suffix where the
        # code lacks it (``Glue.AccessDeniedException``), as for every integration.
        if isinstance(ex, ClientError):
            return task_failure(self, env, error_name("glue", ex), error_cause("glue", ex))
        return glue_from_error(self, env, ex)

    glue_from_error = StateTaskServiceGlue._from_error
    StateTaskServiceGlue._sync_to_start_job_run = sync_to_start_job_run  # type: ignore[method-assign]
    StateTaskServiceGlue._from_error = from_error  # type: ignore[method-assign]


def _install_lambda() -> None:
    """Lambda errors carry the ``Exception`` suffix too (``Lambda.AccessDeniedException``)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_lambda import (  # noqa: E501
        StateTaskServiceLambda,
    )

    named = StateTaskServiceLambda._error_cause_from_client_error

    def error_cause_from_client_error(client_error: ClientError) -> tuple[str, str]:
        error, cause = named(client_error)
        return (error if error.endswith("Exception") else error + "Exception"), cause

    replacement = staticmethod(error_cause_from_client_error)
    setattr(StateTaskServiceLambda, "_error_cause_from_client_error", replacement)  # noqa: B010


def _install_aws_sdk() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (  # noqa: E501
        StateTaskServiceAwsSdk,
    )

    def service_name(self: Any, boto_service_name: str | None = None) -> str:
        return botocore_service(boto_service_name or self.resource.api_name)

    def eval_service_task(
        self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> None:
        service = self._get_boto_service_name()
        operation = service_model(service).operation_model(operation_name(service, self.resource.api_action))
        client = client_for(resource_runtime_part.region, service, state_credentials)
        from botocore import xform_name

        request = to_request(normalised_parameters, operation.input_shape)
        response = getattr(client, xform_name(operation.name))(**request) or {}
        env.stack.append(to_output(response, operation.output_shape, pascal=True, millis=False))

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, ClientError):
            service = self._get_boto_service_name()
            return task_failure(self, env, error_name(service, ex), error_cause(service, ex))
        return original_from_error(self, env, ex)

    def as_is(self: Any, *args: Any, **kwargs: Any) -> None:
        return None  # eval_service_task reshapes request and response itself

    original_from_error = StateTaskServiceAwsSdk._from_error
    StateTaskServiceAwsSdk._normalise_parameters = as_is  # type: ignore[method-assign]
    StateTaskServiceAwsSdk._normalise_response = as_is  # type: ignore[method-assign]
    StateTaskServiceAwsSdk._get_boto_service_name = service_name  # type: ignore[method-assign]
    StateTaskServiceAwsSdk._eval_service_task = eval_service_task  # type: ignore[method-assign]
    StateTaskServiceAwsSdk._from_error = from_error  # type: ignore[method-assign]


def task_failure(task: Any, env: Any, error: str, cause: str, *, states_error: bool = False) -> Any:
    """A TaskFailed failure event of ``task`` (``states_error``: ``error`` is a ``States.*`` name)."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    name = (
        StatesErrorName(typ=StatesErrorNameType.from_name(error)) if states_error else CustomErrorName(error)
    )
    return FailureEvent(
        env=env,
        error_name=name,
        event_type=HistoryEventType.TaskFailed,
        event_details=EventDetails(  # type: ignore[typeddict-item]  # total=True in moto, partial in use
            taskFailedEventDetails=TaskFailedEventDetails(
                error=error,
                cause=cause,
                resource=task._get_sfn_resource(),
                resourceType=task._get_sfn_resource_type(),
            )
        ),
    )


def _install_optimized() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    from .optimized import EmrServerlessTask, SageMakerTask

    if getattr(state_task_factory.state_task_service_for, "ml_constructs", False):
        return
    original = state_task_factory.state_task_service_for
    tasks: dict[str, Callable[[], Any]] = {"sagemaker": SageMakerTask, "emr-serverless": EmrServerlessTask}

    def state_task_service_for(service_name: str) -> Any:
        task = tasks.get(service_name)
        return task() if task else original(service_name)

    state_task_service_for.ml_constructs = True  # type: ignore[attr-defined]
    state_task_factory.state_task_service_for = state_task_service_for  # type: ignore[attr-defined]
