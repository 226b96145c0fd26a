"""Service integrations run as on AWS: signed as the machine's role, aws-sdk shapes and error
names, SageMaker / Glue / EMR Serverless ``.sync``, SageMaker's MANAGED_BY_AWS tag."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from ml_constructs.local import iam
from tests.local.stepfunctions.conftest import create_machine, execute, make_role, task

SDK = "arn:aws:states:::aws-sdk"
SAGEMAKER = "arn:aws:states:::sagemaker"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ----------------------------------------------------------------------------- aws-sdk


def test_aws_sdk_takes_pascal_case_and_answers_pascal_case(aws):
    role = make_role(aws, ["states:ListExecutions"])
    definition = task(
        f"{SDK}:sfn:listExecutions",
        {"StateMachineArn.$": "$$.StateMachine.Id", "StatusFilter": "RUNNING", "MaxResults": 2},
        ResultSelector={
            "count.$": "States.ArrayLength($.Executions)",
            "statuses.$": "$.Executions[*].Status",
        },
    )
    run = execute(aws, definition, role_arn=role)
    assert run.status == "SUCCEEDED", run.description
    assert run.output == {"count": 1, "statuses": ["RUNNING"]}  # itself


def test_aws_sdk_service_names_map_to_botocore(aws):
    """``applicationautoscaling`` is botocore's ``application-autoscaling``."""
    role = make_role(aws, ["application-autoscaling:RegisterScalableTarget"])
    resource_id = f"table/{unique('table')}"
    definition = task(
        f"{SDK}:applicationautoscaling:registerScalableTarget",
        {
            "ServiceNamespace": "dynamodb",
            "ResourceId": resource_id,
            "ScalableDimension": "dynamodb:table:ReadCapacityUnits",
            "MinCapacity": 1,
            "MaxCapacity": 4,
        },
    )
    run = execute(aws, definition, role_arn=role)
    assert run.status == "SUCCEEDED", run.description
    autoscaling = aws.client("application-autoscaling")
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="dynamodb", ResourceIds=[resource_id])
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets["ScalableTargets"]] == [(1, 4)]
    autoscaling.deregister_scalable_target(  # other tests list the namespace's targets
        ServiceNamespace="dynamodb",
        ResourceId=resource_id,
        ScalableDimension="dynamodb:table:ReadCapacityUnits",
    )


