"""SageMaker batch transform of a built-in XGBoost model, run for real in this process.

Runs for real: the model (``CreateModel``'s ``PrimaryContainer``: ``Image`` must be the
built-in XGBoost, ``ModelDataUrl`` its ``model.tar.gz``, read as the model's execution role),
every object under the input ``S3Prefix`` (or listed by a ``ManifestFile``), ``Gzip`` input,
``SplitType`` Line (a record per line) or None (the whole object, then its lines),
``ContentType`` text/csv or text/libsvm, ``DataProcessing`` (``InputFilter``,
``JoinSource`` Input/None, ``OutputFilter``; for CSV the JSONPath subset SageMaker documents:
``$``, ``$[i]``, ``$[i,j,...]``, ``$[a:b]`` and mixes such as ``$[0,5:]``, negative indices),
``AssembleWith`` Line/None, and the output ``<S3OutputPath>/<object key relative to the
input prefix>.out`` (with ``KmsKeyId``). ``InProgress`` -> ``Completed`` / ``Failed``.

Not emulated: ``BatchStrategy`` and ``MaxPayloadInMB`` (every record of an object goes in one
prediction call), several instances, JSON / RecordIO records, data capture.
"""

from __future__ import annotations

import gzip
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

LOG_GROUP = "/aws/sagemaker/TransformJobs"


def install() -> None:
    from moto.sagemaker.models import SageMakerModelBackend

    from .. import sagemaker

    original = SageMakerModelBackend.create_transform_job

    def create(self: Any, **kwargs: Any) -> Any:
        name = kwargs["transform_job_name"]
        if name in self.transform_jobs:
            from moto.sagemaker.exceptions import ResourceInUseException

            raise ResourceInUseException(message=f"Transform job {name} already exists")
        self.describe_model(kwargs["model_name"])  # ValidationError "Could not find model" as AWS
        job: Any = original(self, **kwargs)
        job.transform_job_status = "InProgress"
        job.failure_reason = None
        job.transform_start_time = None
        job.transform_end_time = None
        job.labeling_job_arn = None
        job.auto_ml_job_arn = None
        sagemaker.start(run, self, job, name=f"transform-{name}")
        return job

    setattr(SageMakerModelBackend, "create_transform_job", create)  # noqa: B010


# -- JSONPath subset for CSV records ----------------------------------------------------------
def select(path: str | None, fields: list[str]) -> list[str]:
    """The fields of a CSV record that a SageMaker JSONPath filter selects."""
    if path is None or path.strip() == "$":
        return list(fields)
    text = path.strip()
    if not (text.startswith("$[") and text.endswith("]")):
        raise JobError(f"ClientError: unsupported filter {path!r} for CSV (allowed: $, $[i], $[i,j], $[a:b])")
    chosen: list[str] = []
    for part in text[2:-1].split(","):
        part = part.strip()
        try:
            if ":" in part:
                bounds = [int(b) if b.strip() else None for b in part.split(":")]
                if len(bounds) > 3:
                    raise ValueError(part)
                chosen.extend(fields[slice(*bounds)])
            else:
                index = int(part)
                if not -len(fields) <= index < len(fields):
                    raise JobError(
                        f"ClientError: filter {path!r}: index {index} is out of range "
                        f"for a record of {len(fields)} fields"
                    )
                chosen.append(fields[index])
        except ValueError:
            raise JobError(
                f"ClientError: unsupported filter {path!r} for CSV (allowed: $, $[i], $[i,j], $[a:b])"
            ) from None
    return chosen


# -- the job -------------------------------------------------------------------------------
def run(backend: Any, job: Any) -> None:
    name = job.transform_job_name
    log = JobLog(backend.account_id, backend.region_name, LOG_GROUP, f"{name}/i-local-{int(time.time())}")
    job.transform_start_time = utcnow()
    try:
        _run(backend, job, log)
        job.transform_job_status = "Stopped" if getattr(job, "ml_stop_requested", False) else "Completed"
    except Exception as error:  # noqa: BLE001 - the job fails with the reason
        reason = failure_reason(error, log)
        log(reason)
        job.failure_reason = reason
        job.transform_job_status = "Failed"
    job.transform_end_time = utcnow()
    job.last_modified_time = job.transform_end_time


