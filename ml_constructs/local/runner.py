"""Runs the emulator's Python Lambda functions in a local subprocess (moto needs Docker for it).

Two additions to moto, installed by :func:`install`:

- ``LambdaFunction._invoke_lambda`` for ``python*`` zip functions: the deployment package is
  unpacked once into a temporary folder and the handler runs in a child process of this
  Python (``sys.executable``: the runtime code needs only the standard library and boto3) with
  the function's environment variables, temporary credentials of its execution role (so
  :mod:`.iam` authorizes its calls against that role's policies) and ``AWS_ENDPOINT_URL``
  pointing at the emulator; its output goes to the function's CloudWatch log group, as on AWS. Other
  runtimes keep moto's Docker path. A function's ``LoggingConfig.LogGroup`` (which moto
  ignored) is where its logs go.
- EventBridge rules deliver to Lambda functions and Step Functions state machines (moto
  delivered to logs, SQS, archives and buses only): asynchronously, in a thread, with the
  target's ``Input`` / ``InputTransformer``; a state machine target starts an execution. Which
  rules receive an event is :func:`.events.receives` (EventBridge's semantics).

It is not a sandbox: the function's code runs with the permissions of this process (it is the
user's own code, from their own cloud assembly).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import uuid
import zipfile
from pathlib import Path
from typing import Any

from . import api, events

_installed = False
_unpacked: dict[str, Path] = {}
_lock = threading.Lock()

_BOOTSTRAP = r"""
import importlib, json, logging, os, sys, time, traceback
code, module, function = sys.argv[1:4]
logging.basicConfig(format="[%(levelname)s] %(name)s: %(message)s")  # as the Lambda runtime does
sys.path.insert(0, code)
deadline = time.time() + float(os.environ["AWS_LAMBDA_FUNCTION_TIMEOUT"])

class Context:
    function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    function_version = "$LATEST"
    invoked_function_arn = os.environ["ML_LOCAL_FUNCTION_ARN"]
    memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
    aws_request_id = os.environ["ML_LOCAL_REQUEST_ID"]
    log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
    log_stream_name = ""
    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.time()) * 1000))

event = json.loads(sys.stdin.read() or "null")
try:
    result = getattr(importlib.import_module(module), function)(event, Context())
except Exception as error:
    traceback.print_exc()
    print("\n" + json.dumps({"errorMessage": str(error), "errorType": type(error).__name__}))
    sys.exit(1)
print("\n" + json.dumps(result, default=str))
"""


def install() -> None:
    """Patch moto's Lambda and EventBridge models (once per process)."""
    global _installed
    if _installed:
        return
    from moto.awslambda.models import LambdaFunction
    from moto.events.models import Rule

    docker_invoke = LambdaFunction._invoke_lambda

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        if str(self.run_time or "").startswith("python") and self.package_type == "Zip" and api.endpoint():
            return invoke_locally(self, event)
        return docker_invoke(self, event)

    setattr(LambdaFunction, "_invoke_lambda", _invoke_lambda)  # noqa: B010

    create_function = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any
    ):
        function = create_function(cls, resource_name, cloudformation_json, *args, **kwargs)
        logging = (cloudformation_json.get("Properties") or {}).get("LoggingConfig") or {}
        if logging.get("LogGroup"):  # moto ignores LoggingConfig: log where the template says
            function.logs_group_name = logging["LogGroup"]
        return function

    setattr(LambdaFunction, "create_from_cloudformation_json", classmethod(create_from_cloudformation_json))  # noqa: B010

    send_to_targets = Rule.send_to_targets

    def deliver(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if not events.receives(self, original_event):
            return
        taught = [t for t in self.targets if any(s in t.get("Arn", "") for s in (":lambda:", ":states:"))]
        for target in taught:
            event = _target_input(target, original_event)
            threading.Thread(
                target=_invoke_target, args=(self.account_id, target["Arn"], event), daemon=True
            ).start()
        if len(taught) < len(self.targets):
            others = copy.copy(self)
            others.targets = [t for t in self.targets if t not in taught]
            send_to_targets(others, original_event, transform_input)

    setattr(Rule, "send_to_targets", deliver)  # noqa: B010
    _installed = True


def _target_input(target: dict[str, Any], event: Any) -> Any:
    if "Input" in target:
        return json.loads(target["Input"])
    transformer = target.get("InputTransformer")
    if transformer:
        from moto.events.utils import EventTemplateParser

        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,
        )
    return event


