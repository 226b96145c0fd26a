"""SageMaker processing jobs with Model Monitor's analyzer image, and monitoring schedules.

``CreateProcessingJob`` with ``sagemaker-model-monitor-analyzer`` runs the *baseline* for real
(what ``DefaultModelMonitor.suggest_baseline`` starts): the environment's ``dataset_format``
(CSV, with or without a header) and ``dataset_source`` name the input, read from the
``ProcessingInputs`` S3 prefix as the job's role; ``statistics.json`` and ``constraints.json``
in the analyzer's documented (Deequ) format go to the output ``S3Uri`` (``KmsKeyId``).
``InProgress`` -> ``Completed`` / ``Failed`` (``FailureReason``). Any other image fails with
"cannot run this image locally". Not emulated: the analyzer's KLL sketches (``distribution`` is a
plain 10-bucket histogram), JSON datasets, several instances.

Monitoring schedules (moto has none): ``CreateMonitoringSchedule`` / ``Describe`` / ``Update`` /
``Delete`` / ``List``, checked as AWS does: the job definition exists and its endpoint exists
with input capture. The hourly executions are not run.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import JobError, JobLog, download_prefix, failure_reason, join_uri, put_bytes, s3_client

LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
_DEFINITION = "MonitoringJobDefinitionName"
ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"


# -- the baseline computation (no AWS) --------------------------------------------------------------
def _kind(values: list[str]) -> str:
    def is_int(v: str) -> bool:
        try:
            int(v)
            return True
        except ValueError:
            return False

    def is_float(v: str) -> bool:
        try:
            return math.isfinite(float(v))
        except ValueError:
            return False

    if values and all(is_int(v) for v in values):
        return "Integral"
    if values and all(is_float(v) for v in values):
        return "Fractional"
    return "String"


def baseline(rows: list[list[str]], names: list[str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(statistics, constraints)`` of CSV ``rows`` as the analyzer writes them: features
    ``_c0``, ``_c1``... without a header, a type per column inferred from its present values."""
    width = max((len(r) for r in rows), default=0)
    names = list(names) if names else [f"_c{i}" for i in range(width)]
    count = len(rows)
    features, constraints = [], []
    for index, name in enumerate(names):
        column = [r[index].strip() if index < len(r) else "" for r in rows]
        present = [v for v in column if v != ""]
        kind = _kind(present)
        completeness = len(present) / count if count else 0.0
        common = {"num_present": len(present), "num_missing": count - len(present)}
        feature: dict[str, Any] = {"name": name, "inferred_type": kind}
        constraint: dict[str, Any] = {"name": name, "inferred_type": kind, "completeness": completeness}
        if kind == "String":
            feature["string_statistics"] = {
                "common": common,
                "distinct_count": float(len(set(present))),
            }
        else:
            numbers = [float(v) for v in present]
            mean = sum(numbers) / len(numbers)
            std = math.sqrt(sum((x - mean) ** 2 for x in numbers) / len(numbers))
            low, high = min(numbers), max(numbers)
            width_ = (high - low) / 10 or 1.0
            buckets = [0] * 10
            for x in numbers:
                buckets[min(9, int((x - low) / width_))] += 1
            feature["numerical_statistics"] = {
                "common": common,
                "mean": mean,
                "sum": sum(numbers),
                "std_dev": std,
                "min": low,
                "max": high,
                "distribution": {
                    "kll": {
                        "buckets": [
                            {
                                "lower_bound": low + i * width_,
                                "upper_bound": low + (i + 1) * width_,
                                "count": float(c),
                            }
                            for i, c in enumerate(buckets)
                        ]
                    }
                },
            }
            constraint["num_constraints"] = {"is_non_negative": low >= 0}
        features.append(feature)
        constraints.append(constraint)
    statistics = {"version": 0.0, "dataset": {"item_count": count}, "features": features}
    rules = {
        "version": 0.0,
        "features": constraints,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": 0.1,
                "comparison_method": "Robust",
            },
        },
    }
    return statistics, rules


def read_csv(files: list[Path], header: bool) -> tuple[list[list[str]], list[str] | None]:
    rows: list[list[str]] = []
    names: list[str] | None = None
    for file in sorted(files):
        if file.name.startswith(("_", ".")) or file.stat().st_size == 0:
            continue
        reader = csv.reader(io.StringIO(file.read_text()))
        for number, row in enumerate(reader):
            if not row:
                continue
            if header and number == 0:
                names = names or row
                continue
            rows.append(row)
    return rows, names


