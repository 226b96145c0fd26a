"""The reference app's own state machines, as synthesized, run in the embedded AWS.

Every definition is accepted by the interpreter (CloudFormation creates them through it), and
the on-demand training, tuning and scoring machines run to success: escaped JSON defaults
merged with the input, job names from intrinsics, SageMaker ``.sync`` with the describe output
read by ``ResultSelector`` s, the best training job described through ``aws-sdk``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.stepfunctions.conftest import ACCOUNT, create_machine, execute, make_role

PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::AccountId": ACCOUNT,
}


def resolve(value: Any, resources: dict[str, Any] | None = None) -> str:
    """A DefinitionString with CloudFormation intrinsics replaced by plausible values: pseudo
    parameters as in the emulator, ``Ref`` as a lower-case name (an ARN for a topic),
    ``GetAtt .Arn`` as a role ARN, ``FindInMap`` as the image registry account."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve(part, resources) for part in parts)
    if "Ref" in value:
        name = PSEUDO.get(value["Ref"], value["Ref"].lower())
        if (resources or {}).get(value["Ref"], {}).get("Type") == "AWS::SNS::Topic":
            return f"arn:aws:sns:us-east-1:{ACCOUNT}:{name}"
        return name
    if "Fn::GetAtt" in value:
        return f"arn:aws:iam::{ACCOUNT}:role/{value['Fn::GetAtt'][0]}"
    if "Fn::FindInMap" in value:
        return "683313688378"
    raise AssertionError(f"unexpected intrinsic {value}")


@pytest.fixture(scope="module")
def resources(reference_templates) -> dict[str, Any]:
    return dict(reference_templates["MlConstructs"]["Resources"])


@pytest.fixture(scope="module")
def definitions(resources) -> dict[str, dict[str, Any]]:
    return {
        logical_id: json.loads(resolve(resource["Properties"]["DefinitionString"], resources))
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
    }


def granted_actions(resources: dict[str, Any], machine_prefix: str) -> list[str]:
    """Every action the identity policies of that machine's role allow (resources and
    conditions aside: the emulator evaluates actions)."""
    (machine,) = [
        r
        for lid, r in resources.items()
        if lid.startswith(machine_prefix) and r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    role = {"Ref": machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]}
    actions: set[str] = set()
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy" and role in resource["Properties"]["Roles"]:
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                if statement.get("Effect", "Allow") == "Allow":
                    action = statement["Action"]
                    actions |= {action} if isinstance(action, str) else set(action)
    return sorted(actions)


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
    best_training_job(aws)
    run = execute(aws, one(definitions, "TuneStateMachine"), role_arn=make_role(aws, SAGEMAKER_GRANTS))
    assert run.status == "SUCCEEDED", run.description
    assert run.output["tuning"]["HyperParameterTuningJobStatus"] == "Completed"
    assert run.output["tuning"]["HyperParameterTuningJobName"].startswith("MlConsts-Tune-")
    assert run.output["best"]["TrainingJobName"] == "FakeTrainingJobName"


def best_training_job(aws) -> None:
    """moto 5.2.5 reports a fixed BestTrainingJob name for every tuning job: give it a job."""
    sagemaker = aws.client("sagemaker")
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


@pytest.mark.parametrize("machine", ["TrainStateMachine", "TuneStateMachine", "ScoreStateMachine"])
def test_reference_machines_run_with_their_own_grants(aws, definitions, resources, machine):
    best_training_job(aws)
    role = make_role(aws, granted_actions(resources, machine))
    run = execute(aws, one(definitions, machine), role_arn=role, input={"model_name": "scoring-model"})
    assert run.status == "SUCCEEDED", (run.error, run.cause)


