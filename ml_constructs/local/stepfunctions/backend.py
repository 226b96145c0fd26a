"""One Step Functions backend, the one that executes: moto's ASL interpreter for every machine.

moto keeps two backends: the plain one (machines are stored, executions never run) and the
interpreter's (``moto.stepfunctions.parser``), which the API uses only when moto's config says
``stepfunctions: {execute_state_machine: True}``. CloudFormation, EventBridge targets and the
tagging API read the module attribute ``stepfunctions_backends`` directly, so a machine created by
a stack lived in the plain backend, invisible to the interpreter. :func:`install` turns the
interpreter on and points every reference to the plain backend at the interpreter's, so the API,
CloudFormation, rule and schedule targets and ``states:startExecution`` tasks see one set of
machines. DescribeExecution's ``output`` is the JSON text of the result (a string result
included).
"""

from __future__ import annotations

import importlib
import uuid
from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    import moto.stepfunctions as package
    from moto.core.config import default_user_config
    from moto.stepfunctions import models, responses
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend, stepfunctions_parser_backends

    # Executions run (read by responses.get_backend at every request).
    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    # CloudFormation's StateMachine model, runner._invoke_target, moto.backends.get_backend
    # ("stepfunctions": tagging API, reset) all look these names up at call time.
    for module in (models, responses, package):
        module.stepfunctions_backends = stepfunctions_parser_backends  # type: ignore[attr-defined]

    # The server finds a backend's URL map next to the backend's module; the interpreter's
    # backend lives in moto.stepfunctions.parser, which has none: use moto.stepfunctions.urls.
    StepFunctionsParserBackend._url_module = property(  # type: ignore[assignment]
        lambda self: importlib.import_module("moto.stepfunctions.urls")
    )

    start_execution = StepFunctionsParserBackend.start_execution

    def start_named_execution(self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any):
        # AWS names an unnamed execution with a UUID; moto's interpreter used the string "None"
        # (so a second unnamed start collided with the first).
        return start_execution(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_named_execution  # type: ignore[method-assign]

    describe_execution = responses.StepFunctionResponse.describe_execution

    def describe_execution_json(self: Any) -> Any:
        # The interpreter keeps an execution's output as a JSON value; the response passed a
        # string result through unencoded ("done" instead of "\"done\"") and could not encode
        # timestamps. DescribeExecution's output is the result's JSON text, as on AWS.
        from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
        from moto.stepfunctions.parser.backend.execution import Execution

        result = describe_execution(self)
        body = result.result
        if isinstance(body, dict) and "output" in body:
            execution = self.stepfunction_backend.describe_execution(body["executionArn"])
            if isinstance(execution, Execution):
                body["output"] = to_json_str(execution.output, separators=(",", ":"))
        return result

    responses.StepFunctionResponse.describe_execution = describe_execution_json  # type: ignore[method-assign]
    _installed = True


def fire_schedule(name: str, group: str = "default", *, region: str | None = None) -> str | None:
    """Invoke an EventBridge Scheduler schedule's target once, as Scheduler does at a tick.

    moto stores schedules but has no clock. A Step Functions target starts an execution with the
    target's ``Input``, signed as the schedule's ``RoleArn`` (Scheduler assumes that role, so it
    needs ``states:StartExecution``). Returns the execution ARN (``None`` for other targets,
    which are not invoked here).
    """
    from .. import api, iam

    region = region or api.REGION
    schedule = api.client("scheduler", region).get_schedule(Name=name, GroupName=group)
    target = schedule["Target"]
    if ":states:" not in target["Arn"]:
        return None
    sfn = iam.client_as(target.get("RoleArn"), "stepfunctions", region)
    started = sfn.start_execution(stateMachineArn=target["Arn"], input=target.get("Input") or "{}")
    return str(started["executionArn"])
