"""ModelMonitor: job definition, schedule (workflow or CloudFormation), baseline task, role, alarm."""

from __future__ import annotations

import json

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn

from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.model_endpoint import DataCapture, ModelEndpoint, ServerlessConfig
from ml_constructs.ml.model_monitor import HOURLY, ModelMonitor
from ml_constructs.store import DataLake
from tests.harness import actions_of, build_error, scenario

XGBOOST = SageMakerImage.built_in("xgboost", "1.7-1")


def endpoint(stack: Stack, **overrides) -> ModelEndpoint:
    args = dict(lake=DataLake(stack, "Lake"), image=XGBOOST)
    args.update(overrides)
    return ModelEndpoint(stack, "Serve", **args)


@pytest.fixture(scope="module")
def workflow():
    """A workflow-deployed endpoint: the schedule comes from schedule_tasks."""

    def build(stack):
        topic = sns.Topic(stack, "Ops", enforce_ssl=True)
        monitor = ModelMonitor(stack, "Monitor", endpoint=endpoint(stack), alarm_topic=topic)
        chain = monitor.baseline_task(stack, "Baseline").next(monitor.schedule_tasks(stack, "Schedule"))
        machine = sfn.StateMachine(stack, "Flow", definition_body=sfn.DefinitionBody.from_chainable(chain))
        monitor.grant_baseline(machine)
        monitor.grant_schedule(machine)
        return monitor

    return scenario(build, compliance=False)


@pytest.fixture(scope="module")
def owned():
    """An endpoint CloudFormation owns (model_data): a CfnMonitoringSchedule; compliance on."""

    def build(stack):
        serve = endpoint(stack, model_data="xgboost/output/model.tar.gz")
        return ModelMonitor(stack, "Monitor", endpoint=serve)

    return scenario(build)


