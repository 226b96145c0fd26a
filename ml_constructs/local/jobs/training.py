"""A SageMaker training job of the built-in XGBoost algorithm, run for real in this process.

:func:`run` drives one of moto's ``FakeTrainingJob`` objects through SageMaker's life cycle:
``InProgress`` (secondary statuses Starting -> Downloading -> Training -> Uploading) then
``Completed`` with ``ModelArtifacts`` and ``FinalMetricDataList``, or ``Failed`` with a
``FailureReason``. It downloads the channels as the job's role, trains with
:mod:`.xgboost_container`, writes ``<S3OutputPath>/<job>/output/model.tar.gz`` and the
checkpoints, and logs to ``/aws/sagemaker/TrainingJobs``, stream ``<job>/algo-1-<epoch>``.

``StopTrainingJob`` (``Stopping`` -> ``Stopped``) and ``StoppingCondition.MaxRuntimeInSeconds``
(``Stopped`` / ``MaxRuntimeExceeded``) end training after the current round; the model is then
saved only with ``save_model_on_termination=true``, as in the container.

Any other image fails the job (:data:`.xgboost_container.UNSUPPORTED_IMAGE`): the emulator
runs no containers. Not emulated: several instances (one process trains), Pipe mode's FIFO
(read as File mode), ``MaxWaitTimeInSeconds`` and spot interruptions.
"""

from __future__ import annotations

import gzip
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from moto.core.utils import utcnow

from . import xgboost_container as xgb_container
from .common import (
    JobError,
    JobLog,
    download_prefix,
    failure_reason,
    join_uri,
    put_bytes,
    s3_client,
    split_s3_uri,
)

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
STATUS_MESSAGES = {
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
}


class Stopped(Exception):
    """The job was asked to stop (``StopTrainingJob``) or ran past ``MaxRuntimeInSeconds``."""