# -- the job ---------------------------------------------------------------------------------------
def install() -> None:
    """Processing jobs that run (the analyzer's baseline) and the monitoring schedule API."""
    from moto.sagemaker.exceptions import ResourceInUseException
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemaker.utils import arn_formatter

    from .. import sagemaker

    def create_processing_job(self: Any) -> str:
        backend = self.sagemaker_backend
        name = self._get_param("ProcessingJobName")
        if name in backend.processing_jobs:
            raise ResourceInUseException(message=f"Processing job {name} already exists")
        job = backend.create_processing_job(
            app_specification=self._get_param("AppSpecification"),
            experiment_config=self._get_param("ExperimentConfig"),
            network_config=self._get_param("NetworkConfig"),
            processing_inputs=self._get_param("ProcessingInputs"),
            processing_job_name=name,
            processing_output_config=self._get_param("ProcessingOutputConfig"),
            role_arn=self._get_param("RoleArn"),
            stopping_condition=self._get_param("StoppingCondition"),
            tags=self._get_param("Tags"),
        )
        job.environment = self._get_param("Environment") or {}
        job.processing_resources = self._get_param("ProcessingResources")
        job.processing_job_status = "InProgress"
        job.processing_end_time = None
        job.processing_start_time = None
        job.failure_reason = None
        job.exit_message = None
        sagemaker.start(run, backend, job, name=f"processing-{name}")
        return json.dumps({"ProcessingJobArn": job.arn})

    setattr(SageMakerResponse, "create_processing_job", create_processing_job)  # noqa: B010
    _install_schedules(arn_formatter)


def run(backend: Any, job: Any) -> None:
    from moto.core.utils import utcnow

    name = job.processing_job_name
    log = JobLog(backend.account_id, backend.region_name, LOG_GROUP, f"{name}/algo-1-{int(time.time())}")
    job.processing_start_time = utcnow()
    try:
        _run(job, log)
        job.processing_job_status = "Completed"
        job.exit_message = "Completed: Job completed successfully with no violations."
    except Exception as error:  # noqa: BLE001 - the job fails with the reason
        reason = failure_reason(error, log)
        log(reason)
        job.failure_reason = reason
        job.processing_job_status = "Failed"
    job.processing_end_time = utcnow()
    job.last_modified_time = job.processing_end_time


def _run(job: Any, log: JobLog) -> None:
    image = str((job.app_specification or {}).get("ImageUri", ""))
    repository = image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    if repository != ANALYZER_REPOSITORY:
        raise JobError(
            f"AlgorithmError: the emulator cannot run this image locally: {image} (it runs Model "
            f"Monitor's {ANALYZER_REPOSITORY} baseline only)"
        )
    env = dict(getattr(job, "environment", None) or {})
    try:
        dataset_format = json.loads(env.get("dataset_format", "{}"))
    except json.JSONDecodeError:
        raise JobError(f"ClientError: dataset_format is not JSON: {env.get('dataset_format')!r}") from None
    if "csv" not in dataset_format:
        raise JobError(f"ClientError: the emulator's analyzer reads CSV datasets only, got {dataset_format}")
    source, output_path = env.get("dataset_source"), env.get("output_path")
    if not source or not output_path:
        raise JobError("ClientError: the environment needs dataset_source and output_path (a baseline job)")
    inputs = [i for i in job.processing_inputs or [] if (i.get("S3Input") or {}).get("LocalPath") == source]
    if not inputs:
        raise JobError(f"ClientError: no ProcessingInputs with LocalPath {source} (dataset_source)")
    outputs = [
        o for o in (job.processing_output_config or {}).get("Outputs", [])
        if (o.get("S3Output") or {}).get("LocalPath") == output_path
    ]  # fmt: skip
    if not outputs:
        raise JobError(f"ClientError: no ProcessingOutputConfig output with LocalPath {output_path}")
    s3 = s3_client(job.role_arn)
    with tempfile.TemporaryDirectory(prefix="ml-baseline-") as folder:
        uri = inputs[0]["S3Input"]["S3Uri"]
        files = download_prefix(s3, uri, Path(folder))
        rows, names = read_csv(files, bool(dataset_format["csv"].get("header")))
    if not rows:
        raise JobError(f"ClientError: the baseline dataset at {uri} has no rows")
    log(f"baseline of {len(rows)} rows from {uri}")
    statistics, constraints = baseline(rows, names)
    target = outputs[0]["S3Output"]["S3Uri"]
    key = (job.processing_output_config or {}).get("KmsKeyId")
    for file_name, body in (("statistics.json", statistics), ("constraints.json", constraints)):
        put_bytes(s3, join_uri(target, file_name), json.dumps(body, indent=2).encode(), key)
        log(f"wrote {join_uri(target, file_name)}")


