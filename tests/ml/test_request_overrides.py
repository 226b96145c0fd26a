"""Escape hatches: every SageMaker request a construct builds takes overrides, merged deeply and
checked against botocore's model at synth; the stack's tags ride along in every run-time request."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn

from ml_constructs.ml._requests import merge
from ml_constructs.ml.batch_transform import BatchTransform
from ml_constructs.ml.hyperparameter_tuning import HyperparameterTuning, IntegerRange, Objective
from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.model_endpoint import ModelEndpoint
from ml_constructs.ml.service_model import definitions_from_template, state_machine_requests
from ml_constructs.ml.training_job import TrainingJob
from ml_constructs.store.data_lake import DataLake

XGBOOST = SageMakerImage.built_in("xgboost", "1.7-1")
PROFILER = {"ProfilerConfig": {"S3OutputPath": "s3://profiles/out/", "DisableProfiler": False}}


def stack_and_lake() -> tuple[Stack, DataLake]:
    stack = Stack(App(), "Overrides")
    return stack, DataLake(stack, "Lake")


def training(stack: Stack, lake: DataLake, **kwargs) -> TrainingJob:
    return TrainingJob(
        stack,
        "Train",
        lake=lake,
        image=XGBOOST,
        instance_type="ml.m5.xlarge",
        hyperparameters={"objective": "binary:logistic", "num_round": 10},
        **kwargs,
    )


def task_parameters(stack: Stack, state) -> dict:
    return stack.resolve(state.to_state_json())["Parameters"]


def test_merge_is_deep_replaces_lists_removes_none_and_jsonpath_twins():
    base = {"A": {"B": 1, "C": [1, 2]}, "D": "x", "E.$": "$.e", "F": 1}
    merged = merge(base, {"A": {"C": [3], "G": True}, "E": "fixed", "F": None})
    assert merged == {"A": {"B": 1, "C": [3], "G": True}, "D": "x", "E": "fixed"}
    assert base["A"] == {"B": 1, "C": [1, 2]}  # the original is untouched


# -- training ---------------------------------------------------------------------------------
def test_training_overrides_reach_the_request_and_the_task():
    stack, lake = stack_and_lake()
    job = training(
        stack, lake, request_overrides={**PROFILER, "StoppingCondition": {"MaxPendingTimeInSeconds": 7200}}
    )
    request = stack.resolve(job.request())
    assert request["ProfilerConfig"] == PROFILER["ProfilerConfig"]
    # Deep: the library's own MaxRuntimeInSeconds stays next to the added member.
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 7200, "MaxPendingTimeInSeconds": 7200}
    params = task_parameters(stack, job.task(stack, "Task"))
    assert params["ProfilerConfig"] == PROFILER["ProfilerConfig"]
    assert job.role is not None  # child resources stay exposed


def test_training_override_with_an_unknown_member_fails_with_the_path():
    stack, lake = stack_and_lake()
    with pytest.raises(ValueError, match=r"Overrides/Train: invalid request_overrides=.*ProfilerKonfig"):
        training(stack, lake, request_overrides={"ProfilerKonfig": {}})


def test_training_override_with_a_bad_enum_fails():
    stack, lake = stack_and_lake()
    with pytest.raises(ValueError, match=r"Overrides/Train: invalid request_overrides=.*TrainingInputMode"):
        training(stack, lake, request_overrides={"AlgorithmSpecification": {"TrainingInputMode": "Fast"}})


def test_overrides_must_be_a_mapping():
    stack, lake = stack_and_lake()
    with pytest.raises(ValueError, match="Overrides/Train: invalid request_overrides=.*a dict"):
        training(stack, lake, request_overrides=[("ProfilerConfig", {})])


# -- tuning ------------------------------------------------------------------------------------
def tuning(stack, lake, **kwargs) -> HyperparameterTuning:
    return HyperparameterTuning(
        stack,
        "Tune",
        training=training(stack, lake),
        objective=Objective.maximize("validation:auc"),
        ranges=[IntegerRange("max_depth", 3, 10)],
        **kwargs,
    )


def test_tuning_overrides_merge_into_the_training_definition():
    stack, lake = stack_and_lake()
    tune = tuning(
        stack,
        lake,
        request_overrides={"TrainingJobDefinition": {"RetryStrategy": {"MaximumRetryAttempts": 2}}},
    )
    params = task_parameters(stack, tune.task(stack, "Task", hyperparameters_path="$.h"))
    definition = params["TrainingJobDefinition"]
    assert definition["RetryStrategy"] == {"MaximumRetryAttempts": 2}
    assert "StaticHyperParameters.$" in definition and "AlgorithmSpecification" in definition


def test_tuning_override_with_a_bad_enum_fails():
    stack, lake = stack_and_lake()
    with pytest.raises(ValueError, match=r"Overrides/Tune: invalid request_overrides=.*Strategy"):
        tuning(stack, lake, request_overrides={"HyperParameterTuningJobConfig": {"Strategy": "Genetic"}})


# -- batch transform (job and model) -----------------------------------------------------------
def test_transform_and_model_overrides():
    stack, lake = stack_and_lake()
    batch = BatchTransform(
        stack,
        "Batch",
        lake=lake,
        request_overrides={"DataCaptureConfig": {"DestinationS3Uri": "s3://capture/batch/"}},
        model_overrides={"PrimaryContainer": {"Environment": {"SAGEMAKER_PROGRAM": "serve.py"}}},
    )
    params = task_parameters(stack, batch.task(stack, "Task"))
    assert params["DataCaptureConfig"] == {"DestinationS3Uri": "s3://capture/batch/"}
    model = task_parameters(stack, batch.create_model_task(stack, "Model"))
    assert model["PrimaryContainer"]["Environment"] == {"SAGEMAKER_PROGRAM": "serve.py"}
    assert model["PrimaryContainer"]["Image.$"] == "$.best.TrainingImage"


@pytest.mark.parametrize(
    ("argument", "overrides", "member"),
    [
        ("request_overrides", {"BatchStrategy": "AllAtOnce"}, "BatchStrategy"),
        ("model_overrides", {"PrimaryContainer": {"Mode": "ManyModels"}}, "Mode"),
    ],
)
def test_transform_and_model_overrides_rejected(argument, overrides, member):
    stack, lake = stack_and_lake()
    with pytest.raises(ValueError, match=rf"Overrides/Batch: invalid {argument}=.*{member}"):
        BatchTransform(stack, "Batch", lake=lake, **{argument: overrides})


# -- endpoint (model, config, endpoint; CloudFormation and workflow paths) ---------------------
ASYNC = {"AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://async/out/"}}}


def test_endpoint_overrides_reach_the_cloudformation_resources():
    stack, lake = stack_and_lake()
    serve = ModelEndpoint(
        stack,
        "Serve",
        lake=lake,
        image=XGBOOST,
        model_data="xgboost/model.tar.gz",
        model_overrides={
            "PrimaryContainer": {"Environment": {"A": "1"}},
            "Tags": [{"Key": "k", "Value": "v"}],
        },
        endpoint_config_overrides=ASYNC,
        endpoint_overrides={
            "DeploymentConfig": {"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "serve-5xx"}]}}
        },
    )
    template = App.of(stack).synth().get_stack_by_name("Overrides").template
    resources = template["Resources"]
    model = resources[stack.get_logical_id(serve.model)]["Properties"]
    assert model["PrimaryContainer"]["Environment"] == {"A": "1"}
    assert {"Key": "k", "Value": "v"} in model["Tags"]
    config = resources[stack.get_logical_id(serve.endpoint_config)]["Properties"]
    assert config["AsyncInferenceConfig"] == ASYNC["AsyncInferenceConfig"]
    assert "ProductionVariants" in config
    endpoint = resources[stack.get_logical_id(serve.endpoint)]["Properties"]
    assert endpoint["DeploymentConfig"] == {
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "serve-5xx"}]}
    }


def test_endpoint_overrides_reach_the_deploy_states():
    stack, lake = stack_and_lake()
    serve = ModelEndpoint(
        stack,
        "Serve",
        lake=lake,
        image=XGBOOST,
        model_overrides={"PrimaryContainer": {"Environment": {"A": "1"}}},
        endpoint_config_overrides=ASYNC,
        endpoint_overrides={
            "DeploymentConfig": {"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "serve-5xx"}]}}
        },
    )
    chain = serve.deploy_tasks(stack, "Deploy", model_data_path="$.training.ModelArtifacts")
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(chain))
    template = App.of(stack).synth().get_stack_by_name("Overrides").template
    (definition,) = definitions_from_template(template).values()
    requests = dict(state_machine_requests(definition))
    assert requests["CreateModel"]["PrimaryContainer"]["Environment"] == {"A": "1"}
    assert requests["CreateEndpointConfig"]["AsyncInferenceConfig"] == ASYNC["AsyncInferenceConfig"]
    assert requests["CreateEndpoint"]["DeploymentConfig"] == {
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "serve-5xx"}]}
    }


@pytest.mark.parametrize(
    ("argument", "overrides", "member"),
    [
        ("model_overrides", {"PrimaryContainer": {"Mode": "Many"}}, "Mode"),
        ("endpoint_config_overrides", {"ProductionVariant": []}, "ProductionVariant"),
        (
            "endpoint_overrides",
            {"DeploymentConfig": {"BlueGreenUpdatePolicy": {}}},
            "TrafficRoutingConfiguration",
        ),
    ],
)
def test_endpoint_overrides_rejected(argument, overrides, member):
    stack, lake = stack_and_lake()
    with pytest.raises(ValueError, match=rf"Overrides/Serve: invalid {argument}=.*{member}"):
        ModelEndpoint(stack, "Serve", lake=lake, image=XGBOOST, **{argument: overrides})


def test_endpoint_takes_your_own_role_and_adds_nothing_to_it():
    stack, lake = stack_and_lake()
    role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    serve = ModelEndpoint(stack, "Serve", lake=lake, image=XGBOOST, model_data="m/model.tar.gz", role=role)
    assert serve.role is role
    template = App.of(stack).synth().get_stack_by_name("Overrides").template
    policies = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    role_id = stack.get_logical_id(role.node.default_child)
    assert not [p for p in policies if {"Ref": role_id} in p["Properties"]["Roles"]]
    model = next(r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Model")
    assert model["Properties"]["ExecutionRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


# -- run-time tags -------------------------------------------------------------------------------
def test_stack_tags_are_in_every_request_a_state_machine_sends():
    stack, lake = stack_and_lake()
    train = training(stack, lake)
    tuning_ = HyperparameterTuning(
        stack,
        "Tune",
        training=train,
        objective=Objective.maximize("validation:auc"),
        ranges=[IntegerRange("max_depth", 3, 10)],
    )
    batch = BatchTransform(
        stack, "Batch", lake=lake, request_overrides={"Tags": [{"Key": "job", "Value": "b"}]}
    )
    assert tuning_ and batch
    # Tags added after the constructs exist (an aspect) still reach the requests.
    Tags.of(stack).add("cost-center", "ml-42")
    template = App.of(stack).synth().get_stack_by_name("Overrides").template
    seen = set()
    for definition in definitions_from_template(template).values():
        for operation, request in state_machine_requests(definition):
            if operation.startswith("Create"):
                seen.add(operation)
                assert {"Key": "cost-center", "Value": "ml-42"} in request["Tags"], operation
    assert seen == {"CreateTrainingJob", "CreateHyperParameterTuningJob", "CreateTransformJob"}
    (batch_machine,) = [d for k, d in definitions_from_template(template).items() if k.startswith("Batch")]
    ((_, request),) = state_machine_requests(batch_machine)
    assert {"Key": "job", "Value": "b"} in request["Tags"]


def test_no_tags_member_without_stack_tags():
    stack, lake = stack_and_lake()
    training(stack, lake)
    template = App.of(stack).synth().get_stack_by_name("Overrides").template
    for definition in definitions_from_template(template).values():
        for _, request in state_machine_requests(definition):
            assert "Tags" not in request
