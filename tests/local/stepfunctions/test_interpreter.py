"""moto's ASL interpreter behaves as AWS where this library's machines depend on it."""

from __future__ import annotations

import time
import uuid

from ml_constructs.local.stepfunctions.interpreter import split_literal
from tests.local.stepfunctions.conftest import execute, wait


def test_escaped_braces_are_literal_braces(aws):
    run = execute(
        aws,
        {
            "StartAt": "Build",
            "States": {
                "Build": {
                    "Type": "Pass",
                    "Parameters": {
                        "defaults.$": 'States.StringToJson(\'\\{"hyperparameters":\\{\\},"rounds":"200"\\}\')',  # noqa: E501
                        "merged.$": 'States.JsonMerge(States.StringToJson(\'\\{"a":"1"\\}\'), $.extra, false)',  # noqa: E501
                        "text.$": "States.Format('\\{\\} is not a placeholder, {} is; it\\'s {}', $.name, 3)",
                        "path.$": "States.Format('s3://bucket/checkpoints/{}/', $$.Execution.Name)",
                    },
                    "End": True,
                }
            },
        },
        input={"name": "this", "extra": {"b": "2"}},
    )
    assert run.status == "SUCCEEDED", run.description
    output = run.output
    assert output["defaults"] == {"hyperparameters": {}, "rounds": "200"}
    assert output["merged"] == {"a": "1", "b": "2"}
    assert output["text"] == "{} is not a placeholder, this is; it's 3"
    execution_name = run.description["name"]
    assert output["path"] == f"s3://bucket/checkpoints/{execution_name}/"


def test_literal_splitting():
    assert split_literal("'a\\{\\}{}b{}'") == ("a{}{}b{}", ["a{}", "b", ""])
    assert split_literal("'\\\\ it\\'s \\n'") == ("\\ it's \\n", ["\\ it's \\n"])


def test_unnamed_executions_get_uuid_names(aws):
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    first = execute(aws, definition)
    second = execute(aws, definition)
    names = {first.description["name"], second.description["name"]}
    assert len(names) == 2
    for name in names:
        assert str(uuid.UUID(name)) == name
        assert first.description["executionArn"].endswith(first.description["name"])


def parallel(branch_state: dict, catch: list[str]) -> dict:
    return {
        "StartAt": "Stages",
        "States": {
            "Stages": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Step", "States": {"Step": {**branch_state, "End": True}}}],
                "Catch": [{"ErrorEquals": catch, "ResultPath": "$.error", "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }


def test_states_runtime_inside_parallel_fails_the_execution(aws):
    """States.Runtime is not caught by States.ALL (AWS docs): the execution fails with it."""
    broken = {"Type": "Pass", "Parameters": {"value.$": "States.StringToJson('not json')"}}
    run = execute(aws, parallel(broken, ["States.ALL"]))
    assert run.status == "FAILED"
    assert run.error == "States.Runtime"
    assert "Handled" not in str(run.events)


def test_states_errors_leave_a_parallel_branch_under_their_own_name(aws):
    """A States.* error raised in a branch (here a task that fails) reaches the Parallel's Catch."""
    failing = {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
        "Parameters": {"ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:none:none"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}],
    }
    run = execute(aws, parallel(failing, ["States.TaskFailed"]))
    assert run.status == "SUCCEEDED", run.description
    assert run.output["error"]["Error"].startswith("Sfn."), run.output


def test_custom_errors_leave_a_parallel_branch(aws):
    fail = {"Type": "Fail", "Error": "Boom", "Cause": "in a branch"}
    run = execute(aws, parallel(fail, ["Boom"]))
    assert run.status == "SUCCEEDED"
    assert run.output["error"] == {"Error": "Boom", "Cause": "in a branch"}


def test_states_errors_leave_a_map_iteration(aws):
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Parse",
                    "States": {
                        "Parse": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::aws-sdk:sfn:describeStateMachine",
                            "Parameters": {"StateMachineArn.$": "$"},
                            "End": True,
                        }
                    },
                },
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    run = execute(
        aws, definition, input={"items": ["arn:aws:states:us-east-1:123456789012:stateMachine:none"]}
    )
    assert run.status == "SUCCEEDED", run.description
    assert "error" in run.output


def test_executions_started_by_a_task_run_too(aws):
    from tests.local.stepfunctions.conftest import create_machine, make_role

    child = create_machine(
        aws,
        {
            "StartAt": "Echo",
            "States": {"Echo": {"Type": "Pass", "Parameters": {"got.$": "$.value"}, "End": True}},
        },
        make_role(aws, []),
    )
    parent = {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Input": {"value": 7}},
                "End": True,
            }
        },
    }
    run = execute(aws, parent, role_arn=make_role(aws, ["states:StartExecution", "states:DescribeExecution"]))
    assert run.status == "SUCCEEDED", run.description
    assert run.output["Output"] == {"got": 7}
    child_run = wait(aws, run.output["ExecutionArn"])
    assert str(uuid.UUID(child_run.description["name"])) == child_run.description["name"]


def test_waits_and_retry_intervals_scale_for_local_runs(aws, monkeypatch):
    monkeypatch.setenv("ML_CONSTRUCTS_LOCAL_SFN_TIME_SCALE", "0.001")
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 600, "Next": "Flaky"},
            "Flaky": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
                "Parameters": {"ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:none:none"},
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 300,
                        "MaxAttempts": 2,
                        "BackoffRate": 2,
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Succeed"},
        },
    }
    started = time.monotonic()
    run = execute(aws, definition)
    assert run.status == "SUCCEEDED", run.description
    assert time.monotonic() - started < 10  # 600 s + 300 s + 600 s at AWS's pace
    assert len(run.details("TaskFailed")) == 3  # the first try and two retries


def test_json_paths_through_an_index_name_one_value(aws):
    run = execute(
        aws,
        {
            "StartAt": "Pick",
            "States": {
                "Pick": {
                    "Type": "Pass",
                    "Parameters": {
                        "first.$": "$.items[0].name",
                        "last.$": "$.items[1]",
                        "names.$": "$.items[*].name",
                        "filtered.$": "$.items[?(@.name == 'b')].name",
                    },
                    "End": True,
                }
            },
        },
        input={"items": [{"name": "a"}, {"name": "b"}]},
    )
    assert run.status == "SUCCEEDED", run.description
    assert run.output == {"first": "a", "last": {"name": "b"}, "names": ["a", "b"], "filtered": ["b"]}
