"""TrainingJob: request, Step Functions task, on-demand state machine, validation, compliance."""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk.assertions import Match

from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.training_job import (
    InputChannel,
    InputMode,
    MetricDefinition,
    S3Distribution,
    SpotTraining,
    TrainingJob,
)
from ml_constructs.store import DataLake, Zone
from tests.harness import find_state, scenario

XGBOOST = SageMakerImage.built_in("xgboost", "1.7-1")
HYPER = {"objective": "binary:logistic", "num_round": 100, "max_depth": 5, "tree_method": "gpu_hist"}


def gpu_job(stack: Stack, **overrides) -> TrainingJob:
    lake = DataLake(stack, "Lake")
    args = dict(
        lake=lake,
        image=XGBOOST,
        instance_type="ml.g5.2xlarge",
        gpu=True,
        spot=SpotTraining(max_wait=Duration.hours(4)),
        hyperparameters=HYPER,
    )
    args.update(overrides)
    return TrainingJob(stack, "Train", **args)


@pytest.fixture(scope="module")
def default():
    return scenario(gpu_job)


@pytest.fixture(scope="module")
def vpc_job():
    def build(stack):
        vpc = ec2.Vpc(
            stack,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            ],
        )
        ec2.FlowLog(stack, "FlowLog", resource_type=ec2.FlowLogResourceType.from_vpc(vpc))
        repo = ecr.Repository(stack, "Repo", image_scan_on_push=True)
        lake = DataLake(stack, "Lake")
        return TrainingJob(
            stack,
            "Custom",
            lake=lake,
            image=SageMakerImage.from_ecr_repository(repo, "v3"),
            instance_type="ml.m5.xlarge",
            instance_count=2,
            volume_size_gb=100,
            max_runtime=Duration.hours(6),
            channels=[
                InputChannel("train", "features/train/", distribution=S3Distribution.SHARDED_BY_S3_KEY),
                InputChannel("extra", "extra/", zone=Zone.CURATED, input_mode=InputMode.FAST_FILE),
            ],
            vpc=vpc,
            metric_definitions=[MetricDefinition("validation:rmse", r"val_rmse=([0-9.]+)")],
            job_name_prefix="custom-train",
            retry_attempts=2,
            environment={"LOG_LEVEL": "INFO"},
            output_prefix="models/custom/",
        )

    return scenario(build)


def test_request_is_valid_and_secure(default):
    job = default.built
    request = default.resolve(job.request(hyperparameters={"max_depth": 7}))
    assert default.request_problems("CreateTrainingJob", job.request()) == []
    assert request["HyperParameters"]["max_depth"] == "7"
    assert request["HyperParameters"]["tree_method"] == "gpu_hist"
    assert request["EnableNetworkIsolation"] is True
    assert request["EnableInterContainerTrafficEncryption"] is True
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 7200, "MaxWaitTimeInSeconds": 14400}
    assert request["ResourceConfig"]["InstanceType"] == "ml.g5.2xlarge"
    # g5 has local NVMe storage: encrypted in hardware, SageMaker rejects a volume key for it
    assert "VolumeKmsKeyId" not in request["ResourceConfig"]
    assert "KmsKeyId" in request["OutputDataConfig"]
    assert request["CheckpointConfig"]["LocalPath"] == "/opt/ml/checkpoints"
    image = request["AlgorithmSpecification"]["TrainingImage"]
    assert {
        "Fn::FindInMap": ["SageMakerImageRegistries", {"Ref": "AWS::Region"}, "SagemakerXgboostV1p7r1"]
    } in (image["Fn::Join"][1])


def test_state_machine_runs_the_job_and_validates(default):
    assert default.state_machine_problems() == {"TrainStateMachine31AC156C:CreateTrainingJob": []}
    definition = default.definition("TrainStateMachine")
    train = find_state(definition, "Train")
    assert train["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")
    params = train["Parameters"]
    assert params["TrainingJobName.$"].startswith("States.Format('Test-Train-")
    assert "States.UUID()" in params["TrainingJobName.$"]
    assert params["HyperParameters.$"].startswith("States.JsonMerge(States.StringToJson('\\{")
    assert params["HyperParameters.$"].endswith("$.hyperparameters, false)")
    assert "$$.Execution.Name" in params["CheckpointConfig"]["S3Uri.$"]
    assert find_state(definition, "Input")["Parameters"]["input.$"].startswith("States.JsonMerge(")


