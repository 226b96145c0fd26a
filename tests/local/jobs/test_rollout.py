"""Blue/green endpoint updates with automatic rollback, executed: with boto3, and through the
ModelEndpoint's own deploy states in a state machine."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest

from ml_constructs.local import LocalAws

from .conftest import IMAGE, csv_text, rows, training_request, wait_for

OLD_HIGH = "0.9,0.9,0.5,0.5"  # the first model says > 0.5, the inverted one < 0.5


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_CONSTRUCTS_LOCAL_SFN_TIME_SCALE", "0.01")
    monkeypatch.setenv("ML_CONSTRUCTS_LOCAL_SFN_POLL_SECONDS", "0.05")


@pytest.fixture(scope="session")
def inverted_model(aws: LocalAws, bucket: str, role: str) -> str:
    """A model trained on inverted labels: it answers the opposite of ``trained_model``."""
    s3 = aws.client("s3")
    prefix = f"inverted-{uuid.uuid4().hex[:6]}"
    flipped = [[1.0 - r[0], *r[1:]] for r in rows(2000, seed=21)]
    s3.put_object(Bucket=bucket, Key=f"{prefix}/train/part-0.csv", Body=csv_text(flipped))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/validation/part-0.csv", Body=csv_text(flipped[:400]))
    sagemaker = aws.client("sagemaker")
    name = f"job-{uuid.uuid4().hex[:8]}"
    sagemaker.create_training_job(**training_request(name, role, bucket, prefix))
    job = wait_for(
        lambda: sagemaker.describe_training_job(TrainingJobName=name),
        "TrainingJobStatus",
        {"Completed", "Failed"},
    )
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    return job["ModelArtifacts"]["S3ModelArtifacts"]


def _config(aws: LocalAws, model: str) -> str:
    name = f"config-{uuid.uuid4().hex[:8]}"
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": model,
        "InitialVariantWeight": 1.0,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 2,
    }
    aws.client("sagemaker").create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    return name


def _alarm(aws: LocalAws, name: str | None = None) -> str:
    name = name or f"alarm-{uuid.uuid4().hex[:8]}"
    cloudwatch = aws.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SageMaker",
        MetricName="InvocationModelErrors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test")
    return name


def _says_high(aws: LocalAws, endpoint: str) -> bool:
    answer = aws.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, ContentType="text/csv", Body=OLD_HIGH
    )
    return float(answer["Body"].read().decode().strip()) > 0.5


def _canary(alarm: str, *, wait: int = 100, bake: int = 100) -> dict[str, Any]:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                "WaitIntervalInSeconds": wait,
            },
            "TerminationWaitInSeconds": bake,
            "MaximumExecutionTimeoutInSeconds": 1800,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": alarm}]},
    }


def _serving(aws: LocalAws, model) -> str:
    sagemaker = aws.client("sagemaker")
    name = f"endpoint-{uuid.uuid4().hex[:8]}"
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=_config(aws, model()))
    assert (
        wait_for(
            lambda: sagemaker.describe_endpoint(EndpointName=name), "EndpointStatus", {"InService", "Failed"}
        )["EndpointStatus"]
        == "InService"
    )
    assert _says_high(aws, name)
    return name


def test_a_canary_without_alarm_shifts_all_traffic_to_the_new_model(
    aws: LocalAws, model, inverted_model
) -> None:
    sagemaker = aws.client("sagemaker")
    name = _serving(aws, model)
    alarm = _alarm(aws)
    new = _config(aws, model(data=inverted_model))
    sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=new, DeploymentConfig=_canary(alarm))
    seen: set[bool] = set()
    while sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Updating" and len(seen) < 2:
        seen.add(_says_high(aws, name))  # the canary: half of the invocations on the new model
    assert seen == {True, False}
    done = wait_for(lambda: sagemaker.describe_endpoint(EndpointName=name), "EndpointStatus", {"InService"})
    assert done["EndpointConfigName"] == new and "FailureReason" not in done
    assert done["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TerminationWaitInSeconds"] == 100
    assert not any(_says_high(aws, name) for _ in range(10))


def test_an_alarm_during_the_rollout_rolls_back_to_the_old_model(
    aws: LocalAws, model, inverted_model
) -> None:
    sagemaker, cloudwatch = aws.client("sagemaker"), aws.client("cloudwatch")
    name = _serving(aws, model)
    old = sagemaker.describe_endpoint(EndpointName=name)["EndpointConfigName"]
    alarm = _alarm(aws)
    new = _config(aws, model(data=inverted_model))
    sagemaker.update_endpoint(
        EndpointName=name, EndpointConfigName=new, DeploymentConfig=_canary(alarm, wait=300, bake=300)
    )
    time.sleep(0.5)
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Updating"
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="test: model errors")
    done = wait_for(lambda: sagemaker.describe_endpoint(EndpointName=name), "EndpointStatus", {"InService"})
    assert done["EndpointConfigName"] == old
    assert alarm in done["FailureReason"] and "rolled back" in done["FailureReason"]
    assert all(_says_high(aws, name) for _ in range(10))  # the old model serves everything


def test_unknown_alarms_and_rolling_updates_are_refused(aws: LocalAws, model) -> None:
    sagemaker = aws.client("sagemaker")
    name = _serving(aws, model)
    new = _config(aws, model())
    with pytest.raises(sagemaker.exceptions.ClientError, match="no-such-alarm.*do not exist"):
        sagemaker.update_endpoint(
            EndpointName=name, EndpointConfigName=new, DeploymentConfig=_canary("no-such-alarm")
        )
    rolling = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
            "WaitIntervalInSeconds": 60,
        }
    }
    with pytest.raises(sagemaker.exceptions.ClientError, match="RollingUpdatePolicy is not emulated"):
        sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=new, DeploymentConfig=rolling)
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


# -- the ModelEndpoint's deploy states, in a state machine -----------------------------------------
def _deploy_definition(role: str) -> tuple[dict[str, Any], str, list[str]]:
    """The deploy states of a ModelEndpoint with a canary rollout: (definition, endpoint name,
    rollback alarm names as the definition names them)."""
    from aws_cdk import App, Duration, Stack
    from aws_cdk import aws_stepfunctions as sfn

    from ml_constructs.ml.images import SageMakerImage
    from ml_constructs.ml.model_endpoint import ModelEndpoint, Rollout
    from ml_constructs.store.data_lake import DataLake
    from tests.local.stepfunctions.test_reference_app import resolve

    stack = Stack(App(), "Rollout")
    endpoint = ModelEndpoint(
        stack,
        "Serve",
        lake=DataLake(stack, "Lake"),
        image=SageMakerImage.from_uri(IMAGE),
        instance_type="ml.m5d.large",  # local NVMe storage: no volume key in the request
        instance_count=2,
        data_capture=None,
        endpoint_name=f"rollout-{uuid.uuid4().hex[:8]}",
        rollout=Rollout.canary(50, wait=Duration.minutes(1), bake_time=Duration.minutes(2)),
    )
    chain = endpoint.deploy_tasks(
        stack, "Deploy", model_data_path="$.model", poll_interval=Duration.seconds(5)
    )
    machine = sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(chain))
    template = stack.resolve(machine.node.default_child.definition_string)  # type: ignore[union-attr]
    definition = json.loads(resolve(template))
    definition["States"]["Deploy Create model"]["Parameters"]["ExecutionRoleArn"] = role
    update = definition["States"]["Deploy Update endpoint"]["Parameters"]
    alarms = [a["AlarmName"] for a in update["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]]
    return definition, endpoint.endpoint_name, alarms


def test_the_deploy_states_end_rolled_back_when_an_alarm_fires(
    aws: LocalAws, role: str, trained_model: str, inverted_model: str
) -> None:
    from tests.local.stepfunctions.conftest import create_machine, make_role, wait

    definition, endpoint, alarms = _deploy_definition(role)
    assert len(alarms) == 3  # 5xx, latency, model errors
    for alarm in alarms:
        _alarm(aws, alarm)
    actions = ["sagemaker:*", "iam:PassRole", "cloudwatch:DescribeAlarms"]
    machine = create_machine(aws, definition, make_role(aws, actions))
    sfn, sagemaker, cloudwatch = (
        aws.client("stepfunctions"),
        aws.client("sagemaker"),
        aws.client("cloudwatch"),
    )

    def run(model: str, *, alarm: bool = False) -> Any:
        started = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"model": model}))
        if alarm:

            def fire() -> None:
                wait_for(
                    lambda: sagemaker.describe_endpoint(EndpointName=endpoint), "EndpointStatus", {"Updating"}
                )
                time.sleep(0.3)
                cloudwatch.set_alarm_state(AlarmName=alarms[2], StateValue="ALARM", StateReason="test")

            threading.Thread(target=fire, daemon=True).start()
        return wait(aws, started["executionArn"], timeout=60)

    first = run(trained_model)  # creates the endpoint
    assert first.status == "SUCCEEDED", first.description
    assert _says_high(aws, endpoint)
    rolled = run(inverted_model, alarm=True)
    assert rolled.status == "FAILED" and rolled.error == "EndpointDeploymentRolledBack", rolled.description
    assert endpoint in rolled.cause and alarms[2] in rolled.cause
    assert all(_says_high(aws, endpoint) for _ in range(10))  # still the first model

    cloudwatch.set_alarm_state(AlarmName=alarms[2], StateValue="OK", StateReason="test")
    second = run(inverted_model)
    assert second.status == "SUCCEEDED", second.description
    assert (
        second.output["deployment"]["EndpointConfigName"]
        == second.output["deployment"]["DeployingConfigName"]
    )
    assert not any(_says_high(aws, endpoint) for _ in range(10))
