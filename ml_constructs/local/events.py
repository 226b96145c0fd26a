"""EventBridge as the emulator's event bus: ``TestEventPattern`` (moto had only a stub), with
moto's own pattern matcher. :func:`install` is idempotent."""

from __future__ import annotations

import json
from typing import Any

_installed = False


def install() -> None:
    """Patch moto's EventBridge (once per process)."""
    global _installed
    if _installed:
        return
    _extend_events()
    _installed = True


def _extend_events() -> None:
    from moto.events.models import EventPattern
    from moto.events.responses import EventsHandler

    def test_event_pattern(self: Any) -> str:
        raw = self._get_param("EventPattern")
        event = json.loads(self._get_param("Event"))
        return json.dumps({"Result": EventPattern(raw, json.loads(raw)).matches_event(event)})

    setattr(EventsHandler, "test_event_pattern", test_event_pattern)  # noqa: B010
