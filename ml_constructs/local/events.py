"""EventBridge as the emulator's event bus, matching like EventBridge. :func:`install` is idempotent.

- Which rules receive an event (:func:`receives`): moto's matcher took a rule without an event
  pattern for one that matches everything, so a schedule-only rule (``ScheduleExpression``, no
  ``EventPattern``) received every event: 20 uploads into the lake started 41 workflow
  executions. On EventBridge such a rule only fires on its schedule, and a disabled rule never
  fires. Every delivery (moto's targets and :mod:`.runner`'s Lambda / Step Functions targets)
  goes through :func:`receives`.
- S3 events reach the account's default event bus only (moto sent them to every bus).
- ``TestEventPattern`` (moto had only a stub), with moto's own pattern matcher.
"""

from __future__ import annotations

import copy
import json
from typing import Any

_installed = False


def install() -> None:
    """Patch moto's EventBridge (once per process)."""
    global _installed
    if _installed:
        return
    _extend_events()
    _fix_rule_matching()
    _fix_s3_delivery()
    _installed = True


def receives(rule: Any, event: Any) -> bool:
    """Whether EventBridge delivers ``event`` to ``rule`` (a moto ``Rule``): enabled, with an
    event pattern that matches it (a schedule-only rule never receives events)."""
    if str(getattr(rule, "state", "ENABLED")).upper() != "ENABLED":
        return False
    pattern = getattr(rule, "event_pattern", None)
    if pattern is None or not pattern.get_pattern():
        return False
    return bool(pattern.matches_event(event))


def service_event(
    account_id: str,
    region: str,
    *,
    source: str,
    detail_type: str,
    resources: list[str],
    detail: dict[str, Any],
) -> dict[str, Any]:
    """An event as an AWS service sends it to EventBridge."""
    from moto.events.utils import _BASE_EVENT_MESSAGE
    from moto.s3 import notifications

    event: dict[str, Any] = dict(copy.deepcopy(_BASE_EVENT_MESSAGE))
    event.update(
        {
            "detail-type": detail_type,
            "source": source,
            "account": account_id,
            "time": notifications.unix_time(),
            "region": region,
            "resources": resources,
            "detail": detail,
        }
    )
    return event


def deliver(account_id: str, region: str, event: dict[str, Any]) -> None:
    """Deliver a service's ``event`` to the rules of the account's default event bus (AWS
    services send their events there only)."""
    from moto.events.models import events_backends

    bus = events_backends[account_id][region].event_buses.get("default")
    for rule in list(bus.rules.values()) if bus is not None else []:
        rule.send_to_targets(event, transform_input=False)  # type: ignore[arg-type]


def _fix_rule_matching() -> None:
    from moto.events.models import Rule

    send_to_targets = Rule.send_to_targets

    def matching_send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if receives(self, original_event):
            send_to_targets(self, original_event, transform_input)

    setattr(Rule, "send_to_targets", matching_send_to_targets)  # noqa: B010


def _fix_s3_delivery() -> None:
    from moto.s3 import notifications

    def send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        # An asynchronous action on AWS: a failure here never fails the S3 request.
        try:
            event = service_event(
                account_id,
                bucket.region_name,
                source="aws.s3",
                detail_type=notifications._detail_type(event_name),
                resources=[bucket.arn],
                detail={
                    "version": "0",
                    "bucket": {"name": bucket.name},
                    "object": {
                        "key": key.name,
                        "size": key.size,
                        "eTag": key.etag.replace('"', ""),
                        "version-id": key.version_id,
                        "sequencer": "617f08299329d189",
                    },
                    "request-id": "N4N7GDK58NMKJ12R",
                    "requester": account_id,
                    "source-ip-address": "127.0.0.1",
                    "reason": event_name.split(":")[1],
                },
            )
            deliver(account_id, bucket.region_name, event)
        except Exception:  # noqa: S110
            pass

    setattr(notifications, "_send_event_bridge_message", send_event_bridge_message)  # noqa: B010


def _extend_events() -> None:
    from moto.events.models import EventPattern
    from moto.events.responses import EventsHandler

    def test_event_pattern(self: Any) -> str:
        raw = self._get_param("EventPattern")
        event = json.loads(self._get_param("Event"))
        return json.dumps({"Result": EventPattern(raw, json.loads(raw)).matches_event(event)})

    setattr(EventsHandler, "test_event_pattern", test_event_pattern)  # noqa: B010
