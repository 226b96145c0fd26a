"""The reference pipeline run end to end in the emulator, on sample data, through plain AWS APIs.

After ``cdk deploy`` of the reference app into :class:`~ml_constructs.local.LocalAws`:
the orders table lands as DMS writes it, click events go onto the Kinesis stream (Firehose and
its validating Lambda put them in the lake), and a sales CSV is dropped into the raw zone's
``incoming/sales/``. From there nothing is driven by hand: the object trigger cleans the file
into the processed zone, whose new-data rule starts the workflow, which runs ETL -> crawl ->
tune -> register -> batch scoring -> endpoint deploy -> notify. Then the endpoint is invoked on
held-out (validation) rows. :func:`run_pipeline` returns what happened, with per-stage times.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import api
from .inventory import stacks_in_assembly
from .sample_data import SampleData, sample_data

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
SKIPPED_STATES = ("Input", "Pipeline", "OnlyExecution?")  # bookkeeping, not stages


@dataclass
class PipelineResult:
    status: str  # the workflow execution's status
    execution_arn: str = ""
    error: str = ""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    best_training_job: str = ""
    best_objective: tuple[str, float] | None = None  # (metric, value)
    trials: int = 0
    scored_rows: int = 0
    scored_output: str = ""  # the batch transform's S3 output path
    quarantined_rows: int = 0
    predictions: list[tuple[str, float]] = field(default_factory=list)  # (label, prediction)
    endpoint_name: str = ""  # the endpoint the run deployed to ("" when it deployed none)
    gate: str = ""  # the quality gate's verdict
    model_package: tuple[str, str] | None = None  # (ARN, approval status) of the new version
    executions_started: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "SUCCEEDED" and bool(self.predictions)

    def format(self) -> str:
        lines = [f"workflow execution: {self.status} ({self.execution_arn.rsplit(':', 1)[-1]})"]
        if self.error:
            lines.append(f"  error: {self.error}")
        if self.stage_seconds:
            lines.append("  stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.stage_seconds.items()))
        if self.best_objective:
            metric, value = self.best_objective
            lines.append(f"  best of {self.trials} trials: {self.best_training_job} {metric}={value:.3f}")
        if self.gate:
            lines.append(f"  quality gate: {self.gate}")
        if self.model_package:
            lines.append(f"  model version: {self.model_package[0]} ({self.model_package[1]})")
        lines.append(f"  scored rows: {self.scored_rows}; quarantined sales rows: {self.quarantined_rows}")
        lines.append(f"  executions started by the uploads: {self.executions_started}")
        for label, prediction in self.predictions[:5]:
            lines.append(f"  endpoint: label {label} -> predicted {prediction:.3f}")
        return "\n".join(lines)


@dataclass
class ReferenceApp:
    """Where things are in the deployed reference stack (physical names from CloudFormation)."""

    raw_bucket: str
    processed_bucket: str
    models_bucket: str
    stream: str
    workflow: str  # state machine ARN
    etl_job: str
    orders_prefix: str
    events_prefix: str
    model_group: str  # the model registry (model package group name)
    deployment: str | None  # the approved-model deployment machine (manual approval), or None

    @classmethod
    def find(cls, assembly: Any, region: str = api.REGION) -> ReferenceApp:
        cloudformation = api.client("cloudformation", region)
        for stack_name, template in stacks_in_assembly(assembly):
            resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
            physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
            types = {k: v["Type"] for k, v in template.get("Resources", {}).items()}

            def one(prefix: str, type_: str, physical=physical, types=types, stack=stack_name) -> str:
                found = [physical[k] for k, t in types.items() if k.startswith(prefix) and t == type_]
                if len(found) != 1:
                    raise LookupError(f"{stack}: expected one {type_} named {prefix}*, found {found}")
                return found[0]

            try:
                workflow = one("WorkflowStateMachine", "AWS::StepFunctions::StateMachine")
            except LookupError:
                continue
            job = one("FeaturesJob", "AWS::Glue::Job")
            arguments = api.client("glue", region).get_job(JobName=job)["Job"]["DefaultArguments"]
            raw = one("LakeRawBucket", "AWS::S3::Bucket")
            try:
                deployment: str | None = one(
                    "WorkflowDeploymentStateMachine", "AWS::StepFunctions::StateMachine"
                )
            except LookupError:
                deployment = None
            return cls(
                raw_bucket=raw,
                processed_bucket=one("LakeProcessedBucket", "AWS::S3::Bucket"),
                models_bucket=one("LakeModelsBucket", "AWS::S3::Bucket"),
                stream=one("ClicksStream", "AWS::Kinesis::Stream"),
                workflow=workflow,
                etl_job=job,
                orders_prefix=_key(arguments["--orders_path"], raw),
                events_prefix=_key(arguments["--events_path"], raw),
                model_group=one("Models", "AWS::SageMaker::ModelPackageGroup").rsplit("/", 1)[-1],
                deployment=deployment,
            )
        raise LookupError("no stack with the reference workflow (WorkflowStateMachine*) is deployed")


def _key(url: str, bucket: str) -> str:
    prefix = f"s3://{bucket}/"
    if not url.startswith(prefix):
        raise LookupError(f"{url} is not in {bucket}")
    return url[len(prefix) :]


def run_pipeline(
    assembly: Any,
    *,
    data: SampleData | None = None,
    region: str = api.REGION,
    timeout: float = 900.0,
    log: Callable[[str], None] = print,
) -> PipelineResult:
    """Feed the deployed reference app ``data`` (default: :func:`sample_data`) and follow the
    workflow it starts to the end; then invoke the endpoint on validation rows."""
    started = time.perf_counter()
    app = ReferenceApp.find(assembly, region)
    data = data or sample_data()
    s3, sfn = api.client("s3", region), api.client("stepfunctions", region)
    # An earlier run (e.g. one the deploy smoke's upload started) would make the sample data's
    # run end early as "another execution is at work".
    stop_running(sfn, app.workflow, cause="run_pipeline starts a clean run", log=log)
    before = {e["executionArn"] for e in executions(sfn, app.workflow)}

    log(
        f"==> orders table as DMS writes it: {len(data.orders)} rows -> s3://{app.raw_bucket}/{app.orders_prefix}"
    )
    s3.put_object(
        Bucket=app.raw_bucket,
        Key=f"{app.orders_prefix}2026/07/01/LOAD00000001.parquet",
        Body=data.orders_parquet(),
    )
    log(f"==> click stream: {len(data.events)} events -> Kinesis {app.stream}")
    _put_events(api.client("kinesis", region), app, data)
    _wait_for_objects(s3, app.raw_bucket, app.events_prefix, timeout=120)
    log(f"==> sales file: {len(data.sales)} rows -> s3://{app.raw_bucket}/incoming/sales/")
    s3.put_object(Bucket=app.raw_bucket, Key="incoming/sales/sales-2026-07-01.csv", Body=data.sales_csv())

    log("==> waiting for the new-data trigger to start the workflow")
    execution = _wait_for_pipeline(sfn, app.workflow, before, timeout=timeout, log=log)
    result = PipelineResult(status=execution["status"], execution_arn=execution["executionArn"])
    result.executions_started = len({e["executionArn"] for e in executions(sfn, app.workflow)} - before)
    history = _history(sfn, result.execution_arn)
    result.stage_seconds = _stage_seconds(history)
    if result.status != "SUCCEEDED":
        result.error = _failure(history)
    sagemaker = api.client("sagemaker", region)
    _tuning_figures(sagemaker, history, result)
    result.gate = (_state_output(history, "CompareWithProduction").get("gate") or {}).get("reason", "")
    for state in ("Register", "RegisterRejected"):
        arn = (_state_output(history, state).get("registered") or {}).get("ModelPackageArn")
        if arn:
            status = sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"]
            result.model_package = (arn, status)
    scored = _state_output(history, "Score").get("transform", {}).get("S3OutputPath", "")
    result.scored_output = scored
    if scored.startswith("s3://"):
        bucket, _, prefix = scored[len("s3://") :].partition("/")
        result.scored_rows = _count_lines(s3, bucket, prefix, suffix=".out")
    result.quarantined_rows = _count_lines(s3, app.raw_bucket, "quarantine/")
    endpoint = (_state_output(history, "Deploy Endpoint in service").get("deployment") or {}).get(
        "EndpointName"
    )
    result.endpoint_name = endpoint or ""
    if result.status == "SUCCEEDED" and endpoint:
        runtime = api.client("sagemaker-runtime", region)
        result.predictions = predict_validation_rows(s3, runtime, endpoint, app.processed_bucket)
    result.seconds = time.perf_counter() - started
    return result


def executions(sfn: Any, machine: str) -> list[dict[str, Any]]:
    """Every execution of ``machine``, over every page (a page holds at most 100)."""
    found: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
        found += page["executions"]
    return found


def stop_running(
    sfn: Any, machine: str, *, cause: str, log: Callable[[str], None] = print, timeout: float = 60
) -> None:
    """Stop the executions of ``machine`` still running, and wait until none is."""
    for execution in executions(sfn, machine):
        if execution["status"] == "RUNNING":
            log(f"    stopping an earlier execution: {execution['name']}")
            sfn.stop_execution(executionArn=execution["executionArn"], cause=cause)
    deadline = time.monotonic() + timeout
    while any(e["status"] == "RUNNING" for e in executions(sfn, machine)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"executions of {machine} still running after {timeout:.0f} s")
        time.sleep(0.5)


def _put_events(kinesis: Any, app: ReferenceApp, data: SampleData) -> None:
    records = data.event_records()
    for start in range(0, len(records), 500):
        batch = records[start : start + 500]
        kinesis.put_records(
            StreamName=app.stream,
            Records=[{"Data": r, "PartitionKey": str(i)} for i, r in enumerate(batch)],
        )


def _wait_for_objects(s3: Any, bucket: str, prefix: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount"):
            return
        time.sleep(1)
    raise TimeoutError(f"nothing arrived under s3://{bucket}/{prefix} within {timeout:.0f} s")


def _wait_for_pipeline(
    sfn: Any, machine: str, before: set[str], *, timeout: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """The execution that ran the pipeline (not one that ended early because another ran)."""
    deadline = time.monotonic() + timeout
    reported: set[tuple[str, str]] = set()
    while time.monotonic() < deadline:
        new = [e for e in executions(sfn, machine) if e["executionArn"] not in before]
        for execution in new:
            seen = (execution["executionArn"], execution["status"])
            if seen not in reported:
                reported.add(seen)
                log(f"    execution {execution['name']}: {execution['status']}")
        if new and all(e["status"] in TERMINAL for e in new):
            ran = [e for e in new if _entered(sfn, e["executionArn"], "Pipeline")]
            if ran:
                return sorted(ran, key=lambda e: e["startDate"])[-1]
            if all(e["status"] != "SUCCEEDED" for e in new):
                return new[0]
        time.sleep(2)
    raise TimeoutError(f"the workflow did not finish within {timeout:.0f} s")


def _history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events += page["events"]
    return events


def _entered(sfn: Any, arn: str, state: str) -> bool:
    return any(e.get("stateEnteredEventDetails", {}).get("name") == state for e in _history(sfn, arn))


def _stage_seconds(history: list[dict[str, Any]]) -> dict[str, float]:
    """Wall time per top-level stage of the pipeline (the deploy states summed as ``Deploy``)."""
    entered: dict[str, dt.datetime] = {}
    seconds: dict[str, float] = {}
    for event in history:
        details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails")
        if not details:
            continue
        name = details["name"]
        if "stateEnteredEventDetails" in event:
            entered[name] = event["timestamp"]
        elif name in entered and name not in SKIPPED_STATES and not name.startswith("CheckOverrides "):
            stage = "Deploy" if name.startswith("Deploy") else name
            spent = (event["timestamp"] - entered.pop(name)).total_seconds()
            seconds[stage] = seconds.get(stage, 0.0) + spent
    return seconds


def _failure(history: list[dict[str, Any]]) -> str:
    for event in reversed(history):
        for key in ("executionFailedEventDetails", "taskFailedEventDetails"):
            details = event.get(key)
            if details:
                return f"{details.get('error', '')}: {str(details.get('cause', ''))[:500]}"
    return ""


def _state_output(history: list[dict[str, Any]], state: str) -> dict[str, Any]:
    """The output of the last exit from ``state`` ({} when it never exited)."""
    for event in reversed(history):
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") == state:
            output = json.loads(details.get("output") or "{}")
            return output if isinstance(output, dict) else {}
    return {}


def _tuning_figures(sagemaker: Any, history: list[dict[str, Any]], result: PipelineResult) -> None:
    name = (_state_output(history, "Tune").get("tuning") or {}).get("HyperParameterTuningJobName")
    if name:
        described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        best = described.get("BestTrainingJob") or {}
        metric = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        result.best_training_job = best.get("TrainingJobName", "")
        if metric:
            result.best_objective = (metric["MetricName"], float(metric["Value"]))
        counters = described.get("TrainingJobStatusCounters") or {}
        result.trials = sum(int(v) for v in counters.values())


def _count_lines(s3: Any, bucket: str, prefix: str, *, suffix: str = "") -> int:
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith(suffix) and not item["Key"].endswith(".reason.json"):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                total += len([line for line in body.splitlines() if line.strip()])
    return total


def predict_validation_rows(
    s3: Any, runtime: Any, name: str, bucket: str, rows: int = 5
) -> list[tuple[str, float]]:
    """The endpoint's predictions for ``rows`` validation rows (held out of training)."""
    lines: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="features/validation/"):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            lines += [line for line in body.splitlines() if line.strip()]
        if len(lines) >= rows:
            break
    lines = lines[:rows]
    labels = [line.split(",", 1)[0] for line in lines]
    payload = "\n".join(line.split(",", 1)[1] for line in lines)
    answer = runtime.invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Accept="text/csv", Body=payload
    )
    body = answer["Body"].read().decode()
    predictions = [float(p) for p in body.replace("\n", ",").split(",") if p.strip()]
    return list(zip(labels, predictions, strict=False))
