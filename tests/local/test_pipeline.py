"""The reference pipeline executed end to end in the emulator, and its failure paths.

One deploy of the reference app for the module; the sample data goes in through plain AWS
APIs and the workflow it triggers runs ETL (local PySpark) -> crawl -> Bayesian tuning (real
XGBoost trials) -> register -> batch transform -> endpoint deploy -> notice. Then: the model
learned (validation AUC), every score row was scored, the endpoint answers; shuffled labels
learn nothing; a failing ETL script, a failing training and a missing IAM grant each end the
run as they would on AWS.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import time
import uuid
from typing import Any

import pytest

from ml_constructs.local import LocalAws
from ml_constructs.local.deployment import LocalDeployment
from ml_constructs.local.pipeline import PipelineResult, ReferenceApp, run_pipeline
from tests.local.conftest import reference_app

pytestmark = [pytest.mark.deploy, pytest.mark.pipeline]


@pytest.fixture(scope="module")
def deployed(aws: LocalAws, tmp_path_factory: pytest.TempPathFactory):
    yield from reference_app(aws, tmp_path_factory.mktemp("pipeline") / "cdk.out")


@pytest.fixture(scope="module")
def app(deployed: LocalDeployment) -> ReferenceApp:
    return ReferenceApp.find(deployed.assembly)


@pytest.fixture(scope="module")
def result(deployed: LocalDeployment, app: ReferenceApp) -> PipelineResult:
    log: list[str] = []
    outcome = run_pipeline(deployed.assembly, log=log.append, timeout=600)
    print("\n".join(log) + "\n" + outcome.format())
    return outcome


def _start(aws: LocalAws, machine: str, payload: dict[str, Any]) -> str:
    sfn = aws.client("stepfunctions")
    return sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload))["executionArn"]


def _finish(aws: LocalAws, arn: str, timeout: float = 300) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = aws.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            return described, events
        time.sleep(1)
    raise TimeoutError(arn)


def _succeeded(events: list[dict[str, Any]], state: str) -> bool:
    """Whether ``state`` (a task) completed: entered, then its task succeeded."""
    inside = False
    for event in events:
        name = (event.get("stateEnteredEventDetails") or {}).get("name")
        if name is not None:
            inside = name == state
        if inside and event["type"] == "TaskSucceeded":
            return True
    return False


def _entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


# -- the happy path --------------------------------------------------------------------------
def test_the_triggered_workflow_runs_every_stage_and_succeeds(result: PipelineResult) -> None:
    assert result.status == "SUCCEEDED", result.error
    for stage in (
        "Etl",
        "Crawl",
        "Tune",
        "BestModel",
        "Register",
        "BatchModel",
        "Score",
        "Deploy",
        "NotifySuccess",
    ):
        assert stage in result.stage_seconds, (stage, result.stage_seconds)


def test_one_upload_started_one_run(result: PipelineResult) -> None:
    assert result.executions_started == 1


def test_the_model_learned(result: PipelineResult) -> None:
    assert result.best_objective is not None
    metric, value = result.best_objective
    assert metric == "validation:auc"
    assert value > 0.65, result.format()
    assert result.trials == 6


def test_every_score_row_is_scored(aws: LocalAws, app: ReferenceApp, result: PipelineResult) -> None:
    s3 = aws.client("s3")
    score_rows = 0
    for item in s3.list_objects_v2(Bucket=app.processed_bucket, Prefix="features/score/").get("Contents", []):
        body = s3.get_object(Bucket=app.processed_bucket, Key=item["Key"])["Body"].read()
        score_rows += len([line for line in body.splitlines() if line.strip()])
    assert score_rows > 0
    assert result.scored_rows == score_rows
    bucket, _, prefix = result.scored_output[len("s3://") :].partition("/")
    outputs = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"] if o["Size"]]
    line = s3.get_object(Bucket=bucket, Key=outputs[0])["Body"].read().decode().splitlines()[0]
    order_id, prediction = line.split(",")  # output_filter $[0,-1]: order_id, prediction
    assert order_id.startswith("o") and 0.0 <= float(prediction) <= 1.0


def test_the_endpoint_answers_with_the_new_model(result: PipelineResult) -> None:
    assert len(result.predictions) == 5
    assert all(0.0 <= p <= 1.0 for _, p in result.predictions)


def test_bad_sales_rows_are_quarantined_not_lost(result: PipelineResult) -> None:
    assert result.quarantined_rows == 3


def test_shuffled_labels_learn_nothing(aws: LocalAws, app: ReferenceApp, result: PipelineResult) -> None:
    """The same features with the labels shuffled, trained the same way: AUC about 0.5."""
    s3, sagemaker = aws.client("s3"), aws.client("sagemaker")
    best = sagemaker.describe_training_job(TrainingJobName=result.best_training_job)
    prefix = f"shuffled-{uuid.uuid4().hex[:8]}/"
    rng = random.Random(3)
    for channel in ("train", "validation"):
        rows: list[list[str]] = []
        for item in s3.list_objects_v2(Bucket=app.processed_bucket, Prefix=f"features/{channel}/")[
            "Contents"
        ]:
            body = s3.get_object(Bucket=app.processed_bucket, Key=item["Key"])["Body"].read().decode()
            rows += [line.split(",") for line in body.splitlines() if line.strip()]
        labels = [row[0] for row in rows]
        rng.shuffle(labels)
        text = "\n".join(",".join([label, *row[1:]]) for label, row in zip(labels, rows, strict=True)) + "\n"
        s3.put_object(
            Bucket=app.processed_bucket, Key=f"{prefix}{channel}/part.csv", Body=io.BytesIO(text.encode())
        )
    request = {
        key: best[key]
        for key in ("AlgorithmSpecification", "ResourceConfig", "StoppingCondition", "OutputDataConfig")
    }
    # The stack's training role may read features/train|validation only: this job gets its own.
    iam = aws.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_name = f"shuffled-{uuid.uuid4().hex[:8]}"
    request["RoleArn"] = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=role_name, PolicyName="data", PolicyDocument=json.dumps(policy))
    request["AlgorithmSpecification"] = {
        k: v
        for k, v in request["AlgorithmSpecification"].items()
        if k in ("TrainingImage", "TrainingInputMode")
    }
    request["StoppingCondition"] = {"MaxRuntimeInSeconds": 3600}
    name = f"shuffled-{uuid.uuid4().hex[:8]}"
    sagemaker.create_training_job(
        TrainingJobName=name,
        HyperParameters=best["HyperParameters"],
        InputDataConfig=[
            {
                "ChannelName": channel,
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{app.processed_bucket}/{prefix}{channel}/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
            for channel in ("train", "validation")
        ],
        **request,
    )
    deadline = time.monotonic() + 120
    while (job := sagemaker.describe_training_job(TrainingJobName=name))["TrainingJobStatus"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(1)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    auc = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}["validation:auc"]
    assert abs(auc - 0.5) < 0.12, auc


# -- failure paths, executed ---------------------------------------------------------------------
def test_overriding_a_tuned_hyperparameter_fails_before_any_job(
    aws: LocalAws, app: ReferenceApp, result
) -> None:
    described, events = _finish(aws, _start(aws, app.workflow, {"hyperparameters": {"max_depth": "8"}}))
    assert described["status"] == "FAILED"
    assert "Etl" not in _entered(events)
    assert _succeeded(events, "NotifyFailure")
    assert described.get("error") == "MlWorkflowFailed"
    assert "max_depth" in described.get("cause", "") or "tunes" in described.get("cause", "")


def test_a_failing_training_ends_in_notify_failure(aws: LocalAws, app: ReferenceApp, result) -> None:
    """Also: the crawler is still busy (a long crawl started by hand), so Crawl retries, then the
    run goes on without it (CrawlSkipped) - and fails at Tune, as its training cannot run."""
    from moto.moto_api import state_manager

    from ml_constructs.local.glue import CRAWL_SECONDS

    glue = aws.client("glue")
    (crawler,) = [c["Name"] for c in glue.get_crawlers()["Crawlers"] if "Features" in c["Name"]]
    glue.get_crawler(Name=crawler)  # the last crawl settles (it took its few seconds) first
    state_manager.set_transition("glue::crawl", {"progression": "time", "seconds": 600})
    try:
        glue.start_crawler(Name=crawler)
        described, events = _finish(
            aws,
            _start(aws, app.workflow, {"hyperparameters": {"objective": "no:such-objective"}}),
            timeout=600,
        )
    finally:
        state_manager.set_transition("glue::crawl", {"progression": "time", "seconds": CRAWL_SECONDS})
    assert described["status"] == "FAILED"
    entered = _entered(events)
    assert "CrawlSkipped" in entered
    assert "Tune" in entered and "Register" not in entered
    assert _succeeded(events, "NotifyFailure")


def test_a_failing_etl_script_ends_in_notify_failure(aws: LocalAws, app: ReferenceApp, result) -> None:
    glue, s3 = aws.client("glue"), aws.client("s3")
    script = glue.get_job(JobName=app.etl_job)["Job"]["Command"]["ScriptLocation"]
    bucket, key = script[len("s3://") :].split("/", 1)
    original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=b"raise RuntimeError('the feature script is broken')\n")
    try:
        described, events = _finish(aws, _start(aws, app.workflow, {}))
    finally:
        s3.put_object(Bucket=bucket, Key=key, Body=original)
    assert described["status"] == "FAILED"
    assert "Tune" not in _entered(events)
    assert _succeeded(events, "NotifyFailure")
    assert "the feature script is broken" in json.dumps(events, default=str)


def test_a_missing_grant_fails_the_run_as_on_aws(
    aws: LocalAws, deployed: LocalDeployment, app, result
) -> None:
    """Without sagemaker:AddTags (Step Functions tags every .sync job), starting the tuning job
    is denied: the on-demand tuning machine fails with AccessDenied."""
    iam, sfn = aws.client("iam"), aws.client("stepfunctions")
    (machine,) = [
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if "TuneStateMachine" in m["name"]
    ]
    role = sfn.describe_state_machine(stateMachineArn=machine)["roleArn"].rsplit("/", 1)[-1]
    saved = {}
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        saved[name] = document
        trimmed = json.loads(json.dumps(document))
        for statement in trimmed["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            statement["Action"] = [a for a in actions if a != "sagemaker:AddTags"] or ["sagemaker:ListTags"]
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(trimmed))
    try:
        described, events = _finish(aws, _start(aws, machine, {}))
    finally:
        for name, document in saved.items():
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))
    assert described["status"] == "FAILED"
    assert "AddTags" in json.dumps(events, default=str) and "AccessDenied" in json.dumps(events, default=str)


def _machine(aws: LocalAws, fragment: str) -> str:
    sfn = aws.client("stepfunctions")
    (machine,) = [
        m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if fragment in m["name"]
    ]
    return machine


def test_the_on_demand_training_machine_runs_with_its_own_role(aws: LocalAws, result) -> None:
    described, _ = _finish(aws, _start(aws, _machine(aws, "TrainStateMachine"), {}))
    assert described["status"] == "SUCCEEDED", described.get("cause")
    training = json.loads(described["output"])["training"]
    assert training["TrainingJobStatus"] == "Completed"


def test_the_on_demand_scoring_machine_runs_with_its_own_role(
    aws: LocalAws, app: ReferenceApp, result
) -> None:
    sfn = aws.client("stepfunctions")
    history = sfn.get_execution_history(executionArn=result.execution_arn, maxResults=1000)["events"]
    (model,) = [
        json.loads(e["stateExitedEventDetails"]["output"])["model"]["ModelName"]
        for e in history
        if (e.get("stateExitedEventDetails") or {}).get("name") == "BatchModel"
    ]
    described, _ = _finish(aws, _start(aws, _machine(aws, "ScoreStateMachine"), {"model_name": model}))
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"])["transform"]["TransformJobStatus"] == "Completed"


# -- model governance, executed ------------------------------------------------------------------
def _endpoint(aws: LocalAws, result: PipelineResult) -> dict[str, Any]:
    return aws.client("sagemaker").describe_endpoint(EndpointName=result.endpoint_name)


def _gate(events: list[dict[str, Any]]) -> dict[str, Any]:
    (gate,) = [
        json.loads(e["stateExitedEventDetails"]["output"])["gate"]
        for e in events
        if (e.get("stateExitedEventDetails") or {}).get("name") == "CompareWithProduction"
    ]
    return gate


def test_the_first_model_is_approved_with_its_objective(aws: LocalAws, result: PipelineResult) -> None:
    assert result.gate.startswith("No approved model yet"), result.gate
    assert result.model_package is not None
    arn, status = result.model_package
    assert status == "Approved"
    version = aws.client("sagemaker").describe_model_package(ModelPackageName=arn)
    assert version["ApprovalDescription"] == result.gate
    metadata = version["CustomerMetadataProperties"]
    assert result.best_objective is not None
    assert metadata["ObjectiveMetric"] == result.best_objective[0] == "validation:auc"
    assert float(metadata["ObjectiveValue"]) == pytest.approx(result.best_objective[1])
    assert metadata["TrainingJobName"] == result.best_training_job


def test_the_monitor_has_its_baseline_and_its_schedule(
    aws: LocalAws, app: ReferenceApp, result: PipelineResult
) -> None:
    """Before the rollout the workflow computed the data-quality baseline of the training features;
    after it, it created the hourly schedule over the endpoint's captured data."""
    sagemaker, s3 = aws.client("sagemaker"), aws.client("s3")
    schedules = [
        s
        for s in sagemaker.list_monitoring_schedules()["MonitoringScheduleSummaries"]
        if s.get("EndpointName") == result.endpoint_name
    ]
    assert len(schedules) == 1, schedules
    schedule = sagemaker.describe_monitoring_schedule(
        MonitoringScheduleName=schedules[0]["MonitoringScheduleName"]
    )
    config = schedule["MonitoringScheduleConfig"]
    assert config["MonitoringType"] == "DataQuality"
    assert config["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    definition = sagemaker.describe_data_quality_job_definition(
        JobDefinitionName=config["MonitoringJobDefinitionName"]
    )
    assert definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == result.endpoint_name
    baseline = definition["DataQualityBaselineConfig"]
    documents = {}
    for kind in ("StatisticsResource", "ConstraintsResource"):
        bucket, _, key = baseline[kind]["S3Uri"][len("s3://") :].partition("/")
        documents[kind] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    statistics, constraints = documents["StatisticsResource"], documents["ConstraintsResource"]
    assert statistics["dataset"]["item_count"] > 100
    # What the endpoint receives: the features, without the label the training split starts with.
    rows = [
        line
        for item in s3.list_objects_v2(Bucket=app.processed_bucket, Prefix="features/validation/")["Contents"]
        for line in s3.get_object(Bucket=app.processed_bucket, Key=item["Key"])["Body"]
        .read()
        .decode()
        .splitlines()
        if line.strip()
    ]
    columns = len(rows[0].split(","))
    assert len(statistics["features"]) == len(constraints["features"]) == columns - 1


