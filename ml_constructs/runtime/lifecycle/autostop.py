"""Stop this SageMaker notebook instance once Jupyter has been idle for N minutes.

Installed by the notebook's on-start lifecycle script (``on_start.sh``) and run by cron (or a
systemd timer) every 5 minutes, as root, with the notebook's own Python and boto3.

What counts as activity, read from the Jupyter server's REST API on localhost:

* a kernel whose ``execution_state`` is ``busy`` (a cell is running): never idle;
* the ``last_activity`` of every kernel (``/api/kernels``) and terminal (``/api/terminals``);
* with no kernels or terminals, the server's ``started`` time (``/api/status``), so a freshly
  started instance gets the full idle period before it stops;
* optionally (``--count-connections``), an open browser connection to a kernel.

Requests carry ``no_track_activity=1`` so that polling does not itself count as activity.

When idle for ``--idle-minutes``, the script calls ``sagemaker:StopNotebookInstance`` for this
instance (its name and region come from ``/opt/ml/metadata/resource-metadata.json``). When the
Jupyter API cannot be read or gives an unexpected answer, nothing is stopped and the reason is
logged: a broken probe must never stop a notebook someone is using.

Exit status: 0 checked (not idle yet, or stopped), 2 Jupyter API unreadable, 3 stop failed,
4 instance metadata unreadable. Standard library and boto3 only; Python 3.8+.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

LOG = logging.getLogger("ml-constructs-autostop")
UTC = timezone.utc  # noqa: UP017 - datetime.UTC needs Python 3.11; notebooks may run 3.8-3.10

DEFAULT_URL = "https://localhost:8443"
DEFAULT_METADATA = "/opt/ml/metadata/resource-metadata.json"
EXIT_OK, EXIT_API_DOWN, EXIT_STOP_FAILED, EXIT_NO_METADATA = 0, 2, 3, 4
_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class JupyterUnavailable(Exception):
    """The Jupyter API could not be read, or answered with something unexpected."""


@dataclass
class Activity:
    """What the Jupyter server reports right now."""

    busy: list[str] = field(default_factory=list)  # kernels running a cell
    connected: list[str] = field(default_factory=list)  # kernels with open connections
    last_activity: datetime | None = None  # latest kernel/terminal activity
    started: datetime | None = None  # when the server started
    kernels: int = 0
    terminals: int = 0


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp as Jupyter writes it (``2024-05-01T10:00:00.123456Z``), in UTC.

    Handles ``Z``, offsets and any number of fractional digits on Python 3.8+ (whose
    ``fromisoformat`` accepts neither ``Z`` nor arbitrary fractions).
    """
    match = _TIME.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micros)
    if zone in (None, "Z"):
        return value.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return value.replace(tzinfo=timezone(sign * offset)).astimezone(UTC)


