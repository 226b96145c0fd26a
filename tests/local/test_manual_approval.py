"""Manual approval, executed: the reference app deployed with ``ml:model_approval=manual``.

The workflow registers a model that passes the quality gate as pending and stops there; approving
the version in the registry (boto3, as an operator would) sends EventBridge's model package state
change, which starts the deployment machine; it deploys exactly that version. A version that is
no longer approved is never deployed.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ml_constructs.local import LocalAws
from ml_constructs.local.deployment import LocalDeployment
from ml_constructs.local.pipeline import (
    PipelineResult,
    ReferenceApp,
    executions,
    predict_validation_rows,
    run_pipeline,
)
from tests.local.conftest import reference_app

pytestmark = [pytest.mark.deploy, pytest.mark.pipeline]

# A stack of its own name: its registry and endpoint never meet test_pipeline's (the registry is
# retained on stack deletion, the workflow's endpoint is not a CloudFormation resource).
CONTEXT = {"ml:stack_name": "MlGoverned", "ml:model_approval": "manual"}  # over LOCAL_CONTEXT


@pytest.fixture(scope="module")
def deployed(aws: LocalAws, tmp_path_factory: pytest.TempPathFactory):
    yield from reference_app(aws, tmp_path_factory.mktemp("manual") / "cdk.out", CONTEXT)


@pytest.fixture(scope="module")
def app(deployed: LocalDeployment) -> ReferenceApp:
    found = ReferenceApp.find(deployed.assembly)
    assert found.deployment is not None, "manual approval deploys through its own state machine"
    return found


@pytest.fixture(scope="module")
def pending(deployed: LocalDeployment, app: ReferenceApp) -> PipelineResult:
    log: list[str] = []
    outcome = run_pipeline(deployed.assembly, log=log.append, timeout=600)
    print("\n".join(log) + "\n" + outcome.format())
    return outcome


def _history(aws: LocalAws, arn: str) -> list[dict[str, Any]]:
    return aws.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]


def _entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def _deployment_run(
    aws: LocalAws, app: ReferenceApp, known: set[str], timeout: float = 300
) -> dict[str, Any]:
    """The one new execution of the deployment machine, once it ended."""
    sfn = aws.client("stepfunctions")
    assert app.deployment is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [e for e in executions(sfn, app.deployment) if e["executionArn"] not in known]
        assert len(new) <= 1, new
        if new and new[0]["status"] != "RUNNING":
            return sfn.describe_execution(executionArn=new[0]["executionArn"])
        time.sleep(0.5)
    raise TimeoutError("no deployment execution ended")


def _known(aws: LocalAws, app: ReferenceApp) -> set[str]:
    assert app.deployment is not None
    return {e["executionArn"] for e in executions(aws.client("stepfunctions"), app.deployment)}


def test_a_passing_model_waits_for_approval(
    aws: LocalAws, app: ReferenceApp, pending: PipelineResult
) -> None:
    assert pending.status == "SUCCEEDED", pending.error
    assert pending.gate.startswith("No approved model yet")
    assert pending.model_package is not None and pending.model_package[1] == "PendingManualApproval"
    events = _history(aws, pending.execution_arn)
    entered = _entered(events)
    assert "NotifyPendingApproval" in entered
    assert not {"BatchModel", "Score", "Rollout"} & set(entered)
    assert aws.client("sagemaker").list_endpoints()["Endpoints"] == [] or pending.endpoint_name == ""
    # The pending registration's state change reached EventBridge, but the rule wants Approved.
    assert _known(aws, app) == set()


def test_approving_deploys_exactly_that_version(
    aws: LocalAws, app: ReferenceApp, pending: PipelineResult
) -> None:
    assert pending.model_package is not None
    arn = pending.model_package[0]
    sagemaker = aws.client("sagemaker")
    sagemaker.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok"
    )
    run = _deployment_run(aws, app, set())
    assert run["status"] == "SUCCEEDED", run.get("cause")
    entered = _entered(_history(aws, run["executionArn"]))
    assert {"ReadVersion", "NewestApproved", "BatchModel", "Score", "Rollout", "NotifyDeployed"} <= set(
        entered
    )
    assert json.loads(run["input"])["detail"]["ModelPackageArn"] == arn
    version = sagemaker.describe_model_package(ModelPackageName=arn)
    assert version["ModelApprovalStatus"] == "Approved"
    assert version["CustomerMetadataProperties"]["ObjectiveMetric"] == "validation:auc"
    (container,) = version["InferenceSpecification"]["Containers"]
    endpoints = [
        e["EndpointName"]
        for e in sagemaker.list_endpoints()["Endpoints"]
        if "mlgoverned" in e["EndpointName"].lower()
    ]
    (name,) = endpoints
    endpoint = sagemaker.describe_endpoint(EndpointName=name)
    assert endpoint["EndpointStatus"] == "InService"
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert model["PrimaryContainer"]["ModelDataUrl"] == container["ModelDataUrl"]
    predictions = predict_validation_rows(
        aws.client("s3"), aws.client("sagemaker-runtime"), name, app.processed_bucket
    )
    assert predictions and all(0.0 <= p <= 1.0 for _, p in predictions)


def _endpoint_name(aws: LocalAws) -> str:
    (name,) = [
        e["EndpointName"]
        for e in aws.client("sagemaker").list_endpoints()["Endpoints"]
        if "mlgoverned" in e["EndpointName"].lower()
    ]
    return name


def _approved_copy(aws: LocalAws, app: ReferenceApp, arn: str) -> str:
    """A new version of the group with ``arn``'s model, registered Approved (by hand)."""
    sagemaker = aws.client("sagemaker")
    current = sagemaker.describe_model_package(ModelPackageName=arn)
    return sagemaker.create_model_package(
        ModelPackageGroupName=app.model_group,
        InferenceSpecification=current["InferenceSpecification"],
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]


