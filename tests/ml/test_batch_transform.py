"""BatchTransform: request, task, create-model task, on-demand runner, validation, compliance."""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Stack

from ml_constructs.ml.batch_transform import (
    AssembleWith,
    BatchStrategy,
    BatchTransform,
    JoinSource,
    SplitType,
)
from ml_constructs.store import DataLake
from tests.harness import find_state, scenario


def transform(stack: Stack, **overrides) -> BatchTransform:
    args = dict(lake=DataLake(stack, "Lake"))
    args.update(overrides)
    return BatchTransform(stack, "Score", **args)


@pytest.fixture(scope="module")
def default():
    return scenario(transform)


@pytest.fixture(scope="module")
def named():
    def build(stack):
        from aws_cdk import aws_stepfunctions as sfn

        job = transform(
            stack,
            model_name="churn-model-v1",
            instance_type="ml.g4dn.xlarge",
            instance_count=2,
            input_filter="$[1:]",
            output_filter="$[0,-1]",
            join_source=JoinSource.INPUT,
            invocation_timeout=Duration.minutes(2),
            invocation_retries=1,
            max_concurrent_transforms=4,
            max_payload_mb=20,
            compressed=True,
        )
        # the create-model step, composed in a caller's own chain
        chain = job.create_model_task(stack, "CreateModel").next(
            job.task(stack, "Run", model_name="$.model.ModelName")
        )
        machine = sfn.StateMachine(stack, "Own", definition_body=sfn.DefinitionBody.from_chainable(chain))
        job.grant_create_model(machine)
        job.grant_run(machine)
        return job

    return scenario(build, compliance=False)


def test_request_is_valid_and_encrypted(default):
    job = default.built
    assert default.request_problems("CreateTransformJob", job.request(model_name="m-1")) == []
    request = default.resolve(job.request(model_name="m-1"))
    assert request["TransformInput"]["SplitType"] == "Line"
    assert request["TransformInput"]["ContentType"] == "text/csv"
    assert request["TransformOutput"]["AssembleWith"] == "Line"
    assert request["TransformOutput"]["KmsKeyId"]
    assert request["TransformResources"] == {
        "InstanceType": "ml.m5.large",
        "InstanceCount": 1,
        "VolumeKmsKeyId": request["TransformOutput"]["KmsKeyId"],
    }
    assert "/batch-input/" in str(request["TransformInput"]) and "/predictions/score/" in str(
        request["TransformOutput"]
    )
    with pytest.raises(ValueError, match="a model name for a concrete request"):
        job.request()


def test_state_machine(default):
    assert default.state_machine_problems() == {"ScoreStateMachine3A7F48E9:CreateTransformJob": []}
    task = find_state(default.definition("ScoreStateMachine"), "Transform")
    assert task["Resource"].endswith(":states:::sagemaker:createTransformJob.sync")
    assert task["Parameters"]["ModelName.$"] == "$.model_name"
    text = str(default.json["Resources"])
    assert "StepFunctionsGetEventsForSageMakerTransformJobsRule" in text
    assert "AmazonSageMakerFullAccess" not in text and "sagemaker:ListTags" not in text


def test_compliance(default):
    assert default.problems == []


def test_options_and_create_model(named):
    job = named.built
    request = named.resolve(job.request())
    assert named.request_problems("CreateTransformJob", job.request()) == []
    assert request["ModelName"] == "churn-model-v1"
    assert request["DataProcessing"] == {
        "InputFilter": "$[1:]",
        "OutputFilter": "$[0,-1]",
        "JoinSource": "Input",
    }
    assert request["ModelClientConfig"] == {"InvocationsTimeoutInSeconds": 120, "InvocationsMaxRetries": 1}
    assert "VolumeKmsKeyId" not in request["TransformResources"]  # g4dn: local NVMe storage
    problems = named.state_machine_problems()
    assert len(problems) == 3 and all(v == [] for v in problems.values()), problems
    own = named.definition("Own")
    assert find_state(own, "Run")["Parameters"]["ModelName.$"] == "$.model.ModelName"
    create = find_state(own, "CreateModel")
    assert create["Resource"].endswith(":states:::sagemaker:createModel")
    assert create["Parameters"]["EnableNetworkIsolation"] is True
    runner = find_state(named.definition("ScoreStateMachine"), "Input")
    assert "churn-model-v1" in runner["Parameters"]["input.$"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"instance_type": "ml.p5.48xlarge"}, "a SageMaker TransformInstanceType"),
        ({"instance_count": 0}, "invalid instance_count=0"),
        ({"max_payload_mb": 101}, "invalid max_payload_mb=101"),
        ({"split": SplitType.NONE}, "a SplitType other than None with batch_strategy=MultiRecord"),
        ({"input_prefix": "/abs"}, "invalid input_prefix='/abs'"),
        ({"input_filter": "x"}, "a JSONPath"),
        ({"invocation_retries": 4}, "invalid invocation_retries=4"),
        ({"model_name": "bad_name"}, "invalid model_name='bad_name'"),
        ({"assemble": "Lines"}, "'Lines' is not a valid AssembleWith"),
    ],
)
def test_bad_arguments(overrides, message):
    stack = Stack(App(), "Bad")
    with pytest.raises(ValueError) as error:
        transform(stack, **overrides)
    assert message in str(error.value)


def test_single_record_without_split_is_fine():
    job = transform(
        Stack(App(), "S"),
        split=SplitType.NONE,
        batch_strategy=BatchStrategy.SINGLE_RECORD,
        assemble=AssembleWith.NONE,
    )
    assert job.split is SplitType.NONE
