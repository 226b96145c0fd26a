"""Model Monitor in the emulator: the analyzer's baseline runs for real; monitoring schedules."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from ml_constructs.local import LocalAws
from ml_constructs.local.jobs.processing import baseline
from ml_constructs.ml.model_monitor import BASELINE_INPUT_PATH, OUTPUT_PATH

from .conftest import wait_for

ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"


def test_baseline_statistics_and_constraints_without_aws() -> None:
    rows = [["1", "2.5", "a"], ["3", "", "b"], ["-2", "4.5", "a"], ["4", "1.0", ""]]
    statistics, constraints = baseline(rows)
    assert statistics["dataset"] == {"item_count": 4}
    first, second, third = statistics["features"]
    assert (first["name"], first["inferred_type"]) == ("_c0", "Integral")
    numbers = first["numerical_statistics"]
    assert (numbers["sum"], numbers["mean"], numbers["min"], numbers["max"]) == (6.0, 1.5, -2.0, 4.0)
    assert numbers["common"] == {"num_present": 4, "num_missing": 0}
    assert sum(b["count"] for b in numbers["distribution"]["kll"]["buckets"]) == 4
    assert second["inferred_type"] == "Fractional"
    assert second["numerical_statistics"]["common"] == {"num_present": 3, "num_missing": 1}
    assert third["inferred_type"] == "String" and third["string_statistics"]["distinct_count"] == 2.0
    by_name = {c["name"]: c for c in constraints["features"]}
    assert by_name["_c0"]["num_constraints"] == {"is_non_negative": False}
    assert by_name["_c1"]["completeness"] == 0.75 and by_name["_c1"]["num_constraints"]["is_non_negative"]
    assert "num_constraints" not in by_name["_c2"]
    assert constraints["monitoring_config"]["evaluate_constraints"] == "Enabled"


def _processing(aws: LocalAws, role: str, image: str, source: str, target: str) -> dict:
    sagemaker = aws.client("sagemaker")
    name = f"baseline-{uuid.uuid4().hex[:8]}"
    sagemaker.create_processing_job(
        ProcessingJobName=name,
        RoleArn=role,
        AppSpecification={"ImageUri": image},
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        ProcessingInputs=[
            {
                "InputName": "baseline_dataset_input",
                "S3Input": {
                    "S3Uri": source,
                    "LocalPath": BASELINE_INPUT_PATH,
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "S3Output": {"S3Uri": target, "LocalPath": OUTPUT_PATH, "S3UploadMode": "EndOfJob"},
                }
            ]
        },
        Environment={
            "dataset_format": json.dumps({"csv": {"header": False, "output_columns_position": "START"}}),
            "dataset_source": BASELINE_INPUT_PATH,
            "output_path": OUTPUT_PATH,
        },
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        NetworkConfig={"EnableNetworkIsolation": True},
    )
    first = sagemaker.describe_processing_job(ProcessingJobName=name)
    assert first["ProcessingJobStatus"] in ("InProgress", "Completed", "Failed")
    return wait_for(
        lambda: sagemaker.describe_processing_job(ProcessingJobName=name),
        "ProcessingJobStatus",
        {"Completed", "Failed"},
    )


def test_the_analyzer_writes_the_baseline(aws: LocalAws, bucket: str, role: str, put) -> None:
    prefix = f"mm-{uuid.uuid4().hex[:6]}"
    put(f"{prefix}/features/baseline/part-00000.csv", "1,2.5,7\n2,3.5,8\n")
    put(f"{prefix}/features/baseline/part-00001.csv", "3,4.5,9\n")
    job = _processing(
        aws, role, ANALYZER, f"s3://{bucket}/{prefix}/features/baseline/", f"s3://{bucket}/{prefix}/out/"
    )
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["Environment"]["dataset_source"] == BASELINE_INPUT_PATH
    s3 = aws.client("s3")
    statistics = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}/out/statistics.json")["Body"].read())
    constraints = json.loads(
        s3.get_object(Bucket=bucket, Key=f"{prefix}/out/constraints.json")["Body"].read()
    )
    assert statistics["dataset"]["item_count"] == 3
    assert [f["name"] for f in statistics["features"]] == ["_c0", "_c1", "_c2"]
    assert statistics["features"][1]["numerical_statistics"]["mean"] == pytest.approx(3.5)
    assert [c["inferred_type"] for c in constraints["features"]] == ["Integral", "Fractional", "Integral"]


def test_other_images_and_missing_data_fail_with_the_reason(aws: LocalAws, bucket: str, role: str) -> None:
    other = "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-processing:1"
    job = _processing(aws, role, other, f"s3://{bucket}/nothing/", f"s3://{bucket}/nothing-out/")
    assert job["ProcessingJobStatus"] == "Failed" and "cannot run this image locally" in job["FailureReason"]
    job = _processing(aws, role, ANALYZER, f"s3://{bucket}/nothing/", f"s3://{bucket}/nothing-out/")
    assert job["ProcessingJobStatus"] == "Failed" and "has no rows" in job["FailureReason"]


def test_monitoring_schedules_need_the_job_definition_and_a_capturing_endpoint(
    aws: LocalAws, bucket: str, role: str, model
) -> None:
    sagemaker = aws.client("sagemaker")
    suffix = uuid.uuid4().hex[:6]
    endpoint, definition = f"ep-{suffix}", f"dq-{suffix}"
    sagemaker.create_data_quality_job_definition(
        JobDefinitionName=definition,
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityJobInput={
            "EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input"}
        },
        DataQualityJobOutputConfig={
            "MonitoringOutputs": [{"S3Output": {"S3Uri": f"s3://{bucket}/r/", "LocalPath": OUTPUT_PATH}}]
        },
        JobResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        RoleArn=role,
    )
    config = {
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
        "MonitoringJobDefinitionName": definition,
        "MonitoringType": "DataQuality",
    }
    name = f"schedule-{suffix}"
    with pytest.raises(ClientError, match="does not exist"):  # no endpoint yet
        sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig=config)
    with pytest.raises(ClientError, match="Could not find job definition"):
        sagemaker.create_monitoring_schedule(
            MonitoringScheduleName=name,
            MonitoringScheduleConfig={**config, "MonitoringJobDefinitionName": "no"},
        )
    sagemaker.create_endpoint_config(
        EndpointConfigName=endpoint,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model(),
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 20,
            "DestinationS3Uri": f"s3://{bucket}/capture/",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
    )
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)
    arn = sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig=config)[
        "MonitoringScheduleArn"
    ]
    assert arn.endswith(f":monitoring-schedule/{name}")
    found = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert found["MonitoringScheduleStatus"] == "Scheduled" and found["EndpointName"] == endpoint
    assert found["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == definition
    listed = sagemaker.list_monitoring_schedules(EndpointName=endpoint)["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleName"] for s in listed] == [name]
    with pytest.raises(ClientError, match="already exists"):
        sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig=config)
    sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
    with pytest.raises(ClientError) as missing:
        sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"
