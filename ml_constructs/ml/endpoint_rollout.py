"""Safe rollout of a ModelEndpoint: SageMaker deployment guardrails (blue/green traffic shifting,
a bake time, automatic rollback on the endpoint's alarms).

:class:`Rollout` becomes the ``DeploymentConfig`` of ``CreateEndpoint`` / ``UpdateEndpoint``
(and of ``AWS::SageMaker::Endpoint``). Ranges from the SageMaker API reference:
``WaitIntervalInSeconds`` and ``TerminationWaitInSeconds`` 0-3600, ``MaximumExecutionTimeoutInSeconds``
600-28800 (and larger than the waits), a canary at most 50% of the fleet, linear steps 10-50%.
SageMaker ignores guardrails on Inf1 instances (all at once, no bake), so they are refused here;
rolling updates are not offered (not for serverless or multi-variant endpoints, and the
emulator does not run them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from constructs import Construct

from ..core import check_range, invalid
from ._jobs import instance_family

ALL_AT_ONCE, CANARY, LINEAR = "ALL_AT_ONCE", "CANARY", "LINEAR"
PERCENT, INSTANCES = "CAPACITY_PERCENT", "INSTANCE_COUNT"
MAX_ROLLBACK_ALARMS = 10  # AutoRollbackConfig.Alarms: 1-10


@dataclass(frozen=True)
class Rollout:
    """How an update reaches the endpoint: a blue/green deployment with traffic shifting, a bake
    time, and automatic rollback when one of the endpoint's alarms (5xx, latency, model errors)
    goes to ``ALARM``.

    Use the class methods: :meth:`canary`, :meth:`linear`, :meth:`all_at_once`. During the
    traffic shift and the bake time the old (blue) and the new (green) fleets both run: an
    instance endpoint pays for up to twice its instances for ``steps x wait + bake_time``.

    ``timeout``: ``MaximumExecutionTimeoutInSeconds`` (600 s - 8 h, longer than the waits);
    default: SageMaker's.
    """

    traffic: str
    size: int | None = None
    unit: str = PERCENT
    wait: Duration = Duration.seconds(0)
    bake_time: Duration = Duration.minutes(10)
    timeout: Duration | None = None

    @classmethod
    def canary(
        cls,
        percent: int | None = 10,
        *,
        instances: int | None = None,
        wait: Duration = Duration.minutes(5),
        bake_time: Duration = Duration.minutes(10),
        timeout: Duration | None = None,
    ) -> Rollout:
        """``percent`` of the traffic (or of ``instances`` instances) goes to the new model for
        ``wait``, then all of it, then ``bake_time`` before the old fleet goes."""
        if instances is not None:
            return cls(CANARY, instances, INSTANCES, wait, bake_time, timeout)
        return cls(CANARY, percent, PERCENT, wait, bake_time, timeout)

    @classmethod
    def linear(
        cls,
        step_percent: int | None = 20,
        *,
        step_instances: int | None = None,
        wait: Duration = Duration.minutes(2),
        bake_time: Duration = Duration.minutes(10),
        timeout: Duration | None = None,
    ) -> Rollout:
        """The traffic moves in steps of ``step_percent`` (or ``step_instances``), ``wait``
        apart, then ``bake_time`` before the old fleet goes."""
        if step_instances is not None:
            return cls(LINEAR, step_instances, INSTANCES, wait, bake_time, timeout)
        return cls(LINEAR, step_percent, PERCENT, wait, bake_time, timeout)

    @classmethod
    def all_at_once(
        cls, *, bake_time: Duration = Duration.minutes(10), timeout: Duration | None = None
    ) -> Rollout:
        """All traffic moves at once, then ``bake_time`` with the old fleet kept for rollback."""
        return cls(ALL_AT_ONCE, None, PERCENT, Duration.seconds(0), bake_time, timeout)

    def steps(self, instance_count: int | None = None) -> int:
        """Traffic steps before the bake time (1 for all at once, 2 for a canary)."""
        if self.traffic == ALL_AT_ONCE:
            return 1
        if self.traffic == CANARY:
            return 2
        assert self.size is not None
        share = self.size / instance_count if self.unit == INSTANCES and instance_count else self.size / 100
        return math.ceil(1 / share)


def _seconds(scope: Construct, argument: str, value: Duration, low: int, high: int) -> int:
    if not isinstance(value, Duration):
        raise invalid(scope, argument, value, "a Duration")
    seconds = value.to_seconds()
    check_range(scope, argument, seconds, minimum=low, maximum=high, unit="seconds")
    return int(seconds)


def check_rollout(
    scope: Construct,
    rollout: Rollout,
    *,
    serverless: bool,
    instance_type: str | None,
    instance_count: int | None,
) -> None:
    """Refuse at synth what SageMaker refuses or silently ignores."""
    if not isinstance(rollout, Rollout):
        raise invalid(scope, "rollout", rollout, "a Rollout (Rollout.canary, .linear, .all_at_once)")
    if rollout.traffic not in (ALL_AT_ONCE, CANARY, LINEAR):
        raise invalid(scope, "rollout.traffic", rollout.traffic, f"{ALL_AT_ONCE}, {CANARY} or {LINEAR}")
    if rollout.unit not in (PERCENT, INSTANCES):
        raise invalid(scope, "rollout.unit", rollout.unit, f"{PERCENT} or {INSTANCES}")
    wait = _seconds(scope, "rollout.wait", rollout.wait, 0, 3600)
    bake = _seconds(scope, "rollout.bake_time", rollout.bake_time, 0, 3600)
    if instance_type and instance_family(instance_type) == "inf1":
        raise invalid(
            scope,
            "rollout",
            rollout,
            "None with Inf1 instances (SageMaker ignores deployment guardrails there: all at once, no bake)",
        )
    if rollout.traffic != ALL_AT_ONCE:
        name = "rollout.percent" if rollout.traffic == CANARY else "rollout.step_percent"
        if rollout.unit == INSTANCES:
            name = "rollout.instances" if rollout.traffic == CANARY else "rollout.step_instances"
            if serverless:
                raise invalid(
                    scope,
                    name,
                    rollout.size,
                    "a percentage with serverless (no instances there)",
                )
            count = instance_count or 1
            low = 1 if rollout.traffic == CANARY else max(1, math.ceil(count / 10))
            high = count // 2
            if high < low:
                raise invalid(
                    scope,
                    name,
                    rollout.size,
                    f"a percentage: {count} instance(s) allow no whole-instance "
                    f"{'canary of at most 50%' if rollout.traffic == CANARY else 'step of 10-50%'}",
                )
            check_range(scope, name, rollout.size, minimum=low, maximum=high, unit="instances")
        else:
            low = 1 if rollout.traffic == CANARY else 10
            check_range(scope, name, rollout.size, minimum=low, maximum=50, unit="%")
    if rollout.timeout is not None:
        timeout = _seconds(scope, "rollout.timeout", rollout.timeout, 600, 28800)
        total = wait * (rollout.steps(instance_count) - 1) + bake  # a wait between steps
        if timeout <= total:
            raise invalid(
                scope,
                "rollout.timeout",
                rollout.timeout.to_human_string(),
                f"longer than the rollout's waits and bake time ({total} s)",
            )


def deployment_config(rollout: Rollout, alarm_names: Sequence[str]) -> dict[str, Any]:
    """The ``DeploymentConfig`` member of a CreateEndpoint/UpdateEndpoint request."""
    routing: dict[str, Any] = {
        "Type": rollout.traffic,
        "WaitIntervalInSeconds": int(rollout.wait.to_seconds()),
    }
    if rollout.traffic == CANARY:
        routing["CanarySize"] = {"Type": rollout.unit, "Value": rollout.size}
    elif rollout.traffic == LINEAR:
        routing["LinearStepSize"] = {"Type": rollout.unit, "Value": rollout.size}
    policy: dict[str, Any] = {
        "TrafficRoutingConfiguration": routing,
        "TerminationWaitInSeconds": int(rollout.bake_time.to_seconds()),
    }
    if rollout.timeout is not None:
        policy["MaximumExecutionTimeoutInSeconds"] = int(rollout.timeout.to_seconds())
    config: dict[str, Any] = {"BlueGreenUpdatePolicy": policy}
    if alarm_names:
        config["AutoRollbackConfiguration"] = {
            "Alarms": [{"AlarmName": name} for name in list(alarm_names)[:MAX_ROLLBACK_ALARMS]]
        }
    return config
