"""The SageMaker and EMR Serverless optimized integrations, with ``.sync`` (see :mod:`.integrations`).

moto forwarded ``sagemaker:*`` and ``emr-serverless:*`` tasks to the API without ``.sync`` (a
``.sync`` task failed with "Unsupported .sync callback procedure"). These task classes start the
job, then poll its describe API at :func:`.interpreter.poll_seconds` until it ends.
"""

from __future__ import annotations

import json
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from .integrations import (
    EMR_SERVERLESS_DONE,
    EMR_SERVERLESS_FAILED,
    MANAGED_TAG,
    SAGEMAKER_DONE,
    SAGEMAKER_FAILED,
    SAGEMAKER_SYNC,
    client_for,
    error_service_name,
    operation_name,
    service_model,
    task_failure,
    to_output,
    to_request,
)


def _base() -> type:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (  # noqa: E501
        StateTaskServiceCallback,
    )

    return StateTaskServiceCallback


def _failure_exception(event: Any) -> Exception:
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException

    return FailureEventException(failure_event=event)


class _OptimizedTask(_base()):  # type: ignore[misc]
    """Common part: call ``SERVICE``'s operation named by the resource, signed as the role."""

    SERVICE = ""
    PASCAL_OUTPUT = False

    def __init__(self) -> None:
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
            ResourceCondition,
        )

        super().__init__(supported_integration_patterns={ResourceCondition.Sync})

    def _normalise_parameters(self, *args: Any, **kwargs: Any) -> None:
        return None  # _call reshapes request and response with the operation's shapes

    def _normalise_response(self, *args: Any, **kwargs: Any) -> None:
        return None

    def _validate_service_integration_is_supported(self) -> None:
        return None  # checked when the task runs (the operation must exist in botocore's model)

    def _operation(self, action: str | None = None) -> Any:
        name = operation_name(self.SERVICE, action or self.resource.api_action)
        return service_model(self.SERVICE).operation_model(name)

    def _call(self, region: str, credentials: Any, operation: Any, request: dict[str, Any]) -> dict[str, Any]:
        client = client_for(region, self.SERVICE, credentials)
        response = getattr(client, xform_name(operation.name))(**to_request(request, operation.input_shape))
        return to_output(response, operation.output_shape, pascal=self.PASCAL_OUTPUT, millis=True)

    def _request(self, parameters: dict[str, Any]) -> dict[str, Any]:
        return parameters

    def _eval_service_task(
        self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> None:
        operation = self._operation()
        request = self._request(dict(normalised_parameters))
        response = self._call(resource_runtime_part.region, state_credentials, operation, request)
        env.stack.append(response)

    def _job_failed(self, env: Any, describe: dict[str, Any]) -> Exception:
        return _failure_exception(
            task_failure(self, env, "States.TaskFailed", json.dumps(describe, default=str), states_error=True)
        )

    def _from_error(self, env: Any, ex: Exception) -> Any:
        if isinstance(ex, ClientError):
            return task_failure(self, env, self._error_name(ex), self._error_cause(ex))
        return super()._from_error(env=env, ex=ex)

    def _error_name(self, ex: ClientError) -> str:
        code = str(ex.response.get("Error", {}).get("Code") or "Unknown")
        return (
            f"{error_service_name(self.SERVICE)}.{code if code.endswith('Exception') else code + 'Exception'}"
        )

    def _error_cause(self, ex: ClientError) -> str:
        info = ex.response.get("Error", {})
        meta = ex.response.get("ResponseMetadata", {})
        return (
            f"{info.get('Message', '')} (Service: {error_service_name(self.SERVICE)}; Status Code: "
            f"{meta.get('HTTPStatusCode')}; Error Code: {info.get('Code')}; "
            f"Request ID: {meta.get('RequestId')}; Proxy: null)"
        )


class SageMakerTask(_OptimizedTask):
    """``arn:aws:states:::sagemaker:<action>[.sync]``.

    Errors: a code modeled in SageMaker's API (``ResourceLimitExceeded``, ``ResourceInUse``,
    ``ResourceNotFound``, ``Conflict``) is ``SageMaker.<Code>Exception``; any other
    (``AccessDeniedException``, ``ValidationException``, throttling) is
    ``SageMaker.AmazonSageMakerException``, the error the optimized integration reports (its
    cause names the code: ``(Service: AmazonSageMaker; ...; Error Code: AccessDeniedException; ...)``).
    """

    SERVICE = "sagemaker"

    def _get_sfn_resource_type(self) -> str:
        return "sagemaker"

    def _request(self, parameters: dict[str, Any]) -> dict[str, Any]:
        operation = self._operation()
        if self.resource.api_action.startswith("create") and "Tags" in operation.input_shape.members:
            tags = [t for t in parameters.get("Tags") or [] if t.get("Key") != MANAGED_TAG["Key"]]
            parameters["Tags"] = [*tags, dict(MANAGED_TAG)]
        return parameters

    def _build_sync_resolver(
        self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> Any:
        action = self.resource.api_action
        if action not in SAGEMAKER_SYNC:
            raise RuntimeError(
                f"Unsupported .sync callback procedure in resource {self.resource.resource_arn}"
            )
        describe_name, name_member, status_member = SAGEMAKER_SYNC[action]
        env.stack.pop()  # the create response: {"<Job>Arn": ...}
        name = normalised_parameters[name_member]
        describe = self._operation(describe_name)
        region = resource_runtime_part.region

        def resolve() -> Any:
            found = self._call(region, state_credentials, describe, {name_member: name})
            status = found.get(status_member)
            if status == SAGEMAKER_DONE:
                return found
            if status in SAGEMAKER_FAILED:
                raise self._job_failed(env, found)
            return None

        return resolve

    def _error_name(self, ex: ClientError) -> str:
        code = str(ex.response.get("Error", {}).get("Code") or "")
        if code and code in {shape.name for shape in service_model("sagemaker").error_shapes}:
            return f"SageMaker.{code if code.endswith('Exception') else code + 'Exception'}"
        return "SageMaker.AmazonSageMakerException"

    def _error_cause(self, ex: ClientError) -> str:
        return super()._error_cause(ex).replace("(Service: SageMaker;", "(Service: AmazonSageMaker;")


class EmrServerlessTask(_OptimizedTask):
    """``arn:aws:states:::emr-serverless:<action>[.sync]`` (PascalCase in, PascalCase out)."""

    SERVICE = "emr-serverless"
    PASCAL_OUTPUT = True

    def _get_sfn_resource_type(self) -> str:
        return "emr-serverless"

    def _build_sync_resolver(
        self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> Any:
        if self.resource.api_action != "startJobRun":
            raise RuntimeError(
                f"Unsupported .sync callback procedure in resource {self.resource.resource_arn}"
            )
        started = env.stack.pop()
        key = {"ApplicationId": started["ApplicationId"], "JobRunId": started["JobRunId"]}
        get_job_run = self._operation("GetJobRun")
        region = resource_runtime_part.region

        def resolve() -> Any:
            found = self._call(region, state_credentials, get_job_run, key)
            state = (found.get("JobRun") or {}).get("State")
            if state == EMR_SERVERLESS_DONE:
                return found
            if state in EMR_SERVERLESS_FAILED:
                raise self._job_failed(env, found)
            return None

        return resolve
