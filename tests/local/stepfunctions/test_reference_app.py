"""The reference app's own state machines, as synthesized, run in the embedded AWS.

Every definition is accepted by the interpreter (CloudFormation creates them through it), and
a role without ``sagemaker:AddTags`` fails as on AWS. The machines running to success with
their own deployed roles, on real data, is tests/local/test_pipeline.py (jobs compute for real,
so they need the deployed lake and roles).
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


def test_reference_training_machine_without_add_tags_fails_as_on_aws(aws, definitions):
    grants = [g for g in SAGEMAKER_GRANTS if g != "sagemaker:AddTags"]
    run = execute(aws, one(definitions, "TrainStateMachine"), role_arn=make_role(aws, grants))
    assert run.status == "FAILED"
    assert run.error == "SageMaker.AmazonSageMakerException"
    assert "sagemaker:AddTags" in run.cause
