"""ModelPackageGroup: the group resource, the register task, its grant, compliance."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_stepfunctions as sfn

from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.model_registry import ApprovalStatus, ModelPackageGroup
from tests.harness import find_state, scenario


@pytest.fixture(scope="module")
def registry():
    def build(stack):
        group = ModelPackageGroup(stack, "Churn", name="churn-models", description="Churn classifier")
        register = group.register_task(
            stack,
            "Register",
            image=SageMakerImage.built_in("xgboost", "1.7-1"),
            model_data_path="$.artifacts",
            approval=ApprovalStatus.APPROVED,
            realtime_instance_types=["ml.m5.large"],
            transform_instance_types=["ml.m5.xlarge"],
            source_path=None,
        )
        machine = sfn.StateMachine(
            stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(register)
        )
        group.grant_register(machine)
        return group

    return scenario(build, compliance=False)


def test_group(registry):
    registry.template.has_resource(
        "AWS::SageMaker::ModelPackageGroup",
        {
            "Properties": {
                "ModelPackageGroupName": "churn-models",
                "ModelPackageGroupDescription": "Churn classifier",
            },
            "DeletionPolicy": "Retain",
        },
    )


def test_register_task_is_valid(registry):
    problems = registry.state_machine_problems()
    assert list(problems.values()) == [[]]
    state = find_state(registry.definition("Machine"), "Register")
    assert state["Resource"].endswith(":states:::aws-sdk:sagemaker:createModelPackage")
    spec = state["Parameters"]["InferenceSpecification"]
    assert spec["SupportedRealtimeInferenceInstanceTypes"] == ["ml.m5.large"]
    assert state["Parameters"]["ModelApprovalStatus"] == "Approved"
    assert "CustomerMetadataProperties" not in state["Parameters"]
    assert "model-package/churn-models/*" in str(registry.json["Resources"])


def test_compliance():
    app = App(context=__import__("ml_constructs.testing", fromlist=["x"]).COMPLIANCE_CONTEXT)
    ModelPackageGroup(Stack(app, "X"), "Group")
    from ml_constructs.testing import compliance_problems

    assert compliance_problems(app) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "bad_name"}, "invalid name='bad_name'"),
        ({"description": "x" * 1025}, "at most 1024 characters"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match="Bad/Group: invalid") as error:
        ModelPackageGroup(Stack(App(), "Bad"), "Group", **kwargs)
    assert message in str(error.value)


def test_bad_register_arguments():
    group = ModelPackageGroup(Stack(App(), "Bad"), "Group")
    with pytest.raises(ValueError, match="ProductionVariantInstanceType"):
        group.register_task(group, "R", realtime_instance_types=["ml.z1.large"])
    with pytest.raises(ValueError, match="1-10 MIME types"):
        group.register_task(group, "R2", content_types=[])
