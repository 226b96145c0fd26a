"""Fixes to moto's ASL interpreter where it differs from AWS on the machines this library makes.

Each patch is small, idempotent and says which AWS behaviour it restores:

- escapes in intrinsic string literals: ``\\{`` ``\\}`` ``\\'`` ``\\\\`` stand for the character
  itself (moto kept the backslash, so ``States.StringToJson('\\{...\\}')`` failed), and an escaped
  brace in ``States.Format`` is a literal brace, not a placeholder (moto ran ``str.format`` on
  the unescaped template: KeyError);
- a ``States.*`` error (``States.TaskFailed``, ``States.Runtime``, ...) raised inside a
  ``Parallel`` branch or a ``Map`` iteration reaches the state as that error (moto raised a
  Python ``ValueError`` building a custom error name from it);
- ``States.Runtime`` is not caught or retried by ``States.ALL`` / ``States.TaskFailed`` (only by
  its own name): it fails the execution, as the Step Functions docs say;
- a ``.sync`` task of an integration without ``.waitForTaskToken`` (Glue) no longer dies on
  ``None.interrupt_all()``; and the ``.sync`` poll interval is configurable
  (``ML_CONSTRUCTS_LOCAL_SFN_POLL_SECONDS``, default 0.2 s; AWS's own cadence is irrelevant
  locally);
- a definite JSONPath through an array index (``$.Executions[0].Status``) selects one value, not a
  one-item list (Step Functions' Jayway semantics; indefinite paths, with ``*``, filters, slices
  or unions, still give lists);
- ``StopExecution`` of an execution whose worker thread has not started yet stops it (moto
  answered 500);
- ``Wait`` states and ``Retry`` intervals can be shortened for local runs
  (``ML_CONSTRUCTS_LOCAL_SFN_TIME_SCALE``, default 1: as on AWS).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from typing import Any

_installed = False

_LITERAL = "'{}\\"


def time_scale() -> float:
    """Factor on ``Wait`` states and ``Retry`` intervals (``ML_CONSTRUCTS_LOCAL_SFN_TIME_SCALE``,
    default 1: AWS's timing; 0.01 makes a 60 s wait 0.6 s)."""
    return float(os.environ.get("ML_CONSTRUCTS_LOCAL_SFN_TIME_SCALE", "1"))


def poll_seconds() -> float:
    """Seconds between two polls of a ``.sync`` task's describe API."""
    return float(os.environ.get("ML_CONSTRUCTS_LOCAL_SFN_POLL_SECONDS", "0.2"))


def split_literal(quoted: str) -> tuple[str, list[str]]:
    """An intrinsic string literal (with its quotes) as (its value, its ``States.Format`` parts:
    the pieces between unescaped ``{}`` placeholders). The escapes ``\\'`` ``\\{`` ``\\}``
    ``\\\\`` stand for the character itself."""
    text = quoted[1:-1]
    parts: list[str] = []
    current: list[str] = []
    value: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            literal = following if following in _LITERAL else char + following
            current.append(literal)
            value.append(literal)
            i += 2
            continue
        if text.startswith("{}", i):
            parts.append("".join(current))
            current = []
            value.append("{}")
            i += 2
            continue
        current.append(char)
        value.append(char)
        i += 1
    parts.append("".join(current))
    return "".join(value), parts


def install() -> None:
    global _installed
    if _installed:
        return
    _install_literals()
    _install_error_names()
    _install_sync()
    _install_time_scale()
    _install_definite_paths()
    _install_early_stop()
    _installed = True


def _install_early_stop() -> None:
    """``StopExecution`` right after ``StartExecution`` stops the execution: moto's worker creates
    its environment in its own thread, and a stop arriving before that failed with a 500
    (``None.set_stop``). Wait for the environment (it comes within milliseconds)."""
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original = ExecutionWorker.stop

    def stop(self: Any, stop_date: Any, error: str | None, cause: str | None) -> None:
        deadline = time.monotonic() + 10
        while getattr(self, "env", None) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        original(self, stop_date=stop_date, error=error, cause=cause)

    setattr(ExecutionWorker, "stop", stop)  # noqa: B010


def _install_literals() -> None:
    from moto.stepfunctions.parser.asl.component.intrinsic.argument.argument import ArgumentLiteral
    from moto.stepfunctions.parser.asl.component.intrinsic.function.statesfunction.generic.string_format import (  # noqa: E501
        StringFormat,
    )
    from moto.stepfunctions.parser.asl.parse.intrinsic.intrinsic_parser import IntrinsicParser
    from moto.stepfunctions.parser.asl.parse.intrinsic.preprocessor import Preprocessor

    parse = IntrinsicParser.parse

    def parse_decoded(src: str) -> Any:
        # moto hands over the raw JSON text of the definition's string (``\\"``, ``\\\\{``):
        # decode the JSON escapes first, so the intrinsic escapes (``\\'`` included) are lexed.
        with contextlib.suppress(ValueError):  # else: already decoded
            src = json.loads(f'"{src}"')
        return parse(src)

    def visit_string(self: Any, ctx: Any) -> Any:
        value, parts = split_literal(ctx.STRING().getText())
        literal = ArgumentLiteral(definition_value=value)
        literal.format_parts = parts  # type: ignore[attr-defined]
        return literal

    def format_body(self: Any, env: Any) -> None:
        # moto used str.format on the unescaped template: a literal brace raised KeyError.
        self.argument_list.eval(env=env)
        values = env.stack.pop()
        template = self.argument_list.arguments[0]
        parts = getattr(template, "format_parts", None) or str(values[0]).split("{}")
        arguments = [self._to_str_repr(value) for value in values[1:]]
        if len(arguments) != len(parts) - 1:
            raise ValueError(
                f"States.Format: {len(parts) - 1} placeholder(s) for {len(arguments)} argument(s)"
            )
        rendered = [parts[0]]
        for argument, part in zip(arguments, parts[1:], strict=True):
            rendered += [argument, part]
        env.stack.append("".join(rendered))

    IntrinsicParser.parse = staticmethod(parse_decoded)  # type: ignore[method-assign]
    Preprocessor.visitFunc_arg_string = visit_string  # type: ignore[method-assign]
    StringFormat._eval_body = format_body  # type: ignore[method-assign]


def _install_error_names() -> None:
    from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl

    def propagated(error_name: str | None) -> Any:
        """The error a branch / iteration ended with, as the name the parent state sees."""
        if error_name is not None and error_name.startswith("States."):
            try:
                return StatesErrorName(typ=StatesErrorNameType.from_name(error_name))
            except ValueError:
                pass
        return CustomErrorName(error_name=error_name)

    setattr(branches_decl, "CustomErrorName", propagated)  # noqa: B010 - the module's global
    setattr(iteration_worker, "CustomErrorName", propagated)  # noqa: B010

    runtime = StatesErrorName(typ=StatesErrorNameType.StatesRuntime)
    decl = error_equals_decl.ErrorEqualsDecl
    matches = decl._eval_body

    def eval_body(self: Any, env: Any) -> None:
        if env.stack and env.stack[-1] == runtime:
            env.stack.pop()
            # The wildcards (States.ALL, States.TaskFailed) do not match States.Runtime.
            env.stack.append(runtime in self.error_names)
            return
        matches(self, env)

    decl._eval_body = eval_body  # type: ignore[method-assign]


def _install_sync() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback,
    )

    setattr(callback, "time", _SleepAtPollInterval(callback.time))  # noqa: B010 - the module's global
    callback.StateTaskServiceCallback._eval_integration_pattern = _eval_integration_pattern  # type: ignore[method-assign]


