"""A Spark job's own script, run for real in local PySpark against the emulator's S3.

Glue and EMR Serverless read and write S3 through Hadoop's S3 connectors, which are not
available offline. So a run mirrors instead: every ``s3://bucket/prefix`` argument is mapped to
a local folder (``<work>/s3/<bucket>/<prefix>``) after downloading what is under it (as the
job's role), the script runs in a subprocess (``python script.py args``, Spark master
``local[2]``), and afterwards the mapped folders are synced back: new and changed files are
uploaded, files the script removed (``mode("overwrite")``) are deleted from S3. Spark's
``.crc`` side files are not uploaded. The subprocess also gets the role's temporary
credentials and the emulator's endpoint, so boto3 calls in the script run as the job's role.

What does not run: an ``s3://`` path the script builds itself (not from an argument) is not
mirrored; ``awsglue`` (Glue's own library, not on PyPI) is not available: a script importing it
fails with a reason saying so.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import JobError, list_keys, s3_client, split_s3_uri

MASTER = os.environ.get("ML_CONSTRUCTS_LOCAL_SPARK_MASTER", "local[2]")
# Small-machine settings: no UI, few shuffle partitions, a JVM that starts fast.
SUBMIT_OPTIONS = (
    "--conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false "
    "--conf spark.sql.shuffle.partitions=8 --driver-memory 1g "
    '--driver-java-options "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"'
)
AWSGLUE_MISSING = (
    "the script imports awsglue, AWS Glue's own library, which the emulator does not have (it is not "
    "on PyPI): write the job in plain PySpark to run it locally (see docs/local_deploy.md)"
)


@dataclass
class SparkResult:
    seconds: float
    output: str  # the script's stdout + stderr (tail)
    uploaded: int
    deleted: int


def _digest(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


class Cancelled(Exception):
    """The run was stopped (Glue ``BatchStopJobRun``, EMR Serverless ``CancelJobRun``)."""


class Mirror:
    """Local copies of the S3 prefixes a job's arguments name, synced back after the run.

    An object the role may list but not read is left out (logged), as a Spark job that only
    overwrites that prefix would never read it either."""

    def __init__(self, s3: Any, root: Path, log: Callable[[str], None] = print) -> None:
        self.s3 = s3
        self.root = root
        self.log = log
        self.prefixes: set[tuple[str, str]] = set()
        self.downloaded: dict[Path, str] = {}

    def local(self, uri: str) -> str:
        """The local path standing for ``uri`` (its objects downloaded once)."""
        bucket, key = split_s3_uri(uri)
        path = self.root / bucket / key
        if (bucket, key) not in self.prefixes:
            self.prefixes.add((bucket, key))
            for object_key, _size in list_keys(self.s3, bucket, key):
                if object_key.endswith("/"):
                    continue
                target = self.root / bucket / object_key
                if target in self.downloaded:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    self.s3.download_file(bucket, object_key, str(target))
                except Exception as error:  # noqa: BLE001 - botocore ClientError
                    if "403" not in str(error) and "AccessDenied" not in str(error):
                        raise
                    self.log(f"not mirrored (the role may not read it): s3://{bucket}/{object_key}")
                    target.unlink(missing_ok=True)
                    continue
                self.downloaded[target] = _digest(target)
        if key.endswith("/") or not key:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        text = str(path)
        return text + "/" if key.endswith("/") and not text.endswith("/") else text

    def sync_back(self) -> tuple[int, int]:
        """Upload new / changed files under the mapped prefixes; delete removed ones."""
        uploaded = deleted = 0
        seen: set[Path] = set()
        for bucket, key in sorted(self.prefixes):
            base = self.root / bucket / key
            candidates = [base] if base.is_file() else (sorted(base.rglob("*")) if base.exists() else [])
            for path in candidates:
                if not path.is_file() or path in seen or path.name.endswith(".crc"):
                    continue
                seen.add(path)
                if self.downloaded.get(path) == _digest(path):
                    continue
                object_key = path.relative_to(self.root / bucket).as_posix()
                self.s3.upload_file(str(path), bucket, object_key)
                uploaded += 1
        for path in self.downloaded:
            if not path.exists():
                bucket = path.relative_to(self.root).parts[0]
                self.s3.delete_object(Bucket=bucket, Key=path.relative_to(self.root / bucket).as_posix())
                deleted += 1
        return uploaded, deleted


def map_arguments(argv: list[str], mirror: Mirror) -> list[str]:
    """``argv`` with every ``s3://`` value (``--k s3://..`` or ``--k=s3://..``) made local."""
    mapped = []
    for token in argv:
        name, equals, value = token.partition("=")
        if equals and name.startswith("--") and value.startswith("s3://"):
            mapped.append(f"{name}={mirror.local(value)}")
        elif token.startswith("s3://"):
            mapped.append(mirror.local(token))
        else:
            mapped.append(token)
    return mapped


