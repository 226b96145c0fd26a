"""A stack with a ModelMonitor, deployed into the emulator: the job definition, alarm and rule
exist as described; the schedule states of a workflow-deployed endpoint run."""

from __future__ import annotations

import json

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn

from ml_constructs.local import LocalAws
from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.model_endpoint import ModelEndpoint
from ml_constructs.ml.model_monitor import ModelMonitor
from ml_constructs.store import DataLake

from .jobs.conftest import wait_for


def _template() -> tuple[dict, ModelMonitor]:
    app = App(context={"aws:cdk:disable-version-reporting": True})
    stack = Stack(app, "Monitored", env=Environment(account="123456789012", region="us-east-1"))
    lake = DataLake(stack, "Lake")
    serve = ModelEndpoint(stack, "Serve", lake=lake, image=SageMakerImage.built_in("xgboost", "1.7-1"))
    topic = sns.Topic(stack, "Ops", enforce_ssl=True)
    monitor = ModelMonitor(stack, "Monitor", endpoint=serve, alarm_topic=topic)
    machine = sfn.StateMachine(
        stack,
        "Deploy",
        definition_body=sfn.DefinitionBody.from_chainable(monitor.schedule_tasks(stack, "Schedule")),
    )
    monitor.grant_schedule(machine)
    template = app.synth().get_stack_by_name("Monitored").template
    return template, monitor


# What CreateDataQualityJobDefinition takes of a described job definition (besides its name).
DEFINITION_MEMBERS = (
    "DataQualityBaselineConfig",
    "DataQualityAppSpecification",
    "DataQualityJobInput",
    "DataQualityJobOutputConfig",
    "JobResources",
    "NetworkConfig",
    "RoleArn",
    "StoppingCondition",
)


def test_the_monitor_deploys_and_its_resources_are_described(aws: LocalAws, deploy) -> None:
    template, monitor = _template()
    resources = {k: v for k, v in template["Resources"].items() if v["Type"] != "AWS::CDK::Metadata"}
    deployed = deploy(resources)
    sagemaker = deployed.client("sagemaker")
    definition = sagemaker.describe_data_quality_job_definition(JobDefinitionName=monitor.job_definition_name)
    assert (
        definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == monitor.endpoint.endpoint_name
    )
    assert definition["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert definition["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"].startswith("arn:aws:kms:")
    uri = definition["DataQualityBaselineConfig"]["StatisticsResource"]["S3Uri"]
    assert uri.startswith("s3://") and uri.endswith(
        f"model-monitor/{monitor.endpoint.endpoint_name}/baseline/statistics.json"
    )
    assert definition["DataQualityAppSpecification"]["ImageUri"] == (
        "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
    )
    alarm_id = next(k for k in resources if k.startswith("MonitorViolationsAlarm"))
    alarms = deployed.client("cloudwatch").describe_alarms()["MetricAlarms"]
    (alarm,) = [a for a in alarms if a["AlarmName"] == deployed.physical[alarm_id]]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Events", "MatchedEvents")
    assert alarm["AlarmActions"] and ":sns:" in alarm["AlarmActions"][0]
    rule_id = next(k for k in resources if k.startswith("MonitorViolationsRule"))
    rule = deployed.client("events").describe_rule(Name=deployed.physical[rule_id])
    pattern = json.loads(rule["EventPattern"])
    (schedule_arn,) = pattern["detail"]["MonitoringScheduleArn"]
    assert schedule_arn.endswith(f":monitoring-schedule/{monitor.schedule_name}")
    # no schedule before the workflow's first deploy of the endpoint (SageMaker checks it exists)
    names = [
        s["MonitoringScheduleName"]
        for s in sagemaker.list_monitoring_schedules()["MonitoringScheduleSummaries"]
    ]
    assert monitor.schedule_name not in names

    # the workflow deployed the endpoint (with input capture); the schedule states run twice
    endpoint = monitor.endpoint.endpoint_name
    sagemaker.create_model(
        ModelName=f"{endpoint}-m",
        ExecutionRoleArn=definition["RoleArn"],
        PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{endpoint}-c",
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": f"{endpoint}-m", "InstanceType": "ml.m5.large",
             "InitialInstanceCount": 1}
        ],
        DataCaptureConfig={
            "EnableCapture": True, "InitialSamplingPercentage": 20, "DestinationS3Uri": "s3://b/data-capture/",
            "CaptureOptions": [{"CaptureMode": "Input"}],
        },
    )  # fmt: skip
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=f"{endpoint}-c")
    states = deployed.client("stepfunctions")
    machines = [k for k, r in resources.items() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    machine_arn = deployed.physical[machines[0]]
    for run in range(2):  # create, then find it in place
        execution = states.start_execution(stateMachineArn=machine_arn, input="{}")["executionArn"]

        def describe(arn: str = execution) -> dict:
            return states.describe_execution(executionArn=arn)

        result = wait_for(describe, "status", {"SUCCEEDED", "FAILED"})
        assert result["status"] == "SUCCEEDED", (run, result)
    found = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=monitor.schedule_name)
    assert found["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == monitor.job_definition_name
    assert found["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"

    # A schedule left on another job definition (e.g. the one a stack update replaced) is
    # pointed back at this one: the machine's Update branch.
    current = sagemaker.describe_data_quality_job_definition(JobDefinitionName=monitor.job_definition_name)
    other = f"{monitor.job_definition_name[:55]}-older"
    sagemaker.create_data_quality_job_definition(
        JobDefinitionName=other,
        **{k: current[k] for k in DEFINITION_MEMBERS if k in current},
    )
    config = dict(found["MonitoringScheduleConfig"], MonitoringJobDefinitionName=other)
    sagemaker.update_monitoring_schedule(
        MonitoringScheduleName=monitor.schedule_name, MonitoringScheduleConfig=config
    )
    execution = states.start_execution(stateMachineArn=machine_arn, input="{}")["executionArn"]
    result = wait_for(
        lambda: states.describe_execution(executionArn=execution), "status", {"SUCCEEDED", "FAILED"}
    )
    assert result["status"] == "SUCCEEDED", result
    history = states.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    assert "Schedule Update" in [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]
    found = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=monitor.schedule_name)
    assert found["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == monitor.job_definition_name
    sagemaker.delete_monitoring_schedule(MonitoringScheduleName=monitor.schedule_name)
    deployed.delete()
    assert monitor.job_definition_name not in [
        d["MonitoringJobDefinitionName"]
        for d in sagemaker.list_data_quality_job_definitions()["JobDefinitionSummaries"]
    ]