def test_aws_sdk_errors_are_named_service_dot_code(aws):
    glue = aws.client("glue")
    crawler = unique("crawler")
    glue.create_crawler(
        Name=crawler, Role="arn:aws:iam::123456789012:role/x", Targets={"S3Targets": [{"Path": "s3://b/p/"}]}
    )
    start = {"Type": "Task", "Resource": f"{SDK}:glue:startCrawler", "Parameters": {"Name": crawler}}
    definition = {
        "StartAt": "First",
        "States": {
            "First": {**start, "ResultPath": None, "Next": "Again"},
            "Again": {
                **start,
                "Catch": [
                    {
                        "ErrorEquals": ["Glue.CrawlerRunningException"],
                        "ResultPath": "$.error",
                        "Next": "Caught",
                    }
                ],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    run = execute(aws, definition, role_arn=make_role(aws, ["glue:StartCrawler"]))
    assert run.status == "SUCCEEDED", run.description
    assert run.output["error"]["Error"] == "Glue.CrawlerRunningException"
    assert "already started" in run.output["error"]["Cause"]


def test_missing_grant_fails_an_aws_sdk_task_with_access_denied(aws):
    role = make_role(aws, ["glue:StartCrawler"])  # not glue:GetCrawler
    run = execute(aws, task(f"{SDK}:glue:getCrawler", {"Name": "any"}), role_arn=role)
    assert run.status == "FAILED"
    assert run.error == "Glue.AccessDeniedException"
    assert "glue:GetCrawler" in run.cause
    (failed,) = run.details("TaskFailed")
    assert failed["error"] == "Glue.AccessDeniedException"


# ----------------------------------------------------------------------------- SageMaker


def training_request(name: str) -> dict:
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": "arn:aws:iam::123456789012:role/training",
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/t/"}},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://b/out/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        "HyperParameters": {"num_round": "10"},
    }


TRAINING_GRANTS = [
    "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:AddTags",
    "iam:PassRole",
]


@pytest.fixture
def training_statuses(monkeypatch):
    """``statuses[name] = [...]``: what DescribeTrainingJob reports for that job, call by call
    (the last one sticks); counts the calls in ``statuses.calls``."""
    from moto.sagemaker.models import SageMakerModelBackend

    class Statuses(dict):
        calls: dict[str, int] = {}

    statuses = Statuses()
    statuses.calls = {}
    describe = SageMakerModelBackend.describe_training_job

    def scripted(self, training_job_name):
        found = dict(describe(self, training_job_name))
        script = statuses.get(training_job_name)
        if script:
            count = statuses.calls.get(training_job_name, 0)
            statuses.calls[training_job_name] = count + 1
            status = script[min(count, len(script) - 1)]
            found["TrainingJobStatus"] = status
            if status == "Failed":
                found["FailureReason"] = "AlgorithmError: scripted failure"
        return found

    monkeypatch.setattr(SageMakerModelBackend, "describe_training_job", scripted)
    return statuses


def test_training_job_sync_polls_until_completed_and_answers_the_describe(aws, training_statuses):
    name = unique("train")
    training_statuses[name] = ["InProgress", "InProgress", "Completed"]
    run = execute(
        aws,
        task(f"{SAGEMAKER}:createTrainingJob.sync", training_request(name)),
        role_arn=make_role(aws, TRAINING_GRANTS),
    )
    assert run.status == "SUCCEEDED", run.description
    assert training_statuses.calls[name] >= 3
    output = run.output
    assert output["TrainingJobName"] == name
    assert output["TrainingJobStatus"] == "Completed"
    assert output["HyperParameters"] == {"num_round": "10"}
    assert isinstance(output["CreationTime"], int)  # epoch milliseconds, as the integration answers
    (submitted,) = run.details("TaskSubmitted")
    assert set(json.loads(submitted["output"])) == {"TrainingJobArn"}


def test_failed_training_job_fails_the_task_with_states_task_failed(aws, training_statuses):
    name = unique("train")
    training_statuses[name] = ["InProgress", "Failed"]
    definition = task(
        f"{SAGEMAKER}:createTrainingJob.sync",
        training_request(name),
        Catch=[{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Caught"}],
    )
    definition["States"]["Task"].pop("End")
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    run = execute(aws, definition, role_arn=make_role(aws, TRAINING_GRANTS))
    assert run.status == "SUCCEEDED", run.description
    assert run.output["error"]["Error"] == "States.TaskFailed"
    cause = json.loads(run.output["error"]["Cause"])
    assert cause["TrainingJobStatus"] == "Failed"
    assert cause["FailureReason"] == "AlgorithmError: scripted failure"


def test_step_functions_tags_what_it_creates_in_sagemaker(aws, training_statuses):
    name = unique("train")
    training_statuses[name] = ["Completed"]  # the tags are the point here, not the training
    run = execute(
        aws,
        task(f"{SAGEMAKER}:createTrainingJob.sync", training_request(name)),
        role_arn=make_role(aws, TRAINING_GRANTS),
    )
    assert run.status == "SUCCEEDED", run.description
    tags = aws.client("sagemaker").list_tags(ResourceArn=run.output["TrainingJobArn"])["Tags"]
    assert {"Key": "MANAGED_BY_AWS", "Value": "STARTED_BY_STEP_FUNCTIONS"} in tags


def test_missing_add_tags_fails_a_sagemaker_task_as_on_aws(aws):
    """aws-cdk issues 26012 / 32294: without sagemaker:AddTags the job is never created."""
    role = make_role(aws, [g for g in TRAINING_GRANTS if g != "sagemaker:AddTags"])
    name = unique("train")
    run = execute(aws, task(f"{SAGEMAKER}:createTrainingJob.sync", training_request(name)), role_arn=role)
    assert run.status == "FAILED"
    assert run.error == "SageMaker.AmazonSageMakerException"
    assert "sagemaker:AddTags" in run.cause and "AccessDenied" in run.cause
    with pytest.raises(ClientError):
        aws.client("sagemaker").describe_training_job(TrainingJobName=name)


def test_create_with_tags_needs_add_tags_for_runtime_principals(aws):
    container = {"Image": IMAGE, "ModelDataUrl": "s3://b/model.tar.gz"}
    without = iam.client_as(make_role(aws, ["sagemaker:CreateModel"]), "sagemaker")
    without.create_model(
        ModelName=unique("m"), PrimaryContainer=container, ExecutionRoleArn="arn:aws:iam::123456789012:role/x"
    )
    with pytest.raises(ClientError) as denied:
        without.create_model(
            ModelName=unique("m"),
            PrimaryContainer=container,
            ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
            Tags=[{"Key": "team", "Value": "ml"}],
        )
    assert "sagemaker:AddTags" in str(denied.value)
    granted = iam.client_as(make_role(aws, ["sagemaker:CreateModel", "sagemaker:AddTags"]), "sagemaker")
    granted.create_model(
        ModelName=unique("m"),
        PrimaryContainer=container,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
        Tags=[{"Key": "team", "Value": "ml"}],
    )


def test_sagemaker_requests_forward_to_the_api(aws):
    model = unique("model")
    role = make_role(aws, ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:AddTags"])
    definition = {
        "StartAt": "Model",
        "States": {
            "Model": {
                "Type": "Task",
                "Resource": f"{SAGEMAKER}:createModel",
                "Parameters": {
                    "ModelName": model,
                    "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://b/model.tar.gz"},
                    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/x",
                },
                "ResultPath": "$.model",
                "Next": "Config",
            },
            "Config": {
                "Type": "Task",
                "Resource": f"{SAGEMAKER}:createEndpointConfig",
                "Parameters": {
                    "EndpointConfigName": model,
                    "ProductionVariants": [
                        {
                            "VariantName": "AllTraffic",
                            "ModelName": model,
                            "InstanceType": "ml.m5.large",
                            "InitialInstanceCount": 1,
                        }
                    ],
                },
                "ResultPath": "$.config",
                "End": True,
            },
        },
    }
    run = execute(aws, definition, role_arn=role)
    assert run.status == "SUCCEEDED", run.description
    assert run.output["model"]["ModelArn"].endswith(f":model/{model}")
    assert run.output["config"]["EndpointConfigArn"].endswith(f":endpoint-config/{model}")
    sagemaker = aws.client("sagemaker")
    assert sagemaker.describe_model(ModelName=model)["PrimaryContainer"]["Image"] == IMAGE
    tags = sagemaker.list_tags(ResourceArn=run.output["model"]["ModelArn"])["Tags"]
    assert {"Key": "MANAGED_BY_AWS", "Value": "STARTED_BY_STEP_FUNCTIONS"} in tags


# ----------------------------------------------------------------------------- Glue, EMR Serverless


def _script(aws, service: str) -> tuple[str, str]:
    """A script in S3 that runs in a blink (no Spark), and a job role that may read it."""
    bucket = unique("scripts")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="s.py", Body=b"import sys\nprint('arguments', sys.argv[1:])\n")
    role = make_role(aws, ["s3:GetObject", "s3:ListBucket", "s3:PutObject"], service=service)
    return f"s3://{bucket}/s.py", role


def test_glue_job_run_sync(aws):
    job = unique("job")
    script, job_role = _script(aws, "glue.amazonaws.com")
    aws.client("glue").create_job(
        Name=job, Role=job_role, Command={"Name": "glueetl", "ScriptLocation": script}
    )
    role = make_role(aws, ["glue:StartJobRun", "glue:GetJobRun"])
    run = execute(aws, task("arn:aws:states:::glue:startJobRun.sync", {"JobName": job}), role_arn=role)
    assert run.status == "SUCCEEDED", run.description
    assert run.output["JobName"] == job
    assert run.output["JobRunState"] == "SUCCEEDED"
    assert isinstance(run.output["StartedOn"], int)


def test_glue_sync_without_get_job_run_fails_with_access_denied(aws):
    job = unique("job")
    aws.client("glue").create_job(
        Name=job,
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
    )
    run = execute(
        aws,
        task("arn:aws:states:::glue:startJobRun.sync", {"JobName": job}),
        role_arn=make_role(aws, ["glue:StartJobRun"]),
    )
    assert run.status == "FAILED"
    assert run.error == "Glue.AccessDeniedException"
    assert "glue:GetJobRun" in run.cause


def test_emr_serverless_job_run_sync(aws):
    application = aws.client("emr-serverless").create_application(
        name=unique("spark"), releaseLabel="emr-7.1.0", type="SPARK"
    )["applicationId"]
    role = make_role(aws, ["emr-serverless:StartJobRun", "emr-serverless:GetJobRun"])
    script, job_role = _script(aws, "emr-serverless.amazonaws.com")
    parameters = {
        "ApplicationId": application,
        "ExecutionRoleArn": job_role,
        "Name": "features",
        "JobDriver": {"SparkSubmit": {"EntryPoint": script, "EntryPointArguments": ["--day", "1"]}},
    }
    run = execute(aws, task("arn:aws:states:::emr-serverless:startJobRun.sync", parameters), role_arn=role)
    assert run.status == "SUCCEEDED", run.description
    job_run = run.output["JobRun"]
    assert job_run["ApplicationId"] == application
    assert job_run["State"] == "SUCCESS"
    assert job_run["JobDriver"]["SparkSubmit"]["EntryPointArguments"] == ["--day", "1"]


def test_states_start_execution_task_needs_the_grant(aws):
    child = create_machine(
        aws, {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}, make_role(aws, [])
    )
    run = execute(
        aws,
        task("arn:aws:states:::states:startExecution", {"StateMachineArn": child}),
        role_arn=make_role(aws, []),
    )
    assert run.status == "FAILED"
    assert run.error == "StepFunctions.AccessDeniedException"
    assert "states:StartExecution" in run.cause


def lambda_function(aws) -> str:
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n")
    role = make_role(aws, [], service="lambda.amazonaws.com")
    created = aws.client("lambda").create_function(
        FunctionName=unique("double"),
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
        Timeout=30,
    )
    return str(created["FunctionArn"])


def test_lambda_tasks_are_signed_as_the_machine_role(aws):
    function = lambda_function(aws)
    definition = task(
        "arn:aws:states:::lambda:invoke",
        {"FunctionName": function, "Payload": {"n": 21}},
        OutputPath="$.Payload",
    )
    denied = execute(aws, definition, role_arn=make_role(aws, []))
    assert denied.status == "FAILED"
    assert denied.error == "Lambda.AccessDeniedException"
    assert "lambda:InvokeFunction" in denied.cause
    run = execute(aws, definition, role_arn=make_role(aws, ["lambda:InvokeFunction"]))
    assert run.status == "SUCCEEDED", run.description
    assert run.output == {"doubled": 42}