def _assert_stale_approval_skipped(aws: LocalAws, app: ReferenceApp, arn: str) -> None:
    """An approval event of ``arn`` reaching the deployment machine now deploys nothing."""
    assert app.deployment is not None
    name = _endpoint_name(aws)
    sagemaker = aws.client("sagemaker")
    before = sagemaker.describe_endpoint(EndpointName=name)["EndpointConfigName"]
    known = _known(aws, app)
    stale = {"detail": {"ModelPackageArn": arn, "ModelApprovalStatus": "Approved"}}
    aws.client("stepfunctions").start_execution(stateMachineArn=app.deployment, input=json.dumps(stale))
    run = _deployment_run(aws, app, known)
    assert run["status"] == "SUCCEEDED", run.get("cause")
    entered = _entered(_history(aws, run["executionArn"]))
    assert "NotifySkipped" in entered and "Rollout" not in entered
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointConfigName"] == before


def test_an_alarm_during_the_rollout_rolls_back_and_rejects_the_version(
    aws: LocalAws, app: ReferenceApp, pending: PipelineResult
) -> None:
    """An operator registers and approves a new version by hand; during its canary rollout the
    endpoint's 5xx alarm goes to ALARM: SageMaker rolls the update back, the deployment rejects
    the version and fails, and the endpoint keeps serving the previous model."""
    assert pending.model_package is not None
    sagemaker, cloudwatch = aws.client("sagemaker"), aws.client("cloudwatch")
    name = _endpoint_name(aws)
    before = sagemaker.describe_endpoint(EndpointName=name)["EndpointConfigName"]
    (alarm,) = [
        a
        for a in cloudwatch.describe_alarms()["MetricAlarms"]
        if a.get("MetricName") == "Invocation5XXErrors"
        and {"Name": "EndpointName", "Value": name} in a.get("Dimensions", [])
    ]
    known = _known(aws, app)
    arn = _approved_copy(aws, app, pending.model_package[0])
    try:
        deadline = time.monotonic() + 240
        while sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] != "Updating":
            assert time.monotonic() < deadline, "the approved version's rollout never started"
            time.sleep(0.1)
        cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="ALARM", StateReason="test: 5xx")
        run = _deployment_run(aws, app, known)
    finally:
        cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="OK", StateReason="test over")
    assert run["status"] == "FAILED"
    assert run["error"] == "ApprovedModelDeploymentFailed"
    entered = _entered(_history(aws, run["executionArn"]))
    assert {"Rollout", "RejectRolledBack", "NotifyFailure"} <= set(entered)
    version = sagemaker.describe_model_package(ModelPackageName=arn)
    assert version["ModelApprovalStatus"] == "Rejected"
    assert alarm["AlarmName"] in version["ApprovalDescription"], version["ApprovalDescription"]
    endpoint = sagemaker.describe_endpoint(EndpointName=name)
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == before
    predictions = predict_validation_rows(
        aws.client("s3"), aws.client("sagemaker-runtime"), name, app.processed_bucket
    )
    assert predictions


def test_a_version_no_longer_approved_is_not_deployed(
    aws: LocalAws, app: ReferenceApp, pending: PipelineResult
) -> None:
    """An approval event whose version was rejected again before the machine read it."""
    assert pending.model_package is not None
    arn = pending.model_package[0]
    aws.client("sagemaker").update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Rejected", ApprovalDescription="no"
    )
    _assert_stale_approval_skipped(aws, app, arn)


def test_a_superseded_version_is_not_deployed(
    aws: LocalAws, app: ReferenceApp, pending: PipelineResult
) -> None:
    """A newer version is approved (and deployed); an approval event of an older approved
    version arriving after it deploys nothing: only the newest approved version is deployed."""
    assert pending.model_package is not None and app.deployment is not None
    sagemaker = aws.client("sagemaker")
    older = pending.model_package[0]
    known = _known(aws, app)
    sagemaker.update_model_package(ModelPackageArn=older, ModelApprovalStatus="Approved")
    run = _deployment_run(aws, app, known)  # the re-approval deploys it: the newest approved
    assert run["status"] == "SUCCEEDED", run.get("cause")
    known = _known(aws, app)
    newer = _approved_copy(aws, app, older)
    run = _deployment_run(aws, app, known)
    assert run["status"] == "SUCCEEDED", run.get("cause")
    assert json.loads(run["input"])["detail"]["ModelPackageArn"] == newer
    _assert_stale_approval_skipped(aws, app, older)