def _invoke_target(account_id: str, arn: str, event: Any) -> None:
    from moto.awslambda.utils import get_backend
    from moto.stepfunctions.models import stepfunctions_backends

    region = arn.split(":")[3]
    # An asynchronous delivery: a failure is in the function's log, not raised here.
    with contextlib.suppress(Exception):
        if ":states:" in arn:
            stepfunctions_backends[account_id][region].start_execution(
                arn, name=str(uuid.uuid4()), execution_input=json.dumps(event, default=str)
            )
            return
        get_backend(account_id, region).invoke(
            function_name=arn,
            qualifier=None,
            body=json.dumps(event, default=str),
            headers={"x-amz-invocation-type": "Event"},
            response_headers={},
        )


def _unpack(code: bytes) -> Path:
    digest = hashlib.sha256(code).hexdigest()
    with _lock:
        folder = _unpacked.get(digest)
        if folder is None or not folder.exists():
            folder = Path(tempfile.mkdtemp(prefix=f"ml-local-lambda-{digest[:12]}-"))
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(folder)
            _unpacked[digest] = folder
        return folder


def _role_credentials(function: Any) -> Any:
    """The function's execution role's temporary credentials (as the Lambda service hands them
    to a function), so that its calls are authorized against that role's policies."""
    from . import iam

    return iam.session_as(str(function.role or "") or None, function.region).get_credentials()


def invoke_locally(function: Any, event: Any) -> tuple[str, bool, str]:
    """Run ``function`` (a moto ``LambdaFunction``) on ``event``: (result JSON, errored, logs)."""
    module, _, handler = str(function.handler).rpartition(".")
    folder = _unpack(function.code_bytes)
    request_id = str(uuid.uuid4())
    env = {
        key: os.environ[key]
        for key in ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
        if key in os.environ
    }
    env.update({str(k): str(v) for k, v in (function.environment_vars or {}).items()})
    credentials = _role_credentials(function)
    env.update(
        AWS_ACCESS_KEY_ID=credentials.access_key,
        AWS_SECRET_ACCESS_KEY=credentials.secret_key,
        AWS_SESSION_TOKEN=credentials.token or "local",
        AWS_REGION=function.region,
        AWS_DEFAULT_REGION=function.region,
        AWS_ENDPOINT_URL=str(api.endpoint()),
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_LAMBDA_FUNCTION_NAME=function.function_name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(function.memory_size),
        AWS_LAMBDA_FUNCTION_TIMEOUT=str(function.timeout),
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_LOG_GROUP_NAME=function.logs_group_name,
        AWS_EXECUTION_ENV=f"AWS_Lambda_{function.run_time}",
        LAMBDA_TASK_ROOT=str(folder),
        ML_LOCAL_FUNCTION_ARN=function.function_arn,
        ML_LOCAL_REQUEST_ID=request_id,
        PYTHONDONTWRITEBYTECODE="1",
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", _BOOTSTRAP, str(folder), module, handler],
            input=json.dumps(event, default=str),
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
            timeout=float(function.timeout) + 30,  # plus the interpreter's start-up
        )
    except subprocess.TimeoutExpired:
        result, errored, output = json.dumps({"errorMessage": "Task timed out"}), True, "Task timed out"
    else:
        lines = done.stdout.rstrip("\n").splitlines()
        result = lines[-1] if lines else "null"
        output = "\n".join([*lines[:-1], done.stderr]).strip()
        errored = done.returncode != 0
    log = f"START RequestId: {request_id}\n{output}\nEND RequestId: {request_id}"
    try:
        function.logs_backend.ensure_log_group(function.logs_group_name)
        function.save_logs(log)
    except Exception:
        pass
    return result, errored, log