def test_a_worse_model_is_rejected_and_not_deployed(aws: LocalAws, app: ReferenceApp, result) -> None:
    """One boosting round instead of 200: a weaker model than production. It is registered
    Rejected with the gate's reason, nothing is deployed, and the run succeeds with a notice."""
    before = _endpoint(aws, result)
    described, events = _finish(
        aws, _start(aws, app.workflow, {"hyperparameters": {"num_round": "1"}}), timeout=600
    )
    assert described["status"] == "SUCCEEDED", described.get("cause")
    entered = _entered(events)
    assert {"RegisterRejected", "RecordRejection", "NotifyRejected"} <= set(entered)
    assert not {"Register", "BatchModel", "Score", "Rollout"} & set(entered)
    gate = _gate(events)
    assert gate["passed"] is False and "not better" in gate["reason"], gate
    assert gate["candidate"] < float(result.best_objective[1])
    (registered,) = [
        json.loads(e["stateExitedEventDetails"]["output"])["registered"]
        for e in events
        if (e.get("stateExitedEventDetails") or {}).get("name") == "RegisterRejected"
    ]
    version = aws.client("sagemaker").describe_model_package(ModelPackageName=registered["ModelPackageArn"])
    assert version["ModelApprovalStatus"] == "Rejected"
    assert version["ApprovalDescription"] == gate["reason"]
    after = _endpoint(aws, result)
    assert after["EndpointConfigName"] == before["EndpointConfigName"]
    assert after["EndpointStatus"] == "InService"


