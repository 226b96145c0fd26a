"""Glue job runs that execute the job's own script in local PySpark (no Docker, no awsglue).

moto 5.2 stores ``StartJobRun`` and moves the run through canned states. :func:`install`
makes a run execute: the script at ``Command.ScriptLocation`` runs with the job's
``DefaultArguments`` merged with the run's ``Arguments`` (and ``NonOverridableArguments``
last), passed as Glue passes them (``--JOB_NAME <job> --JOB_RUN_ID <id> --key value ...``),
reading and writing the emulator's S3 as the job's role (:mod:`.jobs.spark`). ``GetJobRun``
reports ``RUNNING`` then ``SUCCEEDED``, or ``FAILED`` with the script's error as
``ErrorMessage``; ``ExecutionTime`` is the real run time in seconds. The script's output goes to
the ``/aws-glue/jobs/output`` (stdout and stderr) log group, stream ``<run id>``.

Crawlers: a crawl is RUNNING for :data:`CRAWL_SECONDS`, then COMPLETED; it infers no tables.

What does not run: ``awsglue`` (Glue's library: such scripts fail with a reason), Python shell
and streaming jobs' specifics (every command runs as a PySpark script), workers and DPUs, job
bookmarks, ``--extra-py-files``/``--extra-jars``, retries (``MaxRetries``). ``BatchStopJobRun``
(added) kills the script: ``STOPPING`` -> ``STOPPED``, nothing synced back.
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


def glue_argv(job_name: str, run_id: str, arguments: dict[str, str]) -> list[str]:
    """The script's ``sys.argv[1:]`` for a run, as Glue builds it."""
    argv = ["--JOB_NAME", job_name, "--JOB_RUN_ID", run_id]
    for key, value in arguments.items():
        name = key if key.startswith("--") else f"--{key}"
        argv += [name, str(value)]
    return argv


CRAWL_SECONDS = 3
"""How long a crawl stays RUNNING. Crawlers do not crawl here (no tables are inferred); a crawl
only takes time, so that a crawler started twice in quick succession fails as on AWS
(``CrawlerRunningException``) while a later start succeeds."""


def _install() -> None:
    from moto.glue.models import FakeJob, FakeJobRun
    from moto.moto_api import state_manager

    # moto's default moved a crawl to COMPLETED on the second read of its status, whenever that
    # came: a second workflow run found the crawler "running" however long it had been.
    state_manager.set_transition("glue::crawl", {"progression": "time", "seconds": CRAWL_SECONDS})

    class LocalJobRun(FakeJobRun):
        """A run whose state is set by its thread, not by moto's canned transitions."""

        ml_state: str
        ml_error: str | None
        ml_execution_time: int
        ml_glue_version: str | None

        @property  # type: ignore[override]
        def status(self) -> str:
            return self.ml_state

        @status.setter
        def status(self, value: str) -> None:
            self.ml_state = value

        def as_dict(self) -> dict[str, Any]:
            result = super().as_dict()
            result["JobRunState"] = self.ml_state
            result["ExecutionTime"] = self.ml_execution_time
            result["GlueVersion"] = self.ml_glue_version or result.get("GlueVersion")
            result["LogGroupName"] = "/aws-glue/jobs"
            if self.ml_state in ("RUNNING", "STARTING", "WAITING"):
                result.pop("CompletedOn", None)
            if self.ml_error:
                result["ErrorMessage"] = self.ml_error
            return result

    original = FakeJob.start_job_run

    def start_job_run(self: Any, **kwargs: Any) -> str:
        run_id = original(self, **kwargs)
        job_run = self.job_runs[-1]
        job_run.__class__ = LocalJobRun
        job_run.ml_state = "RUNNING"
        job_run.ml_error = None
        job_run.ml_execution_time = 0
        job_run.ml_glue_version = self.glue_version
        job_run.started_on = job_run.modified_on = utcnow()
        thread = threading.Thread(target=_run, args=(self, job_run), name=f"glue-{run_id}", daemon=True)
        thread.start()
        return run_id

    setattr(FakeJob, "start_job_run", start_job_run)  # noqa: B010
    _install_stop()


def _install_stop() -> None:
    """``BatchStopJobRun`` (moto lacks it): a running run goes ``STOPPING``, then ``STOPPED``."""
    import json

    from moto.glue.responses import GlueResponse

    def batch_stop_job_run(self: Any) -> str:
        name = self.parameters.get("JobName")
        succeeded, errors = [], []
        job = self.glue_backend.jobs.get(name)
        for run_id in self.parameters.get("JobRunIds") or []:
            found = next((r for r in (job.job_runs if job else []) if r.job_run_id == run_id), None)
            if found is None or getattr(found, "ml_state", None) not in ("RUNNING", "STARTING", "WAITING"):
                errors.append(
                    {
                        "JobName": name,
                        "JobRunId": run_id,
                        "ErrorDetail": {"ErrorCode": "InvalidInputException", "ErrorMessage": "not running"},
                    }
                )
                continue
            found.ml_state = "STOPPING"
            succeeded.append({"JobName": name, "JobRunId": run_id})
        return json.dumps({"SuccessfulSubmissions": succeeded, "Errors": errors})

    setattr(GlueResponse, "batch_stop_job_run", batch_stop_job_run)  # noqa: B010


def _run(job: Any, job_run: Any) -> None:
    from .jobs import spark

    backend = job.backend
    log = JobLog(backend.account_id, backend.region_name, "/aws-glue/jobs/output", job_run.job_run_id)
    started = time.monotonic()
    try:
        command = job.command or {}
        script = command.get("ScriptLocation")
        if not script:
            raise JobError("the job has no Command.ScriptLocation")
        argv = glue_argv(job.name, job_run.job_run_id, dict(job_run.arguments or {}))
        timeout = 60.0 * float(job_run.timeout or job.timeout or 2880)
        spark.run_script(
            script_uri=script,
            argv=argv,
            role_arn=job.role,
            region=backend.region_name,
            log=log,
            timeout=timeout,
            cancelled=lambda: job_run.ml_state == "STOPPING",
        )
        state = "SUCCEEDED"
    except spark.Cancelled:
        state = "STOPPED"
    except JobError as error:
        job_run.ml_error = str(error)
        state = "TIMEOUT" if "ran past its timeout" in str(error) else "FAILED"
    except Exception as error:  # noqa: BLE001 - the run fails with the reason
        job_run.ml_error = f"the emulator failed to run the job: {error!r}"
        state = "FAILED"
    job_run.ml_execution_time = max(1, int(round(time.monotonic() - started)))
    job_run.completed_on = job_run.modified_on = utcnow()
    job_run.ml_state = state