def stop_reason(job: Any) -> str | None:
    """``"Stopped"``, ``"MaxRuntimeExceeded"`` or ``None``."""
    if getattr(job, "ml_stop_requested", False):
        return "Stopped"
    deadline = getattr(job, "ml_deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        return "MaxRuntimeExceeded"
    return None


def request_stop(job: Any) -> None:
    """``StopTrainingJob``: an in-progress job goes ``Stopping``, its thread ends it."""
    if job.training_job_status == "InProgress":
        job.ml_stop_requested = True
        job.training_job_status = "Stopping"
        _transition(job, "Stopping", "Stopping the training job")


def _check(job: Any) -> None:
    reason = stop_reason(job)
    if reason:
        raise Stopped(reason)


def prepare(job: Any) -> None:
    """Put a just-created job into ``InProgress`` / ``Starting`` (before its thread runs)."""
    now = utcnow()
    job.ml_stop_requested = False
    limit = (job.stopping_condition or {}).get("MaxRuntimeInSeconds")
    job.ml_deadline = time.monotonic() + float(limit) if limit else None
    job.training_job_status = "InProgress"
    job.secondary_status = "Starting"
    job.secondary_status_transitions = [
        {"Status": "Starting", "StartTime": now, "StatusMessage": STATUS_MESSAGES["Starting"]}
    ]
    job.final_metric_data_list = []
    job.failure_reason = None
    job.training_start_time = None
    job.training_end_time = None
    job.model_artifacts = None
    job.last_modified_time = now


def _transition(job: Any, status: str, message: str | None = None) -> None:
    now = utcnow()
    transitions = job.secondary_status_transitions
    if transitions and "EndTime" not in transitions[-1]:
        transitions[-1]["EndTime"] = now
    entry = {
        "Status": status,
        "StartTime": now,
        "StatusMessage": message or STATUS_MESSAGES.get(status, status),
    }
    if status in ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded"):
        entry["EndTime"] = now
    transitions.append(entry)
    job.secondary_status = status
    job.last_modified_time = now


def _download_channel(s3: Any, channel: dict[str, Any], target: Path) -> None:
    source = (channel.get("DataSource") or {}).get("S3DataSource")
    if not source:
        raise JobError(
            f"ClientError: channel {channel.get('ChannelName')}: only S3DataSource channels run locally"
        )
    kind = source.get("S3DataType", "S3Prefix")
    uri = source["S3Uri"]
    if kind == "S3Prefix":
        files = download_prefix(s3, uri, target)
    elif kind == "ManifestFile":
        files = _download_manifest(s3, uri, target)
    else:
        raise JobError(
            f"ClientError: S3DataType {kind} is not supported by the emulator (S3Prefix, ManifestFile)"
        )
    if not files:
        raise JobError(
            f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source. '
            "Please ensure that the bucket exists in the selected region, that objects exist under "
            "that S3 prefix, and that the role has s3:ListBucket and s3:GetObject permissions."
        )
    if channel.get("CompressionType") == "Gzip":
        for path in files:
            data = path.read_bytes()
            path.write_bytes(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)


def _download_manifest(s3: Any, uri: str, target: Path) -> list[Path]:
    """A manifest file: ``[{"prefix": "s3://b/p/"}, "key1", "key2", ...]``."""
    bucket, key = split_s3_uri(uri)
    try:
        entries = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        prefix = entries[0]["prefix"]
        relatives = [str(e) for e in entries[1:]]
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise JobError(f"ClientError: invalid manifest file {uri}: {error}") from None
    files = []
    base_bucket, base_key = split_s3_uri(prefix)
    for relative in relatives:
        local = target / relative
        local.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(base_bucket, base_key + relative, str(local))
        files.append(local)
    return files


def _latest_checkpoint(s3: Any, uri: str) -> tuple[str | None, int]:
    from .common import list_keys

    bucket, prefix = split_s3_uri(uri.rstrip("/") + "/")
    best: tuple[str | None, int] = (None, 0)
    for key, _size in list_keys(s3, bucket, prefix):
        name = key.rsplit("/", 1)[-1]
        if name.startswith(xgb_container.CHECKPOINT_PREFIX):
            suffix = name[len(xgb_container.CHECKPOINT_PREFIX) :]
            if suffix.isdigit() and int(suffix) >= best[1]:
                best = (key, int(suffix))
    return best


def run(job: Any, account_id: str, region: str, *, nthread: int | None = None) -> None:
    """Run ``job`` (a moto FakeTrainingJob already :func:`prepare`-d) to its end state."""
    name = job.training_job_name
    log = JobLog(account_id, region, LOG_GROUP, f"{name}/algo-1-{int(time.time())}")
    try:
        _run(job, region, log, nthread)
    except Stopped as stop:
        _end_stopped(job, str(stop), log)
    except JobError as error:
        _fail(job, str(error), log)
    except Exception as error:  # noqa: BLE001 - an unexpected error still ends the job
        # An AWS error here is S3 refusing the job role.
        _fail(job, failure_reason(error, log, client_suffix=f" (as role {job.role_arn})"), log)


def _end_stopped(job: Any, reason: str, log: JobLog) -> None:
    message = (
        "The job stopped because it exceeded the maximum allowed runtime."
        if reason == "MaxRuntimeExceeded"
        else "Training job stopped by StopTrainingJob"
    )
    log(message)
    _transition(job, reason, message)
    job.training_job_status = "Stopped"
    job.training_end_time = utcnow()
    job.last_modified_time = job.training_end_time


def _fail(job: Any, reason: str, log: JobLog) -> None:
    log(reason)
    job.failure_reason = reason
    _transition(job, "Failed", reason.splitlines()[0][:1024])
    job.training_job_status = "Failed"
    job.training_end_time = utcnow()
    job.last_modified_time = job.training_end_time


def _run(job: Any, region: str, log: JobLog, nthread: int | None) -> None:
    spec = job.algorithm_specification or {}
    image = spec.get("TrainingImage") or spec.get("AlgorithmName")
    if not xgb_container.is_built_in_xgboost(image):
        raise JobError(xgb_container.UNSUPPORTED_IMAGE.format(uri=image))
    log(f"Running the built-in XGBoost algorithm locally (image {image}) with the installed xgboost")
    settings = xgb_container.parse_hyperparameters(job.hyper_parameters)
    for note in settings.notes:
        log(note)
    s3 = s3_client(job.role_arn, region)
    job.training_start_time = utcnow()
    _check(job)
    _transition(job, "Downloading")
    with tempfile.TemporaryDirectory(prefix="ml-constructs-training-") as work:
        channels: dict[str, Any] = {}
        for channel in job.input_data_config or []:
            channel_name = channel["ChannelName"]
            target = Path(work) / "input" / channel_name
            target.mkdir(parents=True)
            _download_channel(s3, channel, target)
            if channel_name in xgb_container.CHANNELS:
                channels[channel_name] = xgb_container.load_channel(
                    target, channel.get("ContentType", "text/libsvm")
                )
            else:
                log(f"channel {channel_name}: not used by the XGBoost algorithm")
        for channel_name, matrix in channels.items():
            log(f"channel {channel_name}: {matrix.num_row()} rows, {matrix.num_col()} features")

        checkpoint_uri = (job.checkpoint_config or {}).get("S3Uri")
        resume_from, resume_round = None, 0
        if checkpoint_uri:
            key, resume_round = _latest_checkpoint(s3, checkpoint_uri)
            if key is not None:
                bucket, _ = split_s3_uri(checkpoint_uri)
                raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                resume_from = xgb_container.booster_from_bytes(raw)
                log(f"Resuming from checkpoint s3://{bucket}/{key} (round {resume_round})")

        def save_checkpoint(model: Any, done: int) -> None:
            assert checkpoint_uri is not None
            put_bytes(
                s3,
                join_uri(checkpoint_uri, f"{xgb_container.CHECKPOINT_PREFIX}{done}"),
                xgb_container.booster_bytes(model),
            )

        _check(job)
        _transition(job, "Training")
        trained = xgb_container.train(
            channels,
            settings,
            log=log,
            nthread=nthread,
            resume_from=resume_from,
            resume_round=resume_round,
            checkpoint=save_checkpoint if checkpoint_uri else None,
            checkpoint_every=max(1, settings.num_round // 4) if checkpoint_uri else 0,
            should_stop=lambda: stop_reason(job),
        )
        if checkpoint_uri:
            save_checkpoint(trained.booster, trained.rounds)
        if trained.stopped:
            log(f"training ended after round {trained.rounds}: {trained.stopped}")
            if str((job.hyper_parameters or {}).get("save_model_on_termination", "false")).lower() == "true":
                _upload_model(job, s3, trained, log)
            raise Stopped(trained.stopped)

    _transition(job, "Uploading")
    _upload_model(job, s3, trained, log)
    _transition(job, "Completed")
    job.training_end_time = utcnow()
    seconds = max(1, int((job.training_end_time - job.training_start_time).total_seconds()))
    job.training_time_in_seconds = seconds
    job.billable_time_in_seconds = seconds
    job.training_job_status = "Completed"
    job.last_modified_time = job.training_end_time


def _upload_model(job: Any, s3: Any, trained: Any, log: JobLog) -> None:
    output = job.output_data_config or {}
    model_uri = join_uri(output["S3OutputPath"], job.training_job_name, "output", "model.tar.gz")
    put_bytes(s3, model_uri, xgb_container.model_tarball(trained.booster), output.get("KmsKeyId"))
    log(f"Model saved to {model_uri}")
    now = utcnow()
    job.model_artifacts = {"S3ModelArtifacts": model_uri}
    job.final_metric_data_list = [
        {"MetricName": metric, "Value": value, "Timestamp": now}
        for metric, value in sorted(trained.metrics.items())
    ]
    for metric, value in sorted(trained.metrics.items()):
        log(f"#metric {metric}={value}")


def objective_value(job: Any, metric_name: str) -> float | None:
    """The final value of ``metric_name`` (``validation:auc``) of a completed job."""
    for entry in job.final_metric_data_list or []:
        if entry["MetricName"] == metric_name:
            return float(entry["Value"])
    return None