@pytest.fixture
def workflow_resources(aws, resources) -> Iterator[None]:
    """The named resources the workflow's tasks use, created by name as the stack would; they
    and what the run created (endpoint, autoscaling, models) go afterwards: the names are the
    reference stack's, which the deploy test of this session creates too."""
    glue, sns, sagemaker = aws.client("glue"), aws.client("sns"), aws.client("sagemaker")
    role = f"arn:aws:iam::{ACCOUNT}:role/glue"
    for logical_id, resource in resources.items():
        name, kind = logical_id.lower(), resource["Type"]
        if kind == "AWS::Glue::Crawler":
            with contextlib.suppress(ClientError):
                glue.delete_crawler(Name=name)  # a fresh one: moto's crawls never end
            glue.create_crawler(Name=name, Role=role, Targets={"S3Targets": [{"Path": "s3://b/p/"}]})
        with contextlib.suppress(ClientError):  # already there from an earlier test
            if kind == "AWS::Glue::Job":
                glue.create_job(
                    Name=name, Role=role, Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"}
                )
            elif kind == "AWS::SNS::Topic":
                sns.create_topic(Name=name)
            elif kind == "AWS::SageMaker::ModelPackageGroup":
                group = resource["Properties"]["ModelPackageGroupName"]
                sagemaker.create_model_package_group(ModelPackageGroupName=group)
    best_training_job(aws)
    yield
    autoscaling = aws.client("application-autoscaling")
    for policy in autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]:
        if "mlconstructs-serve" in policy["ResourceId"]:
            autoscaling.delete_scaling_policy(
                PolicyName=policy["PolicyName"],
                ServiceNamespace="sagemaker",
                ResourceId=policy["ResourceId"],
                ScalableDimension=policy["ScalableDimension"],
            )
    for target in autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]:
        if "mlconstructs-serve" in target["ResourceId"]:
            autoscaling.deregister_scalable_target(
                ServiceNamespace="sagemaker",
                ResourceId=target["ResourceId"],
                ScalableDimension=target["ScalableDimension"],
            )
    for endpoint in sagemaker.list_endpoints()["Endpoints"]:
        if endpoint["EndpointName"].startswith("mlconstructs-serve"):
            sagemaker.delete_endpoint(EndpointName=endpoint["EndpointName"])
    for config in sagemaker.list_endpoint_configs()["EndpointConfigs"]:
        if config["EndpointConfigName"].startswith("mlconstructs-serve"):
            sagemaker.delete_endpoint_config(EndpointConfigName=config["EndpointConfigName"])
    for model in sagemaker.list_models()["Models"]:
        if model["ModelName"].startswith(("mlconstructs-serve", "MlConstruts-Score")):
            sagemaker.delete_model(ModelName=model["ModelName"])
    for logical_id, resource in resources.items():
        name, kind = logical_id.lower(), resource["Type"]
        with contextlib.suppress(ClientError):
            if kind == "AWS::Glue::Job":
                glue.delete_job(JobName=name)
            elif kind == "AWS::Glue::Crawler":
                glue.delete_crawler(Name=name)
            elif kind == "AWS::SNS::Topic":
                sns.delete_topic(TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:{name}")
            elif kind == "AWS::SageMaker::ModelPackageGroup":
                group = resource["Properties"]["ModelPackageGroupName"]
                for package in sagemaker.list_model_packages(ModelPackageGroupName=group)[
                    "ModelPackageSummaryList"
                ]:
                    sagemaker.delete_model_package(ModelPackageName=package["ModelPackageArn"])
                sagemaker.delete_model_package_group(ModelPackageGroupName=group)


def test_reference_workflow_runs_end_to_end(aws, definitions, workflow_resources, monkeypatch):
    monkeypatch.setenv("ML_CONSTRUCTS_LOCAL_SFN_TIME_SCALE", "0.001")  # 60 s endpoint waits, retries
    run = execute(aws, one(definitions, "WorkflowStateMachine"), role_arn=make_role(aws, ["*"]), timeout=120)
    assert run.status == "SUCCEEDED", (run.error, run.cause)
    entered = [d["name"] for d in run.details("TaskStateEntered")]
    assert entered[:5] == ["RunningExecutions", "Etl", "Crawl", "Tune", "BestModel"]  # tasks only
    assert "Deploy Register autoscaling" in entered and entered[-1] == "NotifySuccess"