# -- monitoring schedules ------------------------------------------------------------------------
def _schedules(backend: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, "ml_monitoring_schedules"):
        backend.ml_monitoring_schedules = {}
    return backend.ml_monitoring_schedules


def _install_schedules(arn_formatter: Any) -> None:
    from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    def _check(self: Any, config: dict[str, Any]) -> str:
        """The endpoint the schedule watches, checked as SageMaker does."""
        backend = self.sagemaker_backend
        if config.get("MonitoringType", "DataQuality") != "DataQuality":
            raise ValidationError(message="The emulator supports DataQuality monitoring schedules only.")
        definition_name = config.get("MonitoringJobDefinitionName")
        definition = backend.data_quality_job_definitions.get(definition_name)
        if definition is None:
            raise ValidationError(message=f"Could not find job definition '{definition_name}'.")
        endpoint_input = (definition.data_quality_job_input or {}).get("EndpointInput") or {}
        endpoint_name = endpoint_input.get("EndpointName", "")
        endpoint = backend.endpoints.get(endpoint_name)
        if endpoint is None:
            raise ValidationError(message=f"Endpoint '{endpoint_name}' does not exist or is not valid.")
        endpoint_config = backend.endpoint_configs.get(endpoint.endpoint_config_name)
        capture = getattr(endpoint_config, "data_capture_config", None) or {}
        modes = {o.get("CaptureMode") for o in capture.get("CaptureOptions", [])}
        if not capture.get("EnableCapture", True) or "Input" not in modes:
            raise ValidationError(
                message=f"Endpoint '{endpoint_name}' does not capture its input (DataCaptureConfig)."
            )
        return endpoint_name

    def create_monitoring_schedule(self: Any) -> str:
        name = self._get_param("MonitoringScheduleName")
        config = self._get_param("MonitoringScheduleConfig") or {}
        schedules = _schedules(self.sagemaker_backend)
        if name in schedules:
            raise ResourceInUseException(message=f"Monitoring schedule {name} already exists")
        endpoint_name = _check(self, config)
        now = time.time()
        arn = arn_formatter("monitoring-schedule", name, self.current_account, self.region)
        schedules[name] = {
            "MonitoringScheduleArn": arn,
            "MonitoringScheduleName": name,
            "MonitoringScheduleStatus": "Scheduled",
            "MonitoringType": config.get("MonitoringType", "DataQuality"),
            "CreationTime": now,
            "LastModifiedTime": now,
            "MonitoringScheduleConfig": config,
            "EndpointName": endpoint_name,
            "Tags": self._get_param("Tags") or [],
        }
        return json.dumps({"MonitoringScheduleArn": arn})

    def _find(self: Any) -> dict[str, Any]:
        name = self._get_param("MonitoringScheduleName")
        found = _schedules(self.sagemaker_backend).get(name)
        if found is None:
            raise ResourceNotFound(message=f"Monitoring schedule {name} not found")
        return found

    def describe_monitoring_schedule(self: Any) -> str:
        return json.dumps({k: v for k, v in _find(self).items() if k != "Tags"})

    def update_monitoring_schedule(self: Any) -> str:
        schedule = _find(self)
        config = self._get_param("MonitoringScheduleConfig") or {}
        schedule["EndpointName"] = _check(self, config)
        schedule["MonitoringScheduleConfig"] = config
        schedule["LastModifiedTime"] = time.time()
        return json.dumps({"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]})

    def delete_monitoring_schedule(self: Any) -> str:
        schedule = _find(self)
        del _schedules(self.sagemaker_backend)[schedule["MonitoringScheduleName"]]
        return "{}"

    def list_monitoring_schedules(self: Any) -> str:
        endpoint = self._get_param("EndpointName")
        items = [
            {
                k: s[k]
                for k in (
                    "MonitoringScheduleName", "MonitoringScheduleArn", "CreationTime", "LastModifiedTime",
                    "MonitoringScheduleStatus", "EndpointName", "MonitoringType",
                )
            }
            | {"MonitoringJobDefinitionName": s["MonitoringScheduleConfig"].get(_DEFINITION)}
            for s in _schedules(self.sagemaker_backend).values()
            if endpoint in (None, s["EndpointName"])
        ]  # fmt: skip
        return json.dumps({"MonitoringScheduleSummaries": items})

    for method in (
        create_monitoring_schedule,
        describe_monitoring_schedule,
        update_monitoring_schedule,
        delete_monitoring_schedule,
        list_monitoring_schedules,
    ):
        setattr(SageMakerResponse, method.__name__, method)
