"""The request validator: botocore's checks plus enums, ranges, lengths and patterns."""

from __future__ import annotations

import copy

import pytest

from ml_constructs.ml.service_model import (
    Placeholder,
    definitions_from_template,
    enum_values,
    placeholders,
    state_machine_requests,
    validate_request,
    validate_state_machine,
)

GOOD = {
    "TrainingJobName": "train-1",
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "RoleArn": "arn:aws:iam::123456789012:role/sm",
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/models/"},
    "ResourceConfig": {"InstanceType": "ml.g5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "HyperParameters": {"max_depth": "5"},
}


def bad(path: str, value) -> dict:
    request = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node = request
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return request


_DELETE = object()
SYNC_TRAINING = "arn:<Ref:AWS::Partition>:states:::sagemaker:createTrainingJob.sync"


def test_good_request_passes():
    assert validate_request("CreateTrainingJob", GOOD) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "ResourceConfig.InstanceType",
            "ml.z9.huge",
            "is not one of the allowed values of TrainingInstanceType",
        ),
        ("ResourceConfig.VolumeSizeInGB", -1, "below the minimum 0"),
        ("RetryStrategy", {"MaximumRetryAttempts": 31}, "above the maximum 30"),
        ("StoppingCondition.MaxRuntimeInSeconds", 0, "below the minimum 1"),
        ("TrainingJobName", "x" * 64, "64 characters, more than the maximum 63"),
        ("TrainingJobName", "bad_name", "does not match the pattern"),
        ("RoleArn", "arn:aws:iam::1:role/x", "does not match the pattern"),
        ("RoleArn", _DELETE, "Missing required parameter"),
        ("ResourceConfig.InstanceCount", "1", "Invalid type"),
        ("Unknown", 1, "Unknown parameter"),
    ],
)
def test_walker_catches(path, value, expected):
    problems = validate_request("CreateTrainingJob", bad(path, value))
    assert any(expected in p for p in problems), problems


def test_list_length_and_unknown_operation():
    request = bad("HyperParameters", {f"k{i}": "v" for i in range(101)})
    assert any("more than the maximum 100" in p for p in validate_request("CreateTrainingJob", request))
    assert "not a SageMaker operation" in validate_request("CreateNothing", {})[0]


def test_placeholders_skip_checks_but_keep_type_and_required():
    request = placeholders(
        {
            **GOOD,
            "TrainingJobName.$": "States.Format('{}-train', $$.Execution.Name)",
            "ResourceConfig": {
                "InstanceType": "ml.g5.2xlarge",
                "InstanceCount.$": "$.count",
                "VolumeSizeInGB": 5,
            },
            "StoppingCondition": "<whole structure>",
            "RoleArn": "${Token[TOKEN.12]}",
            "AlgorithmSpecification": {
                "TrainingImage": "{% $states.input.image %}",
                "TrainingInputMode": "File",
            },
            "OutputDataConfig": {
                "S3OutputPath": "s3://${Token[TOKEN.1]}/models/",
                "KmsKeyId": {"Ref": "Key"},
            },
        }
    )
    assert isinstance(request["TrainingJobName"], Placeholder)
    assert isinstance(request["AlgorithmSpecification"]["TrainingImage"], Placeholder)
    assert validate_request("CreateTrainingJob", request) == []
    # a placeholder does not hide an enum problem elsewhere
    request["ResourceConfig"]["InstanceType"] = "ml.nope"
    assert len(validate_request("CreateTrainingJob", request)) == 1


def test_state_machine_requests_and_template_reading():
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "T",
                        "States": {
                            "T": {
                                "Type": "Task",
                                "Resource": SYNC_TRAINING,
                                "Parameters": {**GOOD, "TrainingJobName.$": "$$.Execution.Name"},
                                "End": True,
                            }
                        },
                    }
                ],
                "Next": "D",
            },
            "D": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob",
                "Parameters": {"TrainingJobName.$": "$.name"},
                "End": True,
            },
            "L": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True},
        },
    }
    found = state_machine_requests(definition)
    assert [op for op, _ in found] == ["CreateTrainingJob", "DescribeTrainingJob"]
    assert validate_state_machine(definition) == []
    import json

    text = json.dumps(definition)
    head, tail = text.split('"ml.g5.2xlarge"')
    template = {
        "Resources": {
            "M": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": {"Fn::Join": ["", [head, {"Ref": "Type"}, tail]]}},
            }
        }
    }
    (parsed,) = definitions_from_template(template).values()
    ((_, request), _) = state_machine_requests(parsed)
    assert request["ResourceConfig"]["InstanceType"] == "<Ref:Type>"
    assert validate_state_machine(parsed) == []


def test_enum_values():
    assert "ml.g5.2xlarge" in enum_values("TrainingInstanceType")