def test_state_machine_is_logged_traced_and_least_privilege(default):
    t = default.template
    t.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like({"Level": "ALL"}),
        },
    )
    t.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": Match.any_value()})
    policies = [
        s
        for p in t.find_resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {a for s in policies for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:StopTrainingJob",
    } <= actions
    assert not any(a.endswith(":*") or a == "*" for a in actions)
    (pass_role,) = [s for s in policies if s["Action"] == "iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    (events,) = [s for s in policies if "events:PutRule" in s["Action"]]
    assert "StepFunctionsGetEventsForSageMakerTrainingJobsRule" in str(events["Resource"])
    (create,) = [s for s in policies if "sagemaker:CreateTrainingJob" in s["Action"]]
    assert "training-job/test-train-" in str(create["Resource"])  # lowercase, as SageMaker's ARNs


def test_execution_role_is_scoped(default):
    role = default.template.find_resources(
        "AWS::IAM::Role",
        {
            "Properties": {
                "AssumeRolePolicyDocument": Match.object_like(
                    {"Statement": [Match.object_like({"Principal": {"Service": "sagemaker.amazonaws.com"}})]}
                )
            }
        },
    )
    assert len(role) == 1
    text = str(default.json["Resources"])
    assert "/aws/sagemaker/TrainingJobs:*" in text
    assert "kms:CreateGrant" not in text  # no volume key on a local-storage instance


def test_compliance(default, vpc_job):
    assert default.problems == []
    assert vpc_job.problems == []


def test_vpc_custom_image_request(vpc_job):
    job = vpc_job.built
    assert vpc_job.request_problems("CreateTrainingJob", job.request(job_name="custom-train-1")) == []
    request = vpc_job.resolve(job.request())
    assert request["TrainingJobName"] == "custom-train-manual"
    assert len(request["VpcConfig"]["Subnets"]) == 2
    assert request["ResourceConfig"]["VolumeKmsKeyId"]  # m5 is EBS-only: the lake key encrypts it
    assert request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataDistributionType"] == (
        "ShardedByS3Key"
    )
    assert request["InputDataConfig"][1]["InputMode"] == "FastFile"
    assert request["AlgorithmSpecification"]["MetricDefinitions"][0]["Name"] == "validation:rmse"
    assert request["RetryStrategy"] == {"MaximumRetryAttempts": 2}
    assert "CheckpointConfig" not in request
    assert all(v == [] for v in vpc_job.state_machine_problems().values())
    text = str(vpc_job.json["Resources"])
    assert "ecr:BatchGetImage" in text and "ec2:CreateNetworkInterface" in text and "kms:CreateGrant" in text
    vpc_job.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress", {"IpProtocol": "-1", "SourceSecurityGroupId": Match.any_value()}
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"instance_type": "ml.m5.xlarge"},
            "a GPU instance type with gpu=True (ml.m5.xlarge is a CPU instance)",
        ),
        ({"instance_type": "ml.trn1.2xlarge"}, "Trainium/Inferentia accelerator, not a GPU"),
        ({"instance_type": "g5.2xlarge"}, "did you mean 'ml.g5.2xlarge'?"),
        ({"instance_type": "ml.g5.3xlarge"}, "a SageMaker TrainingInstanceType"),
        (
            {"spot": SpotTraining(max_wait=Duration.hours(1)), "max_runtime": Duration.hours(2)},
            "invalid spot.max_wait='3600 seconds'; allowed: >= max_runtime (7200 seconds)",
        ),
        ({"max_runtime": Duration.days(29)}, "invalid max_runtime"),
        ({"volume_size_gb": 0}, "invalid volume_size_gb=0"),
        ({"instance_count": 0}, "invalid instance_count=0"),
        ({"channels": []}, "1-20 input channels"),
        ({"channels": [InputChannel("a b", "x/")]}, "invalid channels.name='a b'"),
        ({"channels": [InputChannel("a", "x/"), InputChannel("a", "y/")]}, "unique channel names"),
        ({"metric_definitions": [MetricDefinition("m", "x=(.*)")]}, "none for built-in algorithms"),
        ({"job_name_prefix": "bad_prefix"}, "invalid job_name_prefix='bad_prefix'"),
        ({"hyperparameters": {"k": [1]}}, "a string, number or boolean"),
        ({"retry_attempts": 31}, "invalid retry_attempts=31"),
    ],
)
def test_bad_arguments(overrides, message):
    stack = Stack(App(), "Bad")
    with pytest.raises(ValueError, match="Bad/Train: invalid") as error:
        gpu_job(stack, **overrides)
    assert message in str(error.value)
