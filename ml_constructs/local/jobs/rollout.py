"""Blue/green endpoint updates with deployment guardrails, as SageMaker documents them.

``UpdateEndpoint`` with ``DeploymentConfig.BlueGreenUpdatePolicy``: the endpoint is ``Updating``
while the new (green) fleet loads, then the traffic shifts -- all at once, a canary share of the
invocations for ``WaitIntervalInSeconds`` then the rest, or linear steps ``WaitIntervalInSeconds``
apart -- then the bake time (``TerminationWaitInSeconds``) with the old (blue) fleet kept. During
all of it the alarms of ``AutoRollbackConfiguration`` are read from the emulator's CloudWatch
(same account and region); one in ``ALARM`` rolls back: ``RollingBack``, then ``InService`` on
the old config with a ``FailureReason`` naming the alarm. Otherwise the new config is in service.

Waits and bake time are scaled like Step Functions waits (``ML_CONSTRUCTS_LOCAL_SFN_TIME_SCALE``).
``RollingUpdatePolicy`` is refused (not emulated); an alarm that does not exist fails the
``UpdateEndpoint`` call (SageMaker validates the alarms when the update starts).
"""

from __future__ import annotations

import math
import random
import threading
import time
from typing import Any

from moto.core.utils import utcnow

POLL_SECONDS = 0.02
# (account, region, endpoint) -> (new variants, share of the invocations they serve)
_shifts: dict[tuple[str, str, str], tuple[dict[str, tuple[Any, float]], float]] = {}
_lock = threading.Lock()


def check(backend: Any, deployment: dict[str, Any]) -> list[str]:
    """The rollback alarm names of ``deployment``; a ``ValidationError`` for what the emulator
    does not run or what does not exist."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.sagemaker.exceptions import ValidationError

    if deployment.get("RollingUpdatePolicy"):
        raise ValidationError(
            message="RollingUpdatePolicy is not emulated locally (ml-constructs' embedded AWS runs "
            "blue/green updates only); use BlueGreenUpdatePolicy"
        )
    alarms = [a["AlarmName"] for a in (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms") or []]
    known = cloudwatch_backends[backend.account_id][backend.region_name].alarms
    missing = [name for name in alarms if name not in known]
    if missing:
        raise ValidationError(
            message=f"The CloudWatch alarm(s) {', '.join(missing)} of AutoRollbackConfiguration do not exist "
            f"in account {backend.account_id}, region {backend.region_name}."
        )
    return alarms


def schedule(deployment: dict[str, Any], instances: int) -> list[tuple[float, float]]:
    """``(share of traffic on the new fleet, seconds)`` steps, the bake time last."""
    policy = deployment.get("BlueGreenUpdatePolicy") or {}
    routing = policy.get("TrafficRoutingConfiguration") or {"Type": "ALL_AT_ONCE"}
    wait = float(routing.get("WaitIntervalInSeconds") or 0)
    bake = float(policy.get("TerminationWaitInSeconds") or 0)

    def share(size: dict[str, Any]) -> float:
        value = float(size["Value"])
        fraction = value / 100 if size["Type"] == "CAPACITY_PERCENT" else value / max(instances, 1)
        return min(max(fraction, 0.0), 1.0)

    steps: list[tuple[float, float]] = []
    if routing["Type"] == "CANARY":
        steps.append((share(routing["CanarySize"]), wait))
    elif routing["Type"] == "LINEAR":
        step = share(routing["LinearStepSize"])
        steps += [(min(step * k, 1.0), wait) for k in range(1, math.ceil(1 / step))]
    steps.append((1.0, bake))
    return steps


def run(backend: Any, endpoint: Any, config_name: str, deployment: dict[str, Any], alarms: list[str]) -> None:
    """The update of ``endpoint`` to ``config_name`` (a background thread of the emulator)."""
    from ..stepfunctions.interpreter import time_scale
    from . import inference

    key = (backend.account_id, backend.region_name, endpoint.endpoint_name)
    config = backend.endpoint_configs[config_name]
    try:
        green = inference.load_variants(backend, config)
    except Exception as error:  # noqa: BLE001 - the endpoint reports the reason, old config serving
        endpoint.failure_reason = inference.load_failure(error)
        endpoint.endpoint_status = "InService"
        endpoint.last_modified_time = utcnow()
        return
    instances = sum(int(v.get("InitialInstanceCount") or 1) for v in config.production_variants)
    fired = None
    for share, seconds in schedule(deployment, instances):
        with _lock:
            _shifts[key] = (green, share)
        fired = _watch(backend, alarms, seconds * time_scale())
        if fired:
            break
    if fired:
        endpoint.endpoint_status = "RollingBack"
        endpoint.last_modified_time = utcnow()
        with _lock:
            _shifts.pop(key, None)  # all traffic back on the old fleet
        time.sleep(POLL_SECONDS)
        endpoint.failure_reason = (
            f"Deployment rolled back: the CloudWatch alarm {fired} was in ALARM during the deployment "
            "(AutoRollbackConfiguration)"
        )
    else:
        inference.put_in_service(backend, endpoint, config_name, green)
        with _lock:
            _shifts.pop(key, None)
    endpoint.last_deployment_config = dict(deployment)
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = utcnow()


def _watch(backend: Any, alarms: list[str], seconds: float) -> str | None:
    """The first of ``alarms`` in ``ALARM`` within ``seconds`` (checked at least once)."""
    from moto.cloudwatch.models import cloudwatch_backends

    deadline = time.monotonic() + seconds
    while True:
        known = cloudwatch_backends[backend.account_id][backend.region_name].alarms
        for name in alarms:
            alarm = known.get(name)
            if alarm is not None and alarm.state_value == "ALARM":
                return name
        if time.monotonic() >= deadline:
            return None
        time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))


def route(key: tuple[str, str, str]) -> dict[str, tuple[Any, float]] | None:
    """The new fleet's variants when this invocation goes to it (by its share), else ``None``."""
    with _lock:
        shift = _shifts.get(key)
    if shift is None:
        return None
    green, share = shift
    return green if random.random() < share else None


def forget(key: tuple[str, str, str]) -> None:
    with _lock:
        _shifts.pop(key, None)
