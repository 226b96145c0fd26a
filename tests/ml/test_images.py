"""SageMakerImage: built-in images through a region mapping, ECR repositories, URIs."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from ml_constructs.ml.images import MAPPING_ID, SageMakerImage


@pytest.fixture(scope="module")
def built():
    app = App()
    stack = Stack(app, "S")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    repo = ecr.Repository(stack, "Repo")
    uris = {
        "xgb17": SageMakerImage.built_in("xgboost", "1.7-1").bind(stack),
        "xgb15": SageMakerImage.built_in("xgboost", "1.5-1").bind(stack),
        "xgb17again": SageMakerImage.built_in("xgboost", "1.7-1").bind(stack, role),
        "ecr": SageMakerImage.from_ecr_repository(repo, "v1").bind(stack, role),
        "uri": SageMakerImage.from_uri("222222222222.dkr.ecr.eu-west-1.amazonaws.com/team/model:2").bind(
            stack, role
        ),
    }
    return stack, Template.from_stack(stack).to_json(), uris


def test_built_in_uses_one_shared_region_mapping(built):
    stack, template, uris = built
    mapping = template["Mappings"][MAPPING_ID]
    assert mapping["us-east-1"] == {
        "SagemakerXgboostV1p7r1": "683313688378",
        "SagemakerXgboostV1p5r1": "683313688378",
    }
    assert mapping["eu-west-1"]["SagemakerXgboostV1p7r1"] == "141502667606"
    assert len(mapping) >= 30  # commercial, China and GovCloud regions
    parts = stack.resolve(uris["xgb17"])["Fn::Join"][1]
    assert parts[0] == {"Fn::FindInMap": [MAPPING_ID, {"Ref": "AWS::Region"}, "SagemakerXgboostV1p7r1"]}
    assert parts[-1] == "/sagemaker-xgboost:1.7-1"


def test_grants(built):
    _, template, _ = built
    statements = [
        s
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    text = str(statements)
    assert "ecr:BatchGetImage" in text and "ecr:GetAuthorizationToken" in text
    assert "arn:aws:ecr:eu-west-1:222222222222:repository/team/model" in text


def test_concrete_region_resolves_directly():
    stack = Stack(App(), "S", env=Environment(region="eu-west-1", account="111111111111"))
    uri = SageMakerImage.built_in("xgboost", "1.7-1").bind(stack)
    assert uri.startswith("141502667606.dkr.ecr.eu-west-1.")
    assert stack.node.try_find_child(MAPPING_ID) is None
    with pytest.raises(ValueError, match="allowed regions"):
        SageMakerImage.built_in("xgboost", "1.7-1").bind(
            Stack(App(), "T", env=Environment(region="xx-moon-1"))
        )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: SageMakerImage.built_in("linear-learner-x", "1"),
            "unknown algorithm='linear-learner-x'; allowed: xgboost",
        ),
        (
            lambda: SageMakerImage.built_in("xgboost", "9.9-9"),
            "unknown version='9.9-9' of xgboost; allowed: 0.90-1",
        ),
        (lambda: SageMakerImage.from_uri(""), "invalid uri=''"),
        (lambda: SageMakerImage.from_ecr_repository(None, "-bad"), "invalid tag='-bad'"),
    ],
)
def test_bad_images(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)