def _context(url: str) -> ssl.SSLContext | None:
    """No certificate check for the notebook's own self-signed localhost certificate only."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        return None
    if parts.hostname in _LOCAL_HOSTS:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context()


def fetch(base_url: str, path: str, *, timeout: float, token: str | None = None) -> Any:
    """GET ``base_url + path`` as JSON, without counting as user activity."""
    url = f"{base_url.rstrip('/')}{path}?no_track_activity=1"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=_context(url)) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        raise JupyterUnavailable(f"GET {path}: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        raise JupyterUnavailable(f"GET {path}: {getattr(error, 'reason', error)}") from error
    except ValueError as error:  # JSON or UTF-8
        raise JupyterUnavailable(f"GET {path}: not JSON ({error})") from error


def read_activity(base_url: str, *, timeout: float = 10.0, token: str | None = None) -> Activity:
    """Kernels, terminals and server start of the Jupyter server at ``base_url``."""
    activity = Activity()
    kernels = fetch(base_url, "/api/kernels", timeout=timeout, token=token)
    if not isinstance(kernels, list):
        raise JupyterUnavailable(f"GET /api/kernels: expected a list, got {type(kernels).__name__}")
    try:
        terminals = fetch(base_url, "/api/terminals", timeout=timeout, token=token)
    except JupyterUnavailable as error:
        if "HTTP 404" not in str(error):  # terminals switched off: there are none
            raise
        terminals = []
    if not isinstance(terminals, list):
        raise JupyterUnavailable(f"GET /api/terminals: expected a list, got {type(terminals).__name__}")
    times: list[datetime] = []
    try:
        for kernel in kernels:
            name = f"kernel {kernel.get('name', '?')} {kernel.get('id', '?')}"
            if kernel.get("execution_state") == "busy":
                activity.busy.append(name)
            if int(kernel.get("connections") or 0) > 0:
                activity.connected.append(name)
            if kernel.get("last_activity"):
                times.append(parse_time(kernel["last_activity"]))
        for terminal in terminals:
            if terminal.get("last_activity"):
                times.append(parse_time(terminal["last_activity"]))
    except (AttributeError, TypeError, ValueError) as error:
        raise JupyterUnavailable(f"unexpected kernel or terminal entry: {error}") from error
    activity.kernels, activity.terminals = len(kernels), len(terminals)
    activity.last_activity = max(times) if times else None
    try:
        status = fetch(base_url, "/api/status", timeout=timeout, token=token)
        if isinstance(status, dict) and status.get("started"):
            activity.started = parse_time(status["started"])
    except (JupyterUnavailable, ValueError) as error:
        LOG.warning("server start time unknown (%s)", error)
    return activity


def decide(
    activity: Activity, *, now: datetime, idle_minutes: int, count_connections: bool = False
) -> tuple[bool, str]:
    """(stop?, why) for ``activity`` at ``now``."""
    if activity.busy:
        return False, "busy: " + ", ".join(activity.busy)
    if count_connections and activity.connected:
        return False, "open connections: " + ", ".join(activity.connected)
    reference = activity.last_activity or activity.started
    if reference is None:
        if activity.kernels or activity.terminals:
            return False, "kernels or terminals without activity times; not stopping"
        return False, "no kernels, no terminals and no server start time; not stopping"
    idle = now - reference
    what = "last activity" if activity.last_activity else "server start (no kernels or terminals)"
    minutes = idle.total_seconds() / 60
    if idle >= timedelta(minutes=idle_minutes):
        return True, f"idle {minutes:.0f} min since {what} at {reference.isoformat()} (limit {idle_minutes})"
    return False, f"idle {minutes:.0f} of {idle_minutes} min since {what} at {reference.isoformat()}"


def instance_identity(metadata_path: str) -> tuple[str, str | None]:
    """(notebook instance name, region) from SageMaker's resource metadata file."""
    with open(metadata_path, encoding="utf-8") as handle:
        metadata: dict[str, Any] = json.load(handle)
    name = metadata.get("ResourceName")
    if not name:
        raise ValueError(f"{metadata_path} has no ResourceName")
    arn = metadata.get("ResourceArn") or ""
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 and parts[3] else None
    return str(name), region


def stop_instance(name: str, region: str | None, client: Any = None) -> None:
    if client is None:
        import boto3  # the notebook's Python has it; imported late so --check needs nothing

        client = boto3.client("sagemaker", region_name=region)
    client.stop_notebook_instance(NotebookInstanceName=name)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Stop this notebook instance when Jupyter is idle.")
    parser.add_argument("--idle-minutes", type=int, required=True, help="idle minutes before stopping")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"Jupyter server (default {DEFAULT_URL})")
    parser.add_argument("--metadata", default=DEFAULT_METADATA, help="SageMaker resource metadata file")
    parser.add_argument("--token", default=None, help="Jupyter API token, if the server needs one")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per API request")
    parser.add_argument(
        "--count-connections",
        action="store_true",
        help="treat a kernel with an open browser connection as active",
    )
    parser.add_argument("--dry-run", action="store_true", help="decide and log, never stop")
    parser.add_argument("--check", action="store_true", help="validate arguments and exit")
    args = parser.parse_args(argv)
    if args.idle_minutes < 1:
        parser.error("--idle-minutes must be at least 1")
    return args


def main(argv: list[str] | None = None, *, now: datetime | None = None, client: Any = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout
    )
    args = parse_args(argv)
    if args.check:
        LOG.info("auto-stop ready: stop after %d idle minutes (checks %s)", args.idle_minutes, args.url)
        return EXIT_OK
    try:
        activity = read_activity(args.url, timeout=args.timeout, token=args.token)
    except JupyterUnavailable as error:
        LOG.error("Jupyter API at %s unreadable, not stopping: %s", args.url, error)
        return EXIT_API_DOWN
    stop, why = decide(
        activity,
        now=now or datetime.now(UTC),
        idle_minutes=args.idle_minutes,
        count_connections=args.count_connections,
    )
    if not stop:
        LOG.info("not stopping: %s", why)
        return EXIT_OK
    try:
        name, region = instance_identity(args.metadata)
    except (OSError, ValueError) as error:
        LOG.error("cannot tell which notebook instance this is, not stopping: %s", error)
        return EXIT_NO_METADATA
    if args.dry_run:
        LOG.info("dry run: would stop %s: %s", name, why)
        return EXIT_OK
    LOG.info("stopping notebook instance %s: %s", name, why)
    try:
        stop_instance(name, region, client)
    except Exception as error:  # botocore ClientError, credentials, network: log them all
        LOG.error("StopNotebookInstance %s failed: %s", name, error)
        return EXIT_STOP_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