def run_script(
    *,
    script_uri: str,
    argv: list[str],
    role_arn: str | None,
    region: str,
    log: Callable[[str], None],
    timeout: float | None = None,
    extra_env: dict[str, str] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> SparkResult:
    """Download ``script_uri``, run it with ``argv`` (S3 arguments mirrored), sync outputs back.

    Raises :class:`JobError` with the script's error (its last traceback line) when it fails,
    :class:`Cancelled` when ``cancelled()`` turns true while it runs (the process is killed and
    nothing is synced back).
    """
    from ..iam import session_as

    started = time.monotonic()
    s3 = s3_client(role_arn, region)
    with tempfile.TemporaryDirectory(prefix="ml-constructs-spark-") as work:
        root = Path(work)
        bucket, key = split_s3_uri(script_uri)
        script = root / "script" / (key.rsplit("/", 1)[-1] or "script.py")
        script.parent.mkdir(parents=True)
        try:
            s3.download_file(bucket, key, str(script))
        except Exception as error:  # noqa: BLE001
            raise JobError(f"cannot read the script {script_uri} as the job role: {error}") from None
        mirror = Mirror(s3, root / "s3", log)
        args = map_arguments(argv, mirror)
        env = dict(os.environ)
        env.update(extra_env or {})
        env["PYSPARK_SUBMIT_ARGS"] = f"--master {MASTER} {SUBMIT_OPTIONS} pyspark-shell"
        env["PYSPARK_PYTHON"] = sys.executable
        env["SPARK_LOCAL_IP"] = "127.0.0.1"
        credentials = session_as(role_arn, region).get_credentials()
        if credentials is not None:
            frozen = credentials.get_frozen_credentials()
            env.update(AWS_ACCESS_KEY_ID=frozen.access_key, AWS_SECRET_ACCESS_KEY=frozen.secret_key)
            if frozen.token:
                env["AWS_SESSION_TOKEN"] = frozen.token
            else:
                env.pop("AWS_SESSION_TOKEN", None)
        from .. import api

        if api.endpoint():
            env["AWS_ENDPOINT_URL"] = api.endpoint() or ""
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = region
        log(f"spark-submit --master {MASTER} {script.name} {' '.join(args)}")
        returncode, output = _execute([sys.executable, str(script), *args], root, env, timeout, cancelled)
        for line in output.splitlines()[-200:]:
            log(line)
        if returncode != 0:
            raise JobError(_error_message(output, returncode))
        uploaded, deleted = mirror.sync_back()
        log(f"synced outputs back to S3: {uploaded} uploaded, {deleted} deleted")
    return SparkResult(time.monotonic() - started, output[-4000:], uploaded, deleted)


def _execute(
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float | None,
    cancelled: Callable[[], bool] | None,
) -> tuple[int, str]:
    """Run ``command``; ``(exit code, stdout + stderr)``. Kills it (and its JVM) on timeout or
    cancellation."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with tempfile.TemporaryFile("w+") as sink:
        process = subprocess.Popen(  # noqa: S603 - the job's own script, by design
            command,
            cwd=str(cwd),
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            while process.poll() is None:
                if cancelled is not None and cancelled():
                    raise Cancelled()
                if deadline is not None and time.monotonic() > deadline:
                    raise JobError(f"the job ran past its timeout of {int(timeout or 0)} s")
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.5)
        finally:
            if process.poll() is None:
                _kill(process)
        sink.seek(0)
        return process.returncode, sink.read()


def _kill(process: subprocess.Popen[str]) -> None:
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _error_message(output: str, code: int) -> str:
    if "No module named 'awsglue'" in output:
        return AWSGLUE_MISSING
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    # The exception line of the last Python traceback, or else the last line of output.
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith("Traceback (most recent call last)"):
            tail = [line for line in lines[index + 1 :] if not line.startswith(("File ", "^", "~"))]
            errors = [
                line for line in tail if ":" in line and line.split(":", 1)[0].replace(".", "").isidentifier()
            ]
            if errors:
                return f"{errors[-1]} (exit code {code})"
    return f"{lines[-1] if lines else 'the script failed'} (exit code {code})"
