"""What every local job engine shares: S3 URIs, the job role's S3 client, CloudWatch log lines.

Jobs run in background threads of the emulator's process and reach its S3 over HTTP as their
own role (:func:`ml_constructs.local.iam.client_as`), so a role without ``s3:GetObject`` on the
input fails the job with ``AccessDenied`` as on AWS.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .. import api

_once_lock = threading.RLock()


def once(install: Callable[[], None]) -> Callable[[], None]:
    """``install`` made idempotent and thread-safe: a moto patch applied once per process."""
    done = False

    def run_once() -> None:
        nonlocal done
        with _once_lock:
            if not done:
                install()
                done = True

    run_once.__doc__ = install.__doc__
    return run_once


class JobError(Exception):
    """A job failed for a reason its user should read (becomes ``FailureReason``)."""


def failure_reason(
    error: Exception,
    log: Callable[[str], None] | None = None,
    *,
    action: str = "run the job",
    client_suffix: str = "",
) -> str:
    """The ``FailureReason`` of a job (or endpoint) that raised ``error``: a :class:`JobError`'s
    message, an AWS error's code and message (``client_suffix`` says whose request it was), or
    else the emulator's own failure, its traceback written to ``log``."""
    if isinstance(error, JobError):
        return str(error)
    response = getattr(error, "response", None)
    details = response.get("Error", {}) if isinstance(response, dict) else {}
    if details.get("Code"):
        return f"ClientError: {details['Code']}: {details.get('Message', '')}{client_suffix}"
    if log is not None:
        log(traceback.format_exc())
    return f"InternalServerError: the emulator failed to {action}: {error!r}"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``; raises :class:`JobError` for anything else."""
    if not isinstance(uri, str) or not uri.startswith("s3://"):
        raise JobError(f"not an S3 URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise JobError(f"not an S3 URI: {uri!r}")
    return bucket, key


def s3_client(role_arn: str | None, region: str = api.REGION) -> Any:
    """An S3 client signed as ``role_arn`` (the job's role)."""
    from ..iam import client_as

    return client_as(role_arn, "s3", region)


def list_keys(s3: Any, bucket: str, prefix: str) -> Iterator[tuple[str, int]]:
    """``(key, size)`` of every object under ``prefix``, in key order."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"], int(item.get("Size", 0))


def download_prefix(s3: Any, uri: str, target: Path) -> list[Path]:
    """Copy every object under the S3 ``uri`` prefix below ``target`` (keeping the relative
    paths); returns the local files. A URI naming one object copies that object."""
    bucket, prefix = split_s3_uri(uri)
    # Paths are kept relative to the prefix's folder: s3://b/data/validation matches
    # data/validation.csv and data/validation/part-0, copied as validation.csv, validation/part-0.
    folder = prefix if prefix.endswith("/") else prefix.rpartition("/")[0] + "/" if "/" in prefix else ""
    files: list[Path] = []
    for key, _size in list_keys(s3, bucket, prefix):
        if key.endswith("/"):
            continue  # a "folder" marker object
        relative = key[len(folder) :]
        local = target / relative
        local.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(local))
        files.append(local)
    return files


def put_bytes(s3: Any, uri: str, body: bytes, kms_key_id: str | None = None) -> None:
    bucket, key = split_s3_uri(uri)
    extra: dict[str, Any] = {}
    if kms_key_id:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
    s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)


def join_uri(base: str, *parts: str) -> str:
    """``s3://b/p`` + ``a``, ``b`` -> ``s3://b/p/a/b`` (one slash between parts)."""
    result = base.rstrip("/")
    for part in parts:
        result += "/" + part.strip("/")
    return result


class JobLog:
    """Lines of a job's CloudWatch log stream, written to moto's Logs backend as they come.

    The service writes its own log here (as SageMaker and Glue do), so the job role needs no
    ``logs:*`` grant for the emulator; a failure to write never fails the job.
    """

    def __init__(self, account_id: str, region: str, group: str, stream: str) -> None:
        self.group = group
        self.stream = stream
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._backend: Any = None
        try:
            from moto.logs.models import logs_backends

            backend = logs_backends[account_id][region]
            if group not in backend.groups:
                backend.create_log_group(group, {})
            backend.groups[group].create_log_stream(stream)
            self._backend = backend
        except Exception:  # noqa: BLE001 - logging must not fail the job
            self._backend = None

    def __call__(self, message: str) -> None:
        with self._lock:
            self.lines.append(message)
            if self._backend is None:
                return
            try:
                event = {"timestamp": int(time.time() * 1000), "message": message}
                self._backend.groups[self.group].put_log_events(self.stream, [event])
            except Exception:  # noqa: BLE001
                pass


def cpu_threads(parallel: int = 1) -> int:
    """Threads one of ``parallel`` concurrent jobs may use on this machine."""
    return max(1, (os.cpu_count() or 1) // max(1, parallel))
