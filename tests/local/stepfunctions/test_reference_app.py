"""The reference app's own state machines, as synthesized, run in the embedded AWS.

Every definition is accepted by the interpreter (CloudFormation creates them through it), and
the on-demand training, tuning and scoring machines run to success: escaped JSON defaults
merged with the input, job names from intrinsics, SageMaker ``.sync`` with the describe output
read by ``ResultSelector`` s, the best training job described through ``aws-sdk``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.local.stepfunctions.conftest import ACCOUNT, create_machine, execute, make_role

PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::AccountId": ACCOUNT,
}


def resolve(value: Any) -> str:
    """A DefinitionString with CloudFormation intrinsics replaced by plausible values: pseudo
    parameters as in the emulator, ``Ref`` as a lower-case name, ``GetAtt .Arn`` as a role ARN,
    ``FindInMap`` as the image registry account."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve(part) for part in parts)
    if "Ref" in value:
        return PSEUDO.get(value["Ref"], value["Ref"].lower())
    if "Fn::GetAtt" in value:
        return f"arn:aws:iam::{ACCOUNT}:role/{value['Fn::GetAtt'][0]}"
    if "Fn::FindInMap" in value:
        return "683313688378"
    raise AssertionError(f"unexpected intrinsic {value}")


@pytest.fixture(scope="module")
def definitions(reference_templates) -> dict[str, dict[str, Any]]:
    resources = reference_templates["MlConstructs"]["Resources"]
    return {
        logical_id: json.loads(resolve(resource["Properties"]["DefinitionString"]))
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
    }


def one(definitions: dict[str, Any], prefix: str) -> dict[str, Any]:
    (found,) = [d for logical_id, d in definitions.items() if logical_id.startswith(prefix)]
    return found


SAGEMAKER_GRANTS = [
    "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:CreateHyperParameterTuningJob",
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:CreateTransformJob",
    "sagemaker:DescribeTransformJob",
    "sagemaker:AddTags",
    "iam:PassRole",
]


def test_every_reference_machine_is_accepted(aws, definitions):
    assert len(definitions) == 4
    role = make_role(aws, [])
    for definition in definitions.values():
        assert create_machine(aws, definition, role).startswith("arn:aws:states:")


def test_reference_training_machine_runs(aws, definitions):
    run = execute(
        aws,
        one(definitions, "TrainStateMachine"),
        role_arn=make_role(aws, SAGEMAKER_GRANTS),
        input={"hyperparameters": {"eta": "0.1"}},
    )
    assert run.status == "SUCCEEDED", run.description
    training = run.output["training"]
    assert training["TrainingJobStatus"] == "Completed"
    assert training["TrainingJobName"].startswith("MlConstruts-Train-")
    described = run.details("TaskSucceeded")[-1]
    job = json.loads(described["output"])
    assert job["HyperParameters"] == {
        "eval_metric": "auc",
        "num_round": "200",
        "objective": "binary:logistic",
        "tree_method": "gpu_hist",
        "eta": "0.1",
    }
    assert job["CheckpointConfig"]["S3Uri"].endswith(f"/checkpoints/{run.description['name']}/")


def test_reference_tuning_machine_runs(aws, definitions):
    sagemaker = aws.client("sagemaker")
    # moto 5.2.5 reports a fixed BestTrainingJob name for every tuning job: give it a job to describe
    try:
        sagemaker.describe_training_job(TrainingJobName="FakeTrainingJobName")
    except sagemaker.exceptions.ClientError:
        sagemaker.create_training_job(
            TrainingJobName="FakeTrainingJobName",
            AlgorithmSpecification={"TrainingImage": "img", "TrainingInputMode": "File"},
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/x",
            OutputDataConfig={"S3OutputPath": "s3://b/o/"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 60},
        )
    run = execute(aws, one(definitions, "TuneStateMachine"), role_arn=make_role(aws, SAGEMAKER_GRANTS))
    assert run.status == "SUCCEEDED", run.description
    assert run.output["tuning"]["HyperParameterTuningJobStatus"] == "Completed"
    assert run.output["tuning"]["HyperParameterTuningJobName"].startswith("MlConsts-Tune-")
    assert run.output["best"]["TrainingJobName"] == "FakeTrainingJobName"


def test_reference_scoring_machine_runs(aws, definitions):
    run = execute(
        aws,
        one(definitions, "ScoreStateMachine"),
        role_arn=make_role(aws, SAGEMAKER_GRANTS),
        input={"model_name": "scoring-model"},
    )
    assert run.status == "SUCCEEDED", run.description
    transform = run.output["transform"]
    assert transform["TransformJobStatus"] == "Completed"
    assert transform["S3OutputPath"].endswith("/predictions/")
    job = aws.client("sagemaker").describe_transform_job(TransformJobName=transform["TransformJobName"])
    assert job["ModelName"] == "scoring-model"


def test_reference_training_machine_without_add_tags_fails_as_on_aws(aws, definitions):
    grants = [g for g in SAGEMAKER_GRANTS if g != "sagemaker:AddTags"]
    run = execute(aws, one(definitions, "TrainStateMachine"), role_arn=make_role(aws, grants))
    assert run.status == "FAILED"
    assert run.error == "SageMaker.AmazonSageMakerException"
    assert "sagemaker:AddTags" in run.cause
