"""MlWorkflow's model governance: the quality gate, approval modes, the approved-model deployment."""

from __future__ import annotations

import re

import pytest
from aws_cdk import Stack

from ml_constructs import DataLake
from ml_constructs.ml.batch_transform import BatchTransform
from ml_constructs.ml.hyperparameter_tuning import (
    ContinuousRange,
    HyperparameterTuning,
    Objective,
    ObjectiveType,
)
from ml_constructs.ml.model_endpoint import ModelEndpoint
from ml_constructs.ml.model_registry import ModelPackageGroup
from ml_constructs.workflow import ApprovalMode, MlWorkflow, QualityGate
from tests.harness import build_error, scenario
from tests.workflow.test_ml_workflow import XGBOOST, _states, _training


def _tuning(stack: Stack, lake: DataLake) -> HyperparameterTuning:
    return HyperparameterTuning(
        stack,
        "Tune",
        training=_training(stack, lake),
        objective=Objective.maximize("validation:auc"),
        ranges=[ContinuousRange("eta", 0.01, 0.3)],
        max_jobs=2,
        max_parallel_jobs=1,
    )


def build(approval: ApprovalMode, **kwargs):
    def build_in(stack: Stack) -> MlWorkflow:
        lake = DataLake(stack, "Lake")
        arguments = {
            "lake": lake,
            "tuning": _tuning(stack, lake),
            "model_registry": ModelPackageGroup(stack, "Models", name="churn"),
            "endpoint": ModelEndpoint(stack, "Serve", lake=lake, image=XGBOOST),
            "batch": BatchTransform(
                stack, "Score", lake=lake, input_prefix="features/score/", output_prefix="predictions/"
            ),
            "quality_gate": QualityGate(margin=0.01),
            "approval": approval,
        }
        arguments.update(kwargs)
        return MlWorkflow(stack, "Workflow", **arguments)

    return build_in


@pytest.fixture(scope="module")
def automatic():
    return scenario(build(ApprovalMode.AUTOMATIC))


@pytest.fixture(scope="module")
def manual():
    return scenario(build(ApprovalMode.MANUAL))


def _branch(definition: dict) -> dict:
    return definition["States"]["Pipeline"]["Branches"][0]["States"]


def test_compliant_and_every_request_valid(automatic, manual):
    assert automatic.problems == [] and manual.problems == []
    for found in (automatic, manual):
        assert {k: v for k, v in found.state_machine_problems().items() if v} == {}


def test_the_gate_compares_the_best_objective_with_production(automatic):
    states = _branch(automatic.definition("WorkflowStateMachine"))
    assert states["BestModel"]["Next"] == "CompareWithProduction"
    compare = states["CompareWithProduction"]
    payload = compare["Parameters"]["Payload"]
    assert payload == {
        "group": "churn",
        "metric_name": "validation:auc",
        "direction": "Maximize",
        "margin": 0.01,
        "candidate.$": "$.tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric",
    }
    assert compare["ResultPath"] == "$.gate"
    choice = states[compare["Next"]]
    assert choice["Choices"] == [{"Variable": "$.gate.passed", "BooleanEquals": True, "Next": "Register"}]
    assert choice["Default"] == "RegisterRejected"


def test_a_winner_is_approved_and_deployed_a_loser_rejected_with_the_reason(automatic):
    states = _branch(automatic.definition("WorkflowStateMachine"))
    register = states["Register"]["Parameters"]
    assert register["ModelApprovalStatus"] == "Approved"
    assert register["CustomerMetadataProperties"] == {
        "TrainingJobName.$": "$.best.TrainingJobName",
        "ObjectiveMetric": "validation:auc",
        "ObjectiveValue.$": "States.Format('{}', $.gate.candidate)",
    }
    assert states["Register"]["Next"] == "RecordVerdict"
    assert states["RecordVerdict"]["Parameters"] == {
        "ModelPackageArn.$": "$.registered.ModelPackageArn",
        "ModelApprovalStatus": "Approved",
        "ApprovalDescription.$": "$.gate.reason",
    }
    order, name = [], "RecordVerdict"
    while name:
        order.append(name)
        name = states[name].get("Next")
    assert order == ["RecordVerdict", "BatchModel", "Score", "Rollout", "NotifySuccess"]
    assert states["RegisterRejected"]["Parameters"]["ModelApprovalStatus"] == "Rejected"
    assert states["RegisterRejected"]["Next"] == "RecordRejection"
    assert states["RecordRejection"]["Parameters"]["ModelApprovalStatus"] == "Rejected"
    assert states["RecordRejection"]["Next"] == "NotifyRejected"
    assert states["NotifyRejected"].get("End") is True  # a notice, not a failure


def test_a_rolled_back_rollout_rejects_the_version_and_fails(automatic):
    states = _branch(automatic.definition("WorkflowStateMachine"))
    (catch,) = states["Rollout"]["Catch"]
    assert catch == {
        "ErrorEquals": ["EndpointDeploymentRolledBack"],
        "ResultPath": "$.rollback",
        "Next": "RejectRolledBack",
    }
    assert states["RejectRolledBack"]["Parameters"] == {
        "ModelPackageArn.$": "$.registered.ModelPackageArn",
        "ModelApprovalStatus": "Rejected",
        "ApprovalDescription.$": "$.rollback.Cause",
    }
    assert states["RolledBack"] == {
        "Type": "Fail",
        "Error": "EndpointDeploymentRolledBack",
        "CausePath": "$.rollback.Cause",
    }
    deploy = _states({"States": {"Rollout": states["Rollout"]}})
    assert all("Retry" in s for s in deploy.values() if s["Type"] == "Task")


