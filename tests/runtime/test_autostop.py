"""The notebook auto-stop script: a fake Jupyter API on 127.0.0.1, SageMaker through moto."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from ml_constructs.runtime.lifecycle import (
    AUTOSTOP,
    MAX_CONTENT_CHARS,
    autostop,
    lifecycle_content,
    on_start_script,
)
from ml_constructs.runtime.lifecycle.autostop import Activity, decide, parse_time

REGION = "eu-west-1"
NAME = "explore"
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeJupyter:
    """A Jupyter server's REST API: path -> (status, JSON body); records the requests."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, object]] = {}
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake.requests.append(self.path)
                status, body = fake.routes.get(self.path.split("?")[0], (404, {"message": "Not Found"}))
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def serve(self, *, kernels=(), terminals=(), started: datetime | None = None) -> None:
        self.requests.clear()
        self.routes = {
            "/api/kernels": (200, list(kernels)),
            "/api/terminals": (200, list(terminals)),
            "/api/status": (200, {"started": iso(started or NOW - timedelta(days=1))}),
        }


@pytest.fixture(scope="module")
def jupyter():
    fake = FakeJupyter()
    yield fake
    fake.server.shutdown()


@pytest.fixture
def sagemaker(monkeypatch, tmp_path):
    """moto SageMaker with one InService notebook instance, and its resource metadata file."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)
        arn = client.create_notebook_instance(
            NotebookInstanceName=NAME,
            InstanceType="ml.t3.medium",
            RoleArn="arn:aws:iam::123456789012:role/notebook",
        )["NotebookInstanceArn"]
        metadata = tmp_path / "resource-metadata.json"
        metadata.write_text(json.dumps({"ResourceArn": arn, "ResourceName": NAME}))
        yield client, metadata


def status(client) -> str:
    return client.describe_notebook_instance(NotebookInstanceName=NAME)["NotebookInstanceStatus"]


def run(jupyter_url: str, metadata: Path, *extra: str, now: datetime = NOW) -> int:
    return autostop.main(
        ["--idle-minutes", "60", "--url", jupyter_url, "--metadata", str(metadata), *extra], now=now
    )


def kernel(last: datetime, state: str = "idle", connections: int = 0) -> dict:
    return {
        "id": "k1",
        "name": "python3",
        "last_activity": iso(last),
        "execution_state": state,
        "connections": connections,
    }


# -- the script end to end ---------------------------------------------------------------------
def test_idle_kernel_stops_the_instance(jupyter, sagemaker, caplog):
    client, metadata = sagemaker
    jupyter.serve(kernels=[kernel(NOW - timedelta(minutes=61))])
    caplog.set_level(logging.INFO)
    assert run(jupyter.url, metadata) == 0
    assert status(client) == "Stopped"
    assert f"stopping notebook instance {NAME}" in caplog.text
    # polling must not count as activity
    assert jupyter.requests and all("no_track_activity=1" in r for r in jupyter.requests)


def test_busy_kernel_is_never_stopped(jupyter, sagemaker, caplog):
    client, metadata = sagemaker
    jupyter.serve(kernels=[kernel(NOW - timedelta(hours=5), state="busy")])
    caplog.set_level(logging.INFO)
    assert run(jupyter.url, metadata) == 0
    assert status(client) == "InService"
    assert "busy: kernel python3 k1" in caplog.text


def test_recent_activity_keeps_it_running(jupyter, sagemaker, caplog):
    client, metadata = sagemaker
    old, recent = (
        kernel(NOW - timedelta(hours=3)),
        {"name": "1", "last_activity": iso(NOW - timedelta(minutes=10))},
    )
    jupyter.serve(kernels=[old], terminals=[recent])
    caplog.set_level(logging.INFO)
    assert run(jupyter.url, metadata) == 0
    assert status(client) == "InService"
    assert "idle 10 of 60 min" in caplog.text


def test_fresh_instance_without_kernels_gets_the_full_idle_period(jupyter, sagemaker):
    client, metadata = sagemaker
    jupyter.serve(started=NOW - timedelta(minutes=20))
    assert run(jupyter.url, metadata) == 0
    assert status(client) == "InService"
    jupyter.serve(started=NOW - timedelta(minutes=90))
    assert run(jupyter.url, metadata) == 0
    assert status(client) == "Stopped"


def test_api_down_stops_nothing_and_says_why(sagemaker, caplog):
    client, metadata = sagemaker
    caplog.set_level(logging.INFO)
    # a port nobody listens on
    assert run("http://127.0.0.1:9", metadata, "--timeout", "2") == autostop.EXIT_API_DOWN
    assert status(client) == "InService"
    assert "Jupyter API at http://127.0.0.1:9 unreadable, not stopping" in caplog.text


@pytest.mark.parametrize(
    "route, answer, reason",
    [
        ("/api/kernels", (500, {"message": "boom"}), "HTTP 500"),
        ("/api/kernels", (200, "<html>login</html>"), "not JSON"),
        ("/api/kernels", (200, {"kernels": []}), "expected a list"),
        ("/api/kernels", (200, [{"last_activity": "yesterday"}]), "unexpected kernel or terminal entry"),
    ],
)
def test_unexpected_answers_stop_nothing(jupyter, sagemaker, caplog, route, answer, reason):
    client, metadata = sagemaker
    jupyter.serve(started=NOW - timedelta(days=2))
    jupyter.routes[route] = answer
    caplog.set_level(logging.INFO)
    assert run(jupyter.url, metadata) == autostop.EXIT_API_DOWN
    assert status(client) == "InService"
    assert reason in caplog.text


def test_terminals_switched_off_count_as_none(jupyter, sagemaker):
    client, metadata = sagemaker
    jupyter.serve(kernels=[kernel(NOW - timedelta(minutes=90))])
    del jupyter.routes["/api/terminals"]  # 404
    assert run(jupyter.url, metadata) == 0
    assert status(client) == "Stopped"


def test_dry_run_and_unknown_instance(jupyter, sagemaker, tmp_path, caplog):
    client, metadata = sagemaker
    jupyter.serve(kernels=[kernel(NOW - timedelta(minutes=90))])
    caplog.set_level(logging.INFO)
    assert run(jupyter.url, metadata, "--dry-run") == 0
    assert status(client) == "InService"
    assert f"dry run: would stop {NAME}" in caplog.text
    assert run(jupyter.url, tmp_path / "missing.json") == autostop.EXIT_NO_METADATA
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(
            {
                "ResourceArn": f"arn:aws:sagemaker:{REGION}:123456789012:notebook-instance/gone",
                "ResourceName": "gone",
            }
        )
    )
    assert run(jupyter.url, other) == autostop.EXIT_STOP_FAILED
    assert "StopNotebookInstance gone failed" in caplog.text
    assert status(client) == "InService"


# -- decisions ---------------------------------------------------------------------------------
def test_decide_rules():
    old = NOW - timedelta(minutes=61)
    assert decide(Activity(last_activity=old), now=NOW, idle_minutes=60)[0] is True
    assert decide(Activity(last_activity=old), now=NOW, idle_minutes=120)[0] is False
    assert decide(Activity(busy=["k"], last_activity=old), now=NOW, idle_minutes=60)[0] is False
    connected = Activity(connected=["k"], last_activity=old)
    assert decide(connected, now=NOW, idle_minutes=60)[0] is True
    assert decide(connected, now=NOW, idle_minutes=60, count_connections=True)[0] is False
    assert decide(Activity(), now=NOW, idle_minutes=60)[0] is False  # nothing known: keep running
    assert decide(Activity(kernels=1), now=NOW, idle_minutes=60)[0] is False
    # the latest of kernel and terminal activity counts, not the server start
    assert decide(Activity(last_activity=NOW, started=old), now=NOW, idle_minutes=60)[0] is False


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-01-01T12:00:00.123456Z", datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2025-01-01T12:00:00Z", NOW),
        ("2025-01-01T12:00:00.1Z", datetime(2025, 1, 1, 12, 0, 0, 100000, tzinfo=UTC)),
        ("2025-01-01T14:00:00.123456789+02:00", datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2025-01-01 12:00:00", NOW),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_parse_time_rejects_garbage():
    with pytest.raises(ValueError, match="not an ISO 8601 timestamp"):
        parse_time("yesterday")


def test_arguments_are_checked():
    with pytest.raises(SystemExit):
        autostop.parse_args(["--idle-minutes", "0"])
    assert autostop.main(["--check", "--idle-minutes", "30"]) == 0


# -- the on-start lifecycle script ---------------------------------------------------------------
def test_on_start_script_fits_the_lifecycle_limit_and_embeds_the_script():
    script = on_start_script(45)
    assert len(lifecycle_content(script)) <= MAX_CONTENT_CHARS
    assert "IDLE_MINUTES=45" in script and "__" not in script.replace("__init__", "")
    packed = re.search(r"<<'AUTOSTOP' \| gunzip >\"\$SCRIPT\"\n(.*?)\nAUTOSTOP\n", script, re.S)
    assert packed is not None
    assert gzip.decompress(base64.b64decode(packed.group(1))) == AUTOSTOP.read_bytes()
    assert on_start_script(45) == script  # deterministic: stable templates


@pytest.mark.parametrize("bad", [0, -5, True, 1.5, "60"])
def test_on_start_script_rejects_bad_idle_minutes(bad):
    with pytest.raises(ValueError, match="idle_minutes"):
        on_start_script(bad)


def fake_bin(tmp_path: Path, name: str, body: str) -> None:
    path = tmp_path / "bin" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)


def run_on_start(tmp_path: Path, path_dirs: str) -> tuple[subprocess.CompletedProcess, float]:
    script = tmp_path / "on-start.sh"
    script.write_text(on_start_script(60))
    env = {
        "PATH": path_dirs,
        "ML_AUTOSTOP_SCRIPT": str(tmp_path / "autostop.py"),
        "ML_AUTOSTOP_LOG": str(tmp_path / "jupyter.log"),
        "ML_AUTOSTOP_PYTHON": sys.executable,
        "HOME": str(tmp_path),
    }
    started = time.monotonic()
    result = subprocess.run(["/bin/bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    return result, time.monotonic() - started


def test_on_start_installs_a_cron_job_quickly(tmp_path):
    fake_bin(tmp_path, "crontab", f'if [ "$1" = "-" ]; then cat > {tmp_path}/crontab; else exit 1; fi\n')
    result, seconds = run_on_start(tmp_path, f"{tmp_path}/bin:/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "autostop.py").read_bytes() == AUTOSTOP.read_bytes()
    cron = (tmp_path / "crontab").read_text().strip().splitlines()
    assert cron == [
        f"*/5 * * * * {sys.executable} {tmp_path}/autostop.py --idle-minutes 60 >>{tmp_path}/jupyter.log 2>&1"
    ]
    assert "auto-stop ready: stop after 60 idle minutes" in result.stdout
    assert seconds < 60  # SageMaker allows an on-start script 5 minutes


def test_on_start_fails_without_a_python_with_boto3(tmp_path):
    fake_bin(tmp_path, "crontab", "cat > /dev/null\n")
    script = tmp_path / "on-start.sh"
    script.write_text(on_start_script(60))
    env = {
        "PATH": f"{tmp_path}/bin:/usr/bin:/bin",
        "ML_AUTOSTOP_SCRIPT": str(tmp_path / "autostop.py"),
        "ML_AUTOSTOP_PYTHON": "/bin/false",  # a "Python" that cannot import boto3
    }
    probe = subprocess.run(["/usr/bin/python3", "-c", "import boto3"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("this machine's /usr/bin/python3 has boto3: the on-start script would use it")
    result = subprocess.run(["/bin/bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "no Python with boto3 found; cannot install the auto-stop" in result.stderr