def _eval_integration_pattern(
    self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
) -> None:
    """moto's ``StateTaskServiceCallback._eval_integration_pattern`` (5.2.5), except that the
    ``finally`` block interrupts the callback endpoint only when there is one: an integration
    without ``.waitForTaskToken`` (Glue) has none, and moto's ``None.interrupt_all()`` replaced
    every ``.sync`` outcome with an ``AttributeError``."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback,
    )

    condition = callback.ResourceCondition
    task_output = env.stack.pop()
    callback_endpoint: Any = None
    if condition.WaitForTaskToken in self._supported_integration_patterns:
        callback_id = env.states.context_object.context_object_data["Task"]["Token"]
        callback_endpoint = env.callback_pool_manager.get(callback_id)
    self.timeout.eval(env=env)
    timeout_seconds = env.stack.pop()
    heartbeat_endpoint = None
    if self.heartbeat:
        self.heartbeat.eval(env=env)
        heartbeat_seconds = env.stack.pop()
        heartbeat_endpoint = callback_endpoint.setup_heartbeat_endpoint(heartbeat_seconds=heartbeat_seconds)
    outcome: Any
    try:
        if self.resource.condition == condition.WaitForTaskToken:
            outcome = self._eval_wait_for_task_token(
                env=env,
                timeout_seconds=timeout_seconds,
                callback_endpoint=callback_endpoint,
                heartbeat_endpoint=heartbeat_endpoint,
            )
        else:
            env.stack.append(task_output)  # sync operations read the task output
            build = (
                self._build_sync_resolver
                if self.resource.condition == condition.Sync
                else self._build_sync2_resolver
            )
            sync_resolver = build(
                env=env,
                resource_runtime_part=resource_runtime_part,
                normalised_parameters=normalised_parameters,
                state_credentials=state_credentials,
            )
            outcome = self._eval_sync(
                env=env,
                timeout_seconds=timeout_seconds,
                callback_endpoint=callback_endpoint,
                heartbeat_endpoint=heartbeat_endpoint,
                sync_resolver=sync_resolver,
            )
    except Exception as integration_exception:  # noqa: BLE001 - handed on below, as moto does
        outcome = integration_exception
    finally:
        if callback_endpoint is not None:
            callback_endpoint.interrupt_all()
    if isinstance(outcome, callback.CallbackOutcomeTimedOut):
        raise callback.CallbackTimeoutError()
    if isinstance(outcome, callback.HeartbeatTimedOut):
        raise callback.HeartbeatTimeoutError()
    if isinstance(outcome, callback.CallbackOutcomeFailure):
        raise callback.CallbackOutcomeFailureError(callback_outcome_failure=outcome)
    if isinstance(outcome, callback.CallbackOutcomeSuccess):
        env.stack.append(json.loads(outcome.output))
    elif isinstance(outcome, Exception):
        raise outcome
    else:
        env.stack.append(outcome)


_INDEFINITE = re.compile(r"\*|\?\(|\.\.|\[[^\]]*[:,][^\]]*\]")


def is_definite(path: str) -> bool:
    """Whether a JSONPath names at most one value (no wildcard, filter, deep scan, slice, union)."""
    return not _INDEFINITE.search(path)


def _install_definite_paths() -> None:
    from moto.stepfunctions.parser.asl.utils import json_path

    singleton = json_path._is_singleton_array_access

    def unpack_single(path: str) -> bool:
        # moto unpacks a one-item result only when the path ends with ``[n]``; every definite
        # path names one value.
        return bool(singleton(path)) or is_definite(path)

    setattr(json_path, "_is_singleton_array_access", unpack_single)  # noqa: B010 - the module's global


def _install_time_scale() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        # moto's version, scaled; a stop of the execution still interrupts the wait.
        remaining = max(0.0, float(wait_seconds) * time_scale())
        deadline = time.monotonic() + remaining
        while remaining > 0 and env.is_running():
            env.program_state_event.wait(remaining)
            remaining = deadline - time.monotonic()

    WaitFunction._wait_interval = wait_interval  # type: ignore[method-assign]
    setattr(retrier_decl, "time", _ScaledSleep(retrier_decl.time))  # noqa: B010 - the module's global


class _ScaledSleep:
    """The ``time`` module as seen by moto's retrier: sleeps scaled by :func:`time_scale`."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def sleep(self, seconds: float) -> None:
        self._module.sleep(max(0.0, float(seconds) * time_scale()))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


class _SleepAtPollInterval:
    """The ``time`` module as seen by moto's ``.sync`` loop, sleeping the configured interval."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def sleep(self, _seconds: float) -> None:
        self._module.sleep(poll_seconds())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)