def test_the_gate_function_only_reads_the_registry(automatic):
    policies = automatic.template.find_resources(
        "AWS::IAM::Policy",
        {"Properties": {"Roles": [{"Ref": _logical_id(automatic, "WorkflowQualityGateFunctionRole")}]}},
    )
    actions = sorted(
        a
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for a in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    )
    assert actions == [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
    ]


def test_manual_approval_registers_pending_and_deploys_on_the_approval_event(manual):
    states = _branch(manual.definition("WorkflowStateMachine"))
    assert states["Register"]["Parameters"]["ModelApprovalStatus"] == "PendingManualApproval"
    assert states["RecordVerdict"]["Next"] == "NotifyPendingApproval"
    assert states["NotifyPendingApproval"].get("End") is True
    assert not {"BatchModel", "Score", "Rollout"} & set(states)
    manual.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "detail": {"ModelPackageGroupName": ["churn"], "ModelApprovalStatus": ["Approved"]},
            },
            "Targets": [{"Arn": {"Ref": _logical_id(manual, "WorkflowDeploymentStateMachine")}}],
        },
    )
    deploy = _branch(manual.definition("WorkflowDeploymentStateMachine"))
    assert deploy["ReadVersion"]["Parameters"] == {"ModelPackageName.$": "$.detail.ModelPackageArn"}
    assert deploy["ReadVersion"]["Next"] == "NewestApproved"
    assert deploy["NewestApproved"]["Parameters"]["ModelApprovalStatus"] == "Approved"
    assert deploy["NewestApproved"]["Parameters"]["SortOrder"] == "Descending"
    check = deploy["IsNewestApproved"]["Parameters"]
    assert check == {"newest.$": "States.ArrayContains($.latest.ModelPackageArns, $.package.ModelPackageArn)"}
    (rule,) = deploy["DeployIt?"]["Choices"]
    assert rule["Next"] == "BatchModel" and deploy["DeployIt?"]["Default"] == "NotifySkipped"
    assert deploy["BatchModel"]["Parameters"]["PrimaryContainer"] == {
        "ModelDataUrl.$": "$.package.ModelDataUrl",
        "Image.$": "$.package.Image",
    }
    assert deploy["Score"]["Next"] == "Rollout" and deploy["Rollout"]["Next"] == "NotifyDeployed"
    model = _states({"States": {"Rollout": deploy["Rollout"]}})["Deploy Create model"]["Parameters"]
    assert model["PrimaryContainer"]["ModelDataUrl.$"] == "$.package.ModelDataUrl"
    assert manual.built.deployment.failure_alarm is not None


def test_a_registry_alone_is_a_place_for_the_model():
    found = scenario(build(ApprovalMode.MANUAL, endpoint=None, batch=None), compliance=False)
    assert found.built.deployment is None
    states = _branch(found.definition("WorkflowStateMachine"))
    assert states["RecordVerdict"]["Next"] == "NotifySuccess"


def test_without_a_gate_every_version_records_the_tuning_objective():
    found = scenario(build(ApprovalMode.AUTOMATIC, quality_gate=None), compliance=False)
    states = _branch(found.definition("WorkflowStateMachine"))
    assert "CompareWithProduction" not in states and "RecordVerdict" not in states
    assert states["Register"]["Parameters"]["CustomerMetadataProperties"]["ObjectiveValue.$"] == (
        "States.Format('{}', $.tuning.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value)"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_registry": None}, "invalid quality_gate=.*allowed: a model_registry"),
        (
            {"quality_gate": None, "model_registry": None, "approval": ApprovalMode.MANUAL},
            "invalid approval='manual'",
        ),
        (
            {"quality_gate": QualityGate(margin=-0.1)},
            "invalid quality_gate.margin=-0.1; allowed: a finite number >= 0",
        ),
        (
            {"quality_gate": QualityGate(metric_name="train:auc")},
            "quality_gate.metric_name='train:auc'.*tuning objective",
        ),
        ({"approval": "sometimes"}, "invalid approval='sometimes'"),
    ],
)
def test_bad_arguments(kwargs, message):
    kwargs = dict(kwargs)
    approval = kwargs.pop("approval", ApprovalMode.AUTOMATIC)
    assert re.search(message, build_error(build(approval, **kwargs)))


def test_a_single_training_job_needs_the_metric_and_direction():
    def with_training(gate):
        def build_in(stack: Stack):
            lake = DataLake(stack, "Lake")
            return MlWorkflow(
                stack,
                "Workflow",
                lake=lake,
                training=_training(stack, lake),
                model_registry=ModelPackageGroup(stack, "Models"),
                quality_gate=gate,
            )

        return build_in

    assert "metric_name and direction" in build_error(with_training(QualityGate()))
    found = scenario(
        with_training(QualityGate(metric_name="validation:auc", direction=ObjectiveType.MAXIMIZE)),
        compliance=False,
    )
    payload = _branch(found.definition("WorkflowStateMachine"))["CompareWithProduction"]["Parameters"][
        "Payload"
    ]
    assert payload["training_job_name.$"] == "$.best.TrainingJobName"


def _logical_id(found, prefix: str) -> str:
    (logical_id,) = [k for k in found.json["Resources"] if k.startswith(prefix) and len(k) == len(prefix) + 8]
    return logical_id
