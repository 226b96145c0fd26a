"""EMR Serverless job runs that execute their entry point in local PySpark (no Docker).

moto 5.2 stores ``StartJobRun`` and leaves the run in a canned state. :func:`install` makes a
run execute: ``jobDriver.sparkSubmit.entryPoint`` (an S3 URI of a Python script) runs with its
``entryPointArguments``, reading and writing the emulator's S3 as the run's execution role
(:mod:`.jobs.spark`). ``GetJobRun`` reports ``RUNNING`` then ``SUCCESS``, or ``FAILED`` with the
script's error in ``stateDetails``; ``totalExecutionDurationSeconds`` is the real run time.
The script's output goes to the log group ``/aws/emr-serverless``, stream
``applications/<app>/jobs/<run id>``.

What does not run: ``sparkSubmitParameters`` (``--conf``, ``--py-files``, ...) are ignored,
JAR entry points and Hive jobs fail with a reason, capacity and billing are not modelled.
``CancelJobRun`` kills the script (``CANCELLED``, nothing synced back).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.core.utils import utcnow

from .jobs.common import JobError, JobLog, once


@once
def install() -> None:
    """Make job runs execute (once per process)."""
    _install()


def _install() -> None:
    from moto.emrserverless.models import EMRServerlessBackend

    original = EMRServerlessBackend.start_job_run

    def start_job_run(self: Any, **kwargs: Any) -> Any:
        job_run = original(self, **kwargs)
        job_run.state = "RUNNING"
        job_run.state_details = None
        job_run.created_at = job_run.updated_at = utcnow()
        thread = threading.Thread(
            target=_run, args=(self, job_run), name=f"emr-serverless-{job_run.id}", daemon=True
        )
        thread.start()
        return job_run

    setattr(EMRServerlessBackend, "start_job_run", start_job_run)  # noqa: B010


def _driver(job_run: Any) -> tuple[str, list[str]]:
    driver = job_run.job_driver or {}
    submit = driver.get("sparkSubmit") or driver.get("SparkSubmit")
    if not submit:
        raise JobError("only sparkSubmit job drivers run locally (Hive queries do not)")
    entry = submit.get("entryPoint") or submit.get("EntryPoint")
    if not entry or not str(entry).endswith(".py"):
        raise JobError(f"entry point {entry!r}: only Python scripts on S3 run locally (no JARs)")
    arguments = submit.get("entryPointArguments") or submit.get("EntryPointArguments") or []
    return str(entry), [str(a) for a in arguments]


def _run(backend: Any, job_run: Any) -> None:
    from .jobs import spark

    log = JobLog(
        backend.account_id,
        backend.region_name,
        "/aws/emr-serverless",
        f"applications/{job_run.application_id}/jobs/{job_run.id}",
    )
    started = time.monotonic()
    try:
        entry, argv = _driver(job_run)
        timeout = 60.0 * float(job_run.execution_timeout_minutes or 720)
        spark.run_script(
            script_uri=entry,
            argv=argv,
            role_arn=job_run.execution_role_arn,
            region=backend.region_name,
            log=log,
            timeout=timeout,
            cancelled=lambda: job_run.state in ("CANCELLING", "CANCELLED"),
        )
        state, details = "SUCCESS", None
    except spark.Cancelled:
        state, details = "CANCELLED", "Job run cancelled by CancelJobRun"
    except JobError as error:
        state, details = (
            "FAILED",
            f"Job failed, please check complete logs in configured logging destination. {error}",
        )
    except Exception as error:  # noqa: BLE001 - the run fails with the reason
        state, details = "FAILED", f"the emulator failed to run the job: {error!r}"
    seconds = max(1, int(round(time.monotonic() - started)))
    job_run.total_execution_duration_seconds = seconds
    job_run.state_details = details
    job_run.updated_at = utcnow()
    job_run.state = state