def test_a_better_model_replaces_production_in_place(aws: LocalAws, app: ReferenceApp, result) -> None:
    """An operator approves the weak version: it becomes the production model the gate compares
    with (the newest approved version). A normal run then beats it and updates the endpoint in
    place (the UpdateEndpoint branch)."""
    sagemaker = aws.client("sagemaker")
    (weak,) = sagemaker.list_model_packages(
        ModelPackageGroupName=app.model_group, ModelApprovalStatus="Rejected", SortBy="CreationTime"
    )["ModelPackageSummaryList"]
    sagemaker.update_model_package(
        ModelPackageArn=weak["ModelPackageArn"],
        ModelApprovalStatus="Approved",
        ApprovalDescription="approved by hand in a test: the production model to beat",
    )
    described, events = _finish(aws, _start(aws, app.workflow, {}), timeout=600)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    gate = _gate(events)
    assert gate["passed"] is True and weak["ModelPackageArn"] in gate["reason"], gate
    entered = _entered(events)
    assert "Deploy Update endpoint" in entered and "Deploy Create endpoint" not in entered
    assert _succeeded(events, "NotifySuccess")
    (deployed,) = [
        json.loads(e["stateExitedEventDetails"]["output"])["deployment"]
        for e in events
        if (e.get("stateExitedEventDetails") or {}).get("name") == "Deploy Endpoint in service"
    ]
    live = sagemaker.describe_endpoint(EndpointName=deployed["EndpointName"])
    # The workflow names each deployment's config after the MD5 of its execution name.
    assert live["EndpointStatus"] == "InService"
    assert live["EndpointConfigName"].endswith(hashlib.md5(described["name"].encode()).hexdigest())
    newest = sagemaker.list_model_packages(
        ModelPackageGroupName=app.model_group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"][0]
    assert newest["ModelPackageArn"] != weak["ModelPackageArn"]