def test_job_definition(workflow):
    monitor = workflow.built
    props = workflow.one("AWS::SageMaker::DataQualityJobDefinition")
    assert props["JobDefinitionName"] == monitor.job_definition_name
    assert props["EndpointName"] == monitor.endpoint.endpoint_name
    assert props["DataQualityJobInput"]["EndpointInput"] == {
        "EndpointName": monitor.endpoint.endpoint_name,
        "LocalPath": "/opt/ml/processing/input/endpoint",
        "S3DataDistributionType": "FullyReplicated",
        "S3InputMode": "File",
    }
    assert props["NetworkConfig"] == {
        "EnableNetworkIsolation": True,
        "EnableInterContainerTrafficEncryption": True,
    }
    key = props["DataQualityJobOutputConfig"]["KmsKeyId"]
    assert key["Fn::GetAtt"][1] == "Arn"
    assert props["JobResources"]["ClusterConfig"] == {
        "InstanceCount": 1,
        "InstanceType": "ml.m5.xlarge",
        "VolumeSizeInGB": 20,
        "VolumeKmsKeyId": key,
    }
    assert props["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    baseline = json.dumps(props["DataQualityBaselineConfig"])
    assert "model-monitor/" in baseline and "/baseline/statistics.json" in baseline
    assert "/baseline/constraints.json" in baseline
    output = props["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]
    assert "/reports/" in json.dumps(output["S3Uri"]) and output["LocalPath"] == "/opt/ml/processing/output"
    image = json.dumps(props["DataQualityAppSpecification"]["ImageUri"])
    assert "sagemaker-model-monitor-analyzer" in image and "ModelMonitorAnalyzer" in image
    assert props["DataQualityAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    mapping = workflow.json["Mappings"]["SageMakerImageRegistries"]
    assert mapping["us-east-1"]["ModelMonitorAnalyzer"] == "156813124566"
    assert mapping["eu-west-1"]["ModelMonitorAnalyzer"] == "468650794304"
    assert (
        workflow.request_problems(
            "CreateDataQualityJobDefinition", {k: v for k, v in props.items() if k != "EndpointName"}
        )
        == []
    )


def test_workflow_schedule_is_created_by_states(workflow):
    monitor = workflow.built
    assert monitor.workflow_schedule and monitor.schedule is None
    assert workflow.resources("AWS::SageMaker::MonitoringSchedule") == {}
    (definition,) = workflow.definitions().values()
    states = definition["States"]
    describe, create, update = (states[f"Schedule {n}"] for n in ("Describe", "Create", "Update"))
    assert describe["Resource"].endswith(":aws-sdk:sagemaker:describeMonitoringSchedule")
    assert describe["Catch"][0]["ErrorEquals"] == ["SageMaker.ResourceNotFoundException"]
    assert describe["Catch"][0]["Next"] == "Schedule Create"
    config = create["Parameters"]["MonitoringScheduleConfig"]
    assert config == {
        "ScheduleConfig": {"ScheduleExpression": HOURLY},
        "MonitoringJobDefinitionName": monitor.job_definition_name,
        "MonitoringType": "DataQuality",
    }
    assert update["Parameters"]["MonitoringScheduleConfig"] == config
    choice = states["Schedule Current?"]
    assert choice["Choices"][0]["StringEquals"] == monitor.job_definition_name
    # every SageMaker request of the machine (processing job, schedule) is valid
    assert all(problems == [] for problems in workflow.state_machine_problems().values())
    assert {k.rsplit(":", 1)[1] for k in workflow.state_machine_problems()} == {
        "CreateProcessingJob",
        "DescribeMonitoringSchedule",
        "CreateMonitoringSchedule",
        "UpdateMonitoringSchedule",
    }


def test_baseline_task(workflow):
    (definition,) = workflow.definitions().values()
    state = definition["States"]["Baseline"]
    assert state["Resource"].endswith(":states:::sagemaker:createProcessingJob.sync")
    params = state["Parameters"]
    assert params["Environment"] == {
        "dataset_format": '{"csv": {"header": false, "output_columns_position": "START"}}',
        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
        "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled",
    }
    (source,) = params["ProcessingInputs"]
    assert source["S3Input"]["LocalPath"] == "/opt/ml/processing/input/baseline_dataset_input"
    assert "features/baseline/" in json.dumps(source["S3Input"]["S3Uri"])
    (output,) = params["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["LocalPath"] == "/opt/ml/processing/output"
    assert params["ProcessingOutputConfig"]["KmsKeyId"]
    assert params["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"]
    assert params["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert params["ProcessingJobName.$"].startswith("States.Format(")


def test_role_least_privilege(workflow):
    statements = workflow.policy_statements("MonitorRole")
    actions = actions_of(statements)
    assert not any(a.endswith("*") and a.count(":") == 1 and a.split(":")[1] == "*" for a in actions)
    assert "s3:GetObject*" in actions or "s3:GetObject" in actions
    assert not any("iam:" in a or "sagemaker:" in a for a in actions)
    text = json.dumps(statements)
    assert "data-capture/" in text and "/reports/" in text and "features/baseline/" in text
    role = next(iter(workflow.resources("AWS::IAM::Role").values()))
    assert all(
        "ManagedPolicyArns" not in r["Properties"] for r in workflow.resources("AWS::IAM::Role").values()
    )
    assert role


def test_machine_grants(workflow):
    statements = workflow.policy_statements("FlowRole")
    actions = actions_of(statements)
    assert {
        "sagemaker:CreateProcessingJob",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:StopProcessingJob",
        "sagemaker:CreateMonitoringSchedule",
        "sagemaker:DescribeMonitoringSchedule",
        "sagemaker:UpdateMonitoringSchedule",
        "iam:PassRole",
    } <= actions
    text = json.dumps(statements)
    assert "StepFunctionsGetEventsForSageMakerProcessingJobsRule" in text
    assert f"monitoring-schedule/{workflow.built.schedule_name}" in text


def test_violations_alarm_notifies_topic(workflow):
    rule = workflow.one("AWS::Events::Rule", "Violations")
    pattern = rule["EventPattern"]
    assert pattern["detail-type"] == ["SageMaker Processing Job State Change"]
    assert pattern["detail"]["ExitMessage"] == [{"prefix": "CompletedWithViolations"}]
    assert "MonitoringScheduleArn" in pattern["detail"]
    alarm = workflow.one("AWS::CloudWatch::Alarm", "Violations")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/Events",
        "MatchedEvents",
        "Sum",
    )
    assert alarm["Period"] == 3600 and alarm["Threshold"] == 1
    assert alarm["TreatMissingData"] == "notBreaching"
    assert "Ops" in json.dumps(alarm["AlarmActions"])


def test_cloudformation_endpoint_gets_a_schedule_and_is_compliant(owned):
    assert owned.problems == []
    monitor = owned.built
    assert not monitor.workflow_schedule
    (schedule,) = owned.resources("AWS::SageMaker::MonitoringSchedule").values()
    props = schedule["Properties"]
    assert props["MonitoringScheduleName"] == monitor.schedule_name
    assert props["MonitoringScheduleConfig"]["ScheduleConfig"] == {"ScheduleExpression": "cron(0 * ? * * *)"}
    depends = schedule["DependsOn"]
    assert any("ServeEndpoint" in d for d in depends) and any("JobDefinition" in d for d in depends)
    with pytest.raises(ValueError, match="CloudFormation owns this schedule"):
        monitor.schedule_tasks(owned.stack, "Nope")


def test_job_definition_name_follows_its_content():
    from aws_cdk import App

    names = []
    for size in (20, 20, 30):
        stack = Stack(App(), "Test")
        names.append(
            ModelMonitor(stack, "Monitor", endpoint=endpoint(stack), volume_size_gb=size).job_definition_name
        )
    assert names[0] == names[1] != names[2]
    assert all(len(n) <= 63 for n in names)


@pytest.mark.parametrize(
    ("overrides", "monitor_args", "message"),
    [
        ({"data_capture": None}, {}, "an endpoint capturing its input"),
        ({"data_capture": DataCapture(capture_input=False)}, {}, "an endpoint capturing its input"),
        ({"serverless": ServerlessConfig()}, {}, "serverless endpoints capture no data"),
        ({}, {"schedule_expression": "rate(1 hour)"}, "hourly"),
        ({}, {"schedule_expression": "cron(0 25 ? * * *)"}, "hourly"),
        ({}, {"max_runtime": Duration.hours(2)}, "max_runtime"),
        ({}, {"instance_type": "ml.m5.mega"}, "ProcessingInstanceType"),
        ({}, {"volume_size_gb": 0}, "volume_size_gb"),
        ({}, {"reports_prefix": "x/", "baseline_prefix": "x/"}, "other than baseline_prefix"),
        ({}, {"job_definition_overrides": {"StoppingCondition": {"MaxRuntimeInSeconds": 0}}}, "MaxRuntime"),
        ({}, {"baseline_overrides": {"Environment": {"x": 1}}}, "CreateProcessingJob"),
    ],
)
def test_synth_errors(overrides, monitor_args, message):
    error = build_error(
        lambda stack: ModelMonitor(stack, "Monitor", endpoint=endpoint(stack, **overrides), **monitor_args)
    )
    assert message in error and "Monitor" in error


def test_daily_schedule_allows_longer_runs():
    from aws_cdk import App

    stack = Stack(App(), "Test")
    monitor = ModelMonitor(
        stack, "Monitor", endpoint=endpoint(stack), schedule_expression="cron(0 3 ? * * *)",
        max_runtime=Duration.hours(2),
    )  # fmt: skip
    assert monitor.max_runtime_seconds == 7200