def load_model(backend: Any, model_name: str) -> tuple[Any, str | None]:
    """The booster of a SageMaker model and its execution role (raises :class:`JobError`)."""
    model = backend._models.get(model_name)
    if model is None:
        raise JobError(f'ClientError: Could not find model "{model_name}"')
    container = model.primary_container or (model.containers[0] if model.containers else {})
    package = container.get("ModelPackageName")
    if package and not container.get("Image"):
        container = _package_container(backend, package)
    image = container.get("Image")
    if not xgb_container.is_built_in_xgboost(image):
        raise JobError(xgb_container.UNSUPPORTED_IMAGE.format(uri=image))
    data_url = container.get("ModelDataUrl")
    if not data_url:
        raise JobError(f"ClientError: model {model_name} has no ModelDataUrl")
    role = model.execution_role_arn if model.execution_role_arn != "arn:test" else None
    s3 = s3_client(role, backend.region_name)
    bucket, key = split_s3_uri(data_url)
    raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return xgb_container.load_model(raw), role


def _package_container(backend: Any, package: str) -> dict[str, Any]:
    """The first inference container of a model package (by ARN, or by versioned name)."""
    for found in backend.model_packages.values():
        if package in (found.arn, found.model_package_name) or found.arn.endswith(f"/{package}"):
            containers = (found.inference_specification or {}).get("Containers") or [{}]
            return dict(containers[0])
    raise JobError(f"ClientError: Could not find model package {package}")


def _run(backend: Any, job: Any, log: JobLog) -> None:
    booster, role = load_model(backend, job.model_name)
    log(f"Loaded model {job.model_name} ({booster.num_features()} features)")
    s3 = s3_client(role, backend.region_name)
    source = (job.transform_input.get("DataSource") or {}).get("S3DataSource") or {}
    input_uri = source["S3Uri"]
    content_type = job.transform_input.get("ContentType") or "text/csv"
    split = job.transform_input.get("SplitType") or "None"
    if split not in ("None", "Line"):
        raise JobError(f"ClientError: SplitType {split} is not supported by the emulator (None, Line)")
    output = job.transform_output or {}
    processing = job.data_processing or {}
    input_filter = processing.get("InputFilter")
    output_filter = processing.get("OutputFilter")
    join = processing.get("JoinSource") or "None"
    csv_records = xgb_container.content_kind(content_type) == "csv"
    if not csv_records and (input_filter not in (None, "$") or join == "Input"):
        raise JobError("ClientError: DataProcessing filters and joins run locally for text/csv only")

    with tempfile.TemporaryDirectory(prefix="ml-constructs-transform-") as work:
        if source.get("S3DataType", "S3Prefix") == "ManifestFile":
            from .training import _download_manifest

            files = _download_manifest(s3, input_uri, Path(work))
            base = Path(work)
        else:
            files = download_prefix(s3, input_uri, Path(work))
            base = Path(work)
        if not files:
            raise JobError(f'ClientError: No S3 objects found under S3 URL "{input_uri}"')
        total = 0
        for path in sorted(files):
            if getattr(job, "ml_stop_requested", False):
                log("StopTransformJob: not transforming the remaining objects")
                break
            data = path.read_bytes()
            if job.transform_input.get("CompressionType") == "Gzip" and data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            lines = [line for line in data.decode("utf-8").splitlines() if line.strip()]
            results = _transform(booster, lines, content_type, input_filter, output_filter, join, csv_records)
            # Line: a newline after every record; None: the container's responses back to back
            # (its CSV responses end each prediction with a newline too).
            body = "".join(result + "\n" for result in results)
            relative = path.relative_to(base).as_posix()
            target = join_uri(output["S3OutputPath"], relative + ".out")
            put_bytes(s3, target, body.encode("utf-8"), output.get("KmsKeyId"))
            total += len(results)
            log(f"{relative}: {len(results)} records -> {target}")
    log(f"Transformed {total} records of {len(files)} objects")
    job.ml_records = total


def _transform(
    booster: Any,
    lines: list[str],
    content_type: str,
    input_filter: str | None,
    output_filter: str | None,
    join: str,
    csv_records: bool,
) -> list[str]:
    if not lines:
        return []
    records = [line.split(",") for line in lines] if csv_records else [[line] for line in lines]
    features = [",".join(select(input_filter, fields)) if csv_records else fields[0] for fields in records]
    predictions = xgb_container.predict(booster, features, content_type)
    results = []
    for fields, prediction in zip(records, predictions, strict=True):
        outcome = prediction.split(",")
        joined = [*fields, *outcome] if join == "Input" else outcome
        results.append(",".join(select(output_filter, joined)))
    return results
