"""ModelEndpoint: model -> endpoint config -> endpoint, autoscaling, alarms, API, workflow deploys."""

from __future__ import annotations

import json

import botocore.session
import pytest
from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match
from botocore.validate import ParamValidator

from ml_constructs.core import secure_log_group
from ml_constructs.core.state_machines import secure_state_machine
from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.model_endpoint import (
    ROLLED_BACK,
    Autoscaling,
    DataCapture,
    HttpsApi,
    ModelEndpoint,
    Rollout,
    ServerlessConfig,
)
from ml_constructs.ml.service_model import placeholders, validate_request
from ml_constructs.store.data_lake import DataLake, Zone
from tests.conftest import synth_stack
from tests.harness import scenario

XGBOOST = SageMakerImage.built_in("xgboost", "1.7-1")


def private_vpc(stack: Stack, lake: DataLake) -> ec2.Vpc:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    vpc.add_flow_log(
        "FlowLog",
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(
            secure_log_group(stack, "FlowLogs", encryption_key=lake.encryption_key)
        ),
    )
    return vpc


def only(scenario_, type_: str) -> dict:
    (resource,) = [r for r in scenario_.json["Resources"].values() if r["Type"] == type_]
    return resource["Properties"]


def role_statements(scenario_, role) -> list[dict]:
    ref = {"Ref": scenario_.stack.get_logical_id(role.node.default_child)}
    return [
        statement
        for r in scenario_.json["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and ref in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.fixture(scope="module")
def default():
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        endpoint = ModelEndpoint(stack, "Serve", lake=lake, image=XGBOOST, model_data="xgboost/model.tar.gz")
        caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
        endpoint.grant_invoke(caller)
        return endpoint, caller

    return scenario(build)


@pytest.fixture(scope="module")
def serverless():
    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        return ModelEndpoint(
            stack,
            "Serverless",
            lake=lake,
            image=SageMakerImage.from_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/scorer:1.0"),
            model_data="s3://model-bucket-example/scorer/model.tar.gz",
            serverless=ServerlessConfig(memory_size_mb=3072, max_concurrency=10, provisioned_concurrency=2),
            endpoint_name="scorer",
        )

    return scenario(build)


@pytest.fixture(scope="module")
def full():
    """GPU instances in a VPC, autoscaling, data capture to the models zone, a public API."""

    def build(stack: Stack):
        lake = DataLake(stack, "Lake", removal_policy=RemovalPolicy.DESTROY)
        topic = sns.Topic(stack, "Alarms", enforce_ssl=True, master_key=lake.encryption_key)
        endpoint = ModelEndpoint(
            stack,
            "Gpu",
            lake=lake,
            image=XGBOOST,
            model_data="xgboost/v2/model.tar.gz",
            environment={"SAGEMAKER_PROGRAM": "inference.py"},
            instance_type="ml.g5.xlarge",
            instance_count=2,
            autoscaling=Autoscaling(min_capacity=2, max_capacity=6, target_invocations_per_instance=250),
            data_capture=DataCapture(sampling_percentage=50, zone=Zone.MODELS, prefix="capture/"),
            vpc=private_vpc(stack, lake),
            latency_threshold=Duration.millis(250),
            alarm_topic=topic,
            variant_name="Blue",
            api=HttpsApi(
                rate_limit=20,
                burst_limit=40,
                request_schema={
                    "type": "object",
                    "required": ["instances"],
                    "properties": {"instances": {"type": "array", "items": {"type": "number"}}},
                },
            ),
        )
        client = iam.Role(stack, "Client", assumed_by=iam.AccountRootPrincipal())
        endpoint.grant_api_invoke(client)
        return endpoint

    return scenario(build)


@pytest.fixture(scope="module")
def workflow():
    """No artifact at deploy time: the workflow deploys models (and registers autoscaling)."""

    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        endpoint = ModelEndpoint(
            stack, "Serve", lake=lake, image=XGBOOST, models_prefix="training/", autoscaling=Autoscaling()
        )
        chain = endpoint.deploy_tasks(stack, "Deploy", model_data_path="$.training.ModelArtifacts")
        machine, _ = secure_state_machine(
            stack,
            "StateMachine",
            definition=chain,
            encryption_key=lake.encryption_key,
            timeout=Duration.hours(2),
            removal_policy=RemovalPolicy.RETAIN,
            retention=lake_retention(),
            purpose="deploy a model",
        )
        endpoint.grant_deploy(machine)
        return endpoint, machine

    return scenario(build)


def lake_retention():
    from ml_constructs.core import DEFAULT_LOG_RETENTION

    return DEFAULT_LOG_RETENTION


# -- CloudFormation endpoint ---------------------------------------------------------------------
def test_model_is_isolated_and_reads_its_artifact_from_the_models_zone(default):
    endpoint, _ = default.built
    model = only(default, "AWS::SageMaker::Model")
    assert "ModelName" not in model  # generated: a new model never clashes with the old one
    assert model["EnableNetworkIsolation"] is True
    assert model["ExecutionRoleArn"] == default.resolve(endpoint.role.role_arn)
    assert model["PrimaryContainer"]["Mode"] == "SingleModel"
    assert model["PrimaryContainer"]["ModelDataUrl"] == {
        "Fn::Join": [
            "",
            ["s3://", default.resolve(endpoint.lake.models_bucket.bucket_name), "/xgboost/model.tar.gz"],
        ]
    }
    image = json.dumps(model["PrimaryContainer"]["Image"])
    assert "sagemaker-xgboost:1.7-1" in image and "Fn::FindInMap" in image
    assert "VpcConfig" not in model


def test_endpoint_config_encrypts_and_captures(default):
    endpoint, _ = default.built
    config = only(default, "AWS::SageMaker::EndpointConfig")
    assert "EndpointConfigName" not in config
    key = default.resolve(endpoint.lake.encryption_key.key_arn)
    assert config["KmsKeyId"] == key
    assert config["ProductionVariants"] == [
        {
            "VariantName": "AllTraffic",
            "ModelName": {"Fn::GetAtt": [default.stack.get_logical_id(endpoint.model), "ModelName"]},
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
            "InitialVariantWeight": 1,
        }
    ]
    assert config["DataCaptureConfig"] == {
        "EnableCapture": True,
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": {
            "Fn::Join": [
                "",
                ["s3://", default.resolve(endpoint.lake.curated_bucket.bucket_name), "/data-capture/"],
            ]
        },
        "KmsKeyId": key,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {
            "CsvContentTypes": ["text/csv"],
            "JsonContentTypes": ["application/json"],
        },
    }


def test_endpoint_has_a_fixed_name_and_follows_the_config(default):
    endpoint, _ = default.built
    props = only(default, "AWS::SageMaker::Endpoint")
    assert props == {
        "EndpointName": endpoint.endpoint_name,
        "EndpointConfigName": {
            "Fn::GetAtt": [default.stack.get_logical_id(endpoint.endpoint_config), "EndpointConfigName"]
        },
    }
    assert endpoint.endpoint_name == "test-serve-" + endpoint.endpoint_name.rsplit("-", 1)[1]
    default.template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)


def test_cloudformation_properties_are_valid_sagemaker_requests(default):
    """Model and EndpointConfig properties are CreateModel / CreateEndpointConfig requests."""
    model = dict(only(default, "AWS::SageMaker::Model"), ModelName="m")
    config = dict(only(default, "AWS::SageMaker::EndpointConfig"), EndpointConfigName="c")
    assert validate_request("CreateModel", placeholders(model)) == []
    assert validate_request("CreateEndpointConfig", placeholders(config)) == []


def test_role_reads_the_artifact_writes_capture_and_nothing_more(default):
    endpoint, _ = default.built
    statements = role_statements(default, endpoint.role)
    text = json.dumps(statements)
    assert "/xgboost/model.tar.gz*" in text and "/data-capture/*" in text
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert "*" not in actions and not any(a.endswith(":*") for a in actions)
    assert "AmazonSageMakerFullAccess" not in json.dumps(default.json)
    # the model needs its grants when SageMaker validates it
    default.template.has_resource(
        "AWS::SageMaker::Model",
        {
            "DependsOn": [
                default.stack.get_logical_id(
                    endpoint.role.node.find_child("DefaultPolicy").node.default_child
                )
            ]
        },
    )


def test_alarms_on_5xx_and_latency(default):
    endpoint, _ = default.built
    dimensions = [
        {"Name": "EndpointName", "Value": endpoint.endpoint_name},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    default.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "Invocation5XXErrors",
            "Namespace": "AWS/SageMaker",
            "Dimensions": dimensions,
            "Threshold": 1,
        },
    )
    default.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ModelLatency",
            "ExtendedStatistic": "p90",
            "Threshold": 1_000_000,
            "Dimensions": dimensions,
        },
    )


def test_grant_invoke(default):
    endpoint, caller = default.built
    (statement,) = role_statements(default, caller)
    assert statement["Action"] == ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    assert statement["Resource"] == default.resolve(endpoint.endpoint_arn)


def test_default_is_compliant(default):
    assert default.problems == []


def test_a_new_model_replaces_model_and_config_and_updates_the_endpoint_in_place():
    def build(version: str):
        def inner(stack: Stack):
            lake = DataLake(stack, "Lake")
            return ModelEndpoint(
                stack, "Serve", lake=lake, image=XGBOOST, model_data=f"xgboost/{version}/model.tar.gz"
            )

        template, _ = synth_stack(inner)
        return template.to_json()["Resources"]

    old, new = build("v1"), build("v2")
    changed = {k for k in old if old[k] != new.get(k)}
    types = {old[k]["Type"] for k in changed}
    assert "AWS::SageMaker::Model" in types  # PrimaryContainer is create-only: replaced
    endpoint = [k for k, v in old.items() if v["Type"] == "AWS::SageMaker::Endpoint"]
    assert old[endpoint[0]]["Properties"]["EndpointName"] == new[endpoint[0]]["Properties"]["EndpointName"]
    for resource in list(old.values()) + list(new.values()):  # names generated, never fixed
        if resource["Type"] == "AWS::SageMaker::Model":
            assert "ModelName" not in resource["Properties"]
        if resource["Type"] == "AWS::SageMaker::EndpointConfig":
            assert "EndpointConfigName" not in resource["Properties"]


# -- serverless ------------------------------------------------------------------------------------
def test_serverless_variant(serverless):
    endpoint = serverless.built
    config = only(serverless, "AWS::SageMaker::EndpointConfig")
    (variant,) = config["ProductionVariants"]
    assert variant["ServerlessConfig"] == {
        "MemorySizeInMB": 3072,
        "MaxConcurrency": 10,
        "ProvisionedConcurrency": 2,
    }
    assert "InstanceType" not in variant and "InitialInstanceCount" not in variant
    assert "KmsKeyId" not in config  # no ML storage volume
    assert "DataCaptureConfig" not in config  # not supported by serverless endpoints
    model = only(serverless, "AWS::SageMaker::Model")
    assert model["EnableNetworkIsolation"] is False
    assert model["PrimaryContainer"]["ModelDataUrl"] == "s3://model-bucket-example/scorer/model.tar.gz"
    assert model["PrimaryContainer"]["Image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/scorer:1.0"
    assert only(serverless, "AWS::SageMaker::Endpoint")["EndpointName"] == "scorer"
    statements = json.dumps(role_statements(serverless, endpoint.role))
    assert ":s3:::model-bucket-example/scorer/model.tar.gz" in statements
    assert "arn:aws:ecr:eu-west-1:123456789012:repository/scorer" in statements
    assert validate_request("CreateEndpointConfig", placeholders(dict(config, EndpointConfigName="c"))) == []


def test_serverless_is_compliant(serverless):
    assert serverless.problems == []


# -- everything on -----------------------------------------------------------------------------------
def test_full_model_in_vpc_with_local_storage_instances(full):
    endpoint = full.built
    model = only(full, "AWS::SageMaker::Model")
    assert model["VpcConfig"] == {
        "SecurityGroupIds": [full.resolve(g.security_group_id) for g in endpoint.security_groups],
        "Subnets": [full.resolve(s) for s in endpoint.subnet_ids],
    }
    assert model["PrimaryContainer"]["Environment"] == {"SAGEMAKER_PROGRAM": "inference.py"}
    config = only(full, "AWS::SageMaker::EndpointConfig")
    assert "KmsKeyId" not in config  # g5 has local NVMe storage: SageMaker refuses a volume key
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.g5.xlarge"
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 2
    capture = config["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 50
    assert capture["KmsKeyId"] == full.resolve(
        endpoint.lake.encryption_key.key_arn
    )  # captured data stays encrypted
    assert capture["DestinationS3Uri"]["Fn::Join"][1][-1] == "/capture/"
    assert "ec2:CreateNetworkInterface" in json.dumps(role_statements(full, endpoint.role))


def test_full_autoscaling_tracks_invocations_per_instance(full):
    endpoint = full.built
    target = only(full, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target == {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{endpoint.endpoint_name}/variant/Blue",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "MinCapacity": 2,
        "MaxCapacity": 6,
    }  # no RoleARN: Application Auto Scaling's SageMaker service-linked role
    full.template.has_resource(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {"DependsOn": [full.stack.get_logical_id(endpoint.endpoint)]},
    )
    full.template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": {"Ref": full.stack.get_logical_id(endpoint.scalable_target)},
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 250,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
            },
        },
    )


def test_full_alarms_notify_the_topic(full):
    full.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ModelLatency", "Threshold": 250_000, "AlarmActions": [Match.any_value()]},
    )


def test_full_public_api(full):
    endpoint = full.built
    api_id = {"Ref": full.stack.get_logical_id(endpoint.api.node.default_child)}
    method = only(full, "AWS::ApiGateway::Method")
    assert method["AuthorizationType"] == "AWS_IAM"
    assert method["HttpMethod"] == "POST"
    assert method["RequestParameters"] == {
        "method.request.header.Content-Type": True,
        "method.request.header.Accept": False,
    }
    assert "RequestValidatorId" in method and "RequestModels" in method
    integration = method["Integration"]
    assert integration["Type"] == "AWS" and integration["IntegrationHttpMethod"] == "POST"
    assert f":runtime.sagemaker:path/endpoints/{endpoint.endpoint_name}/invocations" in json.dumps(
        integration["Uri"]
    )
    assert integration["Credentials"] == full.resolve(endpoint.api_role.role_arn)
    assert only(full, "AWS::ApiGateway::RequestValidator") == {
        "RestApiId": api_id,
        "ValidateRequestBody": True,
        "ValidateRequestParameters": True,
    }
    stage = only(full, "AWS::ApiGateway::Stage")
    assert stage["MethodSettings"] == [
        {
            "DataTraceEnabled": False,
            "HttpMethod": "*",
            "LoggingLevel": "ERROR",
            "MetricsEnabled": True,
            "ResourcePath": "/*",
            "ThrottlingBurstLimit": 40,
            "ThrottlingRateLimit": 20,
        }
    ]
    assert stage["TracingEnabled"] is True
    assert stage["AccessLogSetting"]["DestinationArn"] == full.resolve(
        endpoint.access_log_group.log_group_arn
    )
    # both log groups encrypted with the lake key
    full.template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "LogGroupName": {"Fn::Join": ["", ["API-Gateway-Execution-Logs_", api_id, "/v1"]]},
            "KmsKeyId": full.resolve(endpoint.lake.encryption_key.key_arn),
        },
    )
    # the API's role may invoke this endpoint only
    (statement,) = role_statements(full, endpoint.api_role)
    assert statement["Resource"] == full.resolve(endpoint.endpoint_arn)
    # one account logging role per stack, retained
    full.template.has_resource("AWS::ApiGateway::Account", {"DeletionPolicy": "Retain"})
    association = only(full, "AWS::WAFv2::WebACLAssociation")
    assert association["WebACLArn"] == {"Fn::GetAtt": [full.stack.get_logical_id(endpoint.web_acl), "Arn"]}
    rules = only(full, "AWS::WAFv2::WebACL")["Rules"]
    assert [r["Name"] for r in rules] == [
        "RequestsPerIp",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    ]


def test_full_api_invoke_grant(full):
    endpoint = full.built
    client = full.stack.node.find_child("Client")
    (statement,) = role_statements(full, client)
    assert statement["Action"] == "execute-api:Invoke"
    assert "/v1/POST/invocations" in json.dumps(statement["Resource"])
    assert endpoint.api_url is not None


def test_full_is_compliant(full):
    # APIG1-APIG6 by design; COG4 acknowledged (IAM authorization, with the reason in the report)
    assert full.problems == []


# -- workflow-deployed endpoint --------------------------------------------------------------------
def test_workflow_endpoint_creates_no_sagemaker_resources(workflow):
    endpoint, _ = workflow.built
    for type_ in ("Model", "EndpointConfig", "Endpoint"):
        workflow.template.resource_count_is(f"AWS::SageMaker::{type_}", 0)
    workflow.template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)
    assert endpoint.model is None and endpoint.endpoint is None
    # the role may read trained models
    assert "/training/*" in json.dumps(role_statements(workflow, endpoint.role))


def test_workflow_deploy_states(workflow):
    definition = workflow.definition("StateMachine")
    states = definition["States"]
    assert definition["StartAt"] == "Deploy Create model"
    prefix = workflow.built[0].name_prefix
    name = f"States.Format('{prefix}-{{}}', States.Hash($$.Execution.Name, 'MD5'))"
    create_model = states["Deploy Create model"]
    assert create_model["Resource"].endswith(":states:::sagemaker:createModel")
    assert create_model["Parameters"]["ModelName.$"] == name
    assert create_model["Parameters"]["PrimaryContainer"]["ModelDataUrl.$"] == "$.training.ModelArtifacts"
    config = states["Deploy Create endpoint config"]["Parameters"]
    assert config["EndpointConfigName.$"] == name and config["ProductionVariants"][0]["ModelName.$"] == name
    find = states["Deploy Find endpoint"]
    assert find["Next"] == "Deploy Update endpoint"
    assert find["Catch"] == [
        {"ErrorEquals": ["States.TaskFailed"], "ResultPath": None, "Next": "Deploy Create endpoint"}
    ]
    for state in ("Deploy Create endpoint", "Deploy Update endpoint"):
        assert states[state]["Parameters"]["EndpointConfigName.$"] == name
        assert states[state]["Next"] == "Deploy Wait for endpoint"
    choice = states["Deploy Endpoint ready?"]
    assert choice["Choices"][0] == {
        "And": [
            {"Variable": "$.deployment.EndpointStatus", "StringEquals": "InService"},
            {
                "Variable": "$.deployment.EndpointConfigName",
                "StringEqualsPath": "$.deployment.DeployingConfigName",
            },
        ],
        "Next": "Deploy Register autoscaling",
    }
    # in service on another config: rolled back
    assert choice["Choices"][1] == {
        "Variable": "$.deployment.EndpointStatus",
        "StringEquals": "InService",
        "Next": "Deploy Describe rollback",
    }
    assert choice["Default"] == "Deploy Wait for endpoint"
    assert states["Deploy Track invocations per instance"]["Next"] == "Deploy Endpoint in service"


def test_workflow_sagemaker_requests_are_valid(workflow):
    problems = workflow.state_machine_problems()
    operations = {key.split(":")[1] for key in problems}
    assert operations == {
        "CreateModel",
        "CreateEndpointConfig",
        "DescribeEndpoint",
        "CreateEndpoint",
        "UpdateEndpoint",
    }
    assert all(p == [] for p in problems.values()), problems


def test_workflow_autoscaling_requests_are_valid(workflow):
    model = botocore.session.get_session().get_service_model("application-autoscaling")
    states = workflow.definition("StateMachine")["States"]
    for state, operation in (
        ("Deploy Register autoscaling", "RegisterScalableTarget"),
        ("Deploy Track invocations per instance", "PutScalingPolicy"),
    ):
        assert states[state]["Resource"].endswith(
            ":states:::aws-sdk:applicationautoscaling:" + operation[0].lower() + operation[1:]
        )
        report = ParamValidator().validate(
            states[state]["Parameters"], model.operation_model(operation).input_shape
        )
        assert not report.has_errors(), report.generate_report()


def test_workflow_grants_are_scoped(workflow):
    endpoint, machine = workflow.built
    text = json.dumps(role_statements(workflow, machine.role))
    prefix = endpoint.name_prefix
    assert f":model/{prefix}-*" in text and f":endpoint-config/{prefix}-*" in text
    assert f":endpoint/{endpoint.endpoint_name}" in text
    assert "iam:PassRole" in text and "sagemaker.amazonaws.com" in text
    assert "application-autoscaling:RegisterScalableTarget" in text
    assert "kms:GrantIsForAWSResource" in text


def test_workflow_is_compliant(workflow):
    assert workflow.problems == []


# -- bad arguments ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fresh():
    app = App()
    stack = Stack(app, "Bad")
    lake = DataLake(stack, "Lake")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    counter = iter(range(1000))

    def make(**kwargs) -> ModelEndpoint:
        kwargs.setdefault("lake", lake)
        kwargs.setdefault("image", XGBOOST)
        if kwargs.pop("with_vpc", False):
            kwargs["vpc"] = vpc
        return ModelEndpoint(stack, f"Ep{next(counter)}", **kwargs)

    return make


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"serverless": ServerlessConfig(memory_size_mb=512)},
            r"invalid serverless.memory_size_mb=512; allowed: 1024..6144 MB",
        ),
        ({"serverless": ServerlessConfig(memory_size_mb=7168)}, r"invalid serverless.memory_size_mb=7168"),
        ({"serverless": ServerlessConfig(memory_size_mb=1500)}, r"1024..6144 MB in steps of 1024 MB"),
        (
            {"serverless": ServerlessConfig(max_concurrency=0)},
            r"invalid serverless.max_concurrency=0; allowed: 1..200",
        ),
        ({"serverless": ServerlessConfig(max_concurrency=201)}, r"invalid serverless.max_concurrency=201"),
        (
            {"serverless": ServerlessConfig(max_concurrency=5, provisioned_concurrency=6)},
            r"invalid serverless.provisioned_concurrency=6; allowed: 1..5",
        ),
        (
            {"serverless": ServerlessConfig(), "autoscaling": Autoscaling()},
            r"invalid autoscaling=.*serverless endpoints scale",
        ),
        ({"serverless": ServerlessConfig(), "with_vpc": True}, r"invalid vpc=.*do not run in a VPC"),
        (
            {"serverless": ServerlessConfig(), "data_capture": DataCapture()},
            r"invalid data_capture=.*None with serverless",
        ),
        ({"serverless": ServerlessConfig(), "network_isolation": True}, r"invalid network_isolation=True"),
        (
            {"autoscaling": Autoscaling(min_capacity=5, max_capacity=2)},
            r"invalid autoscaling.min_capacity/max_capacity=\(5, 2\); allowed: min_capacity <= max_capacity",
        ),
        ({"autoscaling": Autoscaling(min_capacity=0)}, r"invalid autoscaling.min_capacity=0"),
        (
            {"autoscaling": Autoscaling(min_capacity=2), "instance_count": 1},
            r"invalid instance_count=1; allowed: within",
        ),
        (
            {"instance_type": "ml.t3.medium"},
            r"invalid instance_type='ml.t3.medium'; allowed: a SageMaker ProductionVariantInstanceType",
        ),
        ({"instance_type": "m5.large"}, r"did you mean 'ml.m5.large'"),
        ({"instance_count": 0}, r"invalid instance_count=0"),
        (
            {"data_capture": DataCapture(sampling_percentage=101)},
            r"invalid data_capture.sampling_percentage=101; allowed: 0..100",
        ),
        (
            {"data_capture": DataCapture(zone=Zone.RAW)},
            r"invalid data_capture.zone=.*Zone.CURATED or Zone.MODELS",
        ),
        ({"data_capture": DataCapture(prefix="")}, r"invalid data_capture.prefix=''"),
        ({"model_data": "/xgboost/model.tar.gz"}, r"invalid model_data='/xgboost/model.tar.gz'"),
        ({"model_data": "xgboost/"}, r"invalid model_data='xgboost/'"),
        ({"model_data": "s3://x"}, r"invalid model_data='s3://x'"),
        ({"endpoint_name": "bad_name"}, r"invalid endpoint_name='bad_name'"),
        ({"variant_name": "-x"}, r"invalid variant_name='-x'"),
        ({"latency_threshold": Duration.millis(0)}, r"invalid latency_threshold=0"),
        ({"security_groups": [object()]}, r"invalid security_groups='given without vpc'"),
        ({"environment": {"1BAD": "x"}}, r"invalid CreateModel=.*does not match the pattern"),
        ({"api": HttpsApi(stage_name="v-1")}, r"invalid api.stage_name='v-1'"),
        ({"api": HttpsApi(rate_limit=0)}, r"invalid api.rate_limit=0"),
        ({"image": "xgboost"}, r"invalid image='xgboost'"),
    ],
)
def test_bad_arguments(fresh, kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        fresh(**kwargs)
    assert str(error.value).startswith("Bad/Ep")


def test_deploy_tasks_refuses_a_cloudformation_endpoint(fresh):
    endpoint = fresh(model_data="xgboost/model.tar.gz")
    with pytest.raises(ValueError, match=r"invalid deploy_tasks=.*model_data=None"):
        endpoint.deploy_tasks(endpoint, "Deploy", model_data_path="$.x")


def test_deploy_tasks_wants_a_json_path(fresh):
    endpoint = fresh()
    with pytest.raises(ValueError, match=r"invalid model_data_path='training'"):
        endpoint.deploy_tasks(endpoint, "Deploy", model_data_path="training")


def test_grant_api_invoke_needs_an_api(fresh):
    endpoint = fresh()
    with pytest.raises(ValueError, match=r"invalid grant_api_invoke='no api'"):
        endpoint.grant_api_invoke(iam.AccountRootPrincipal())


# -- safe rollout ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rollout():
    """A CloudFormation endpoint with a canary and a workflow endpoint with linear steps."""

    def build(stack: Stack):
        lake = DataLake(stack, "Lake")
        canary = ModelEndpoint(
            stack,
            "Canary",
            lake=lake,
            image=XGBOOST,
            model_data="xgboost/model.tar.gz",
            instance_count=2,
            rollout=Rollout.canary(10, wait=Duration.minutes(5), bake_time=Duration.minutes(15)),
        )
        linear = ModelEndpoint(
            stack,
            "Linear",
            lake=lake,
            image=XGBOOST,
            instance_count=4,
            rollout=Rollout.linear(step_instances=1, wait=Duration.minutes(2), timeout=Duration.hours(1)),
        )
        chain = linear.deploy_tasks(stack, "Deploy", model_data_path="$.training.ModelArtifacts")
        machine, _ = secure_state_machine(
            stack,
            "StateMachine",
            definition=chain,
            encryption_key=lake.encryption_key,
            timeout=Duration.hours(2),
            removal_policy=RemovalPolicy.RETAIN,
            retention=lake_retention(),
            purpose="deploy a model",
        )
        linear.grant_deploy(machine)
        return canary, linear, machine

    return scenario(build)


def _alarm_refs(scenario_, endpoint) -> list[dict]:
    return [{"AlarmName": scenario_.resolve(a.alarm_name)} for a in endpoint.alarms]


def test_rollout_cloudformation_endpoint_has_a_canary_with_rollback_on_its_alarms(rollout):
    canary, _, _ = rollout.built
    assert len(canary.alarms) == 3 and canary.model_error_alarm in canary.alarms
    props = rollout.one("AWS::SageMaker::Endpoint")
    assert props["DeploymentConfig"] == {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                "WaitIntervalInSeconds": 300,
            },
            "TerminationWaitInSeconds": 900,
        },
        "AutoRollbackConfiguration": {"Alarms": _alarm_refs(rollout, canary)},
    }
    assert (
        rollout.request_problems("UpdateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c", **props})
        == []
    )


def test_rollout_model_error_alarm(rollout):
    rollout.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "InvocationModelErrors", "Namespace": "AWS/SageMaker", "Threshold": 1},
    )
    # SageMaker reads the rollback alarms as the execution role
    canary, _, _ = rollout.built
    described = [
        s for s in role_statements(rollout, canary.role) if s["Action"] == "cloudwatch:DescribeAlarms"
    ]
    assert described and len(described[0]["Resource"]) == 3


def test_rollout_update_state_is_linear_and_validated(rollout):
    _, linear, _ = rollout.built
    states = rollout.definition("StateMachine")["States"]
    update = states["Deploy Update endpoint"]
    assert update["Resource"].endswith(":states:::sagemaker:updateEndpoint")
    config = update["Parameters"]["DeploymentConfig"]
    assert config["BlueGreenUpdatePolicy"] == {
        "TrafficRoutingConfiguration": {
            "Type": "LINEAR",
            "LinearStepSize": {"Type": "INSTANCE_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 120,
        },
        "TerminationWaitInSeconds": 600,
        "MaximumExecutionTimeoutInSeconds": 3600,
    }
    assert len(config["AutoRollbackConfiguration"]["Alarms"]) == 3
    assert all(p == [] for p in rollout.state_machine_problems().values())
    assert states["Deploy Endpoint rolled back"] == {
        "Type": "Fail",
        "Error": "EndpointDeploymentRolledBack",
        "CausePath": (
            f"States.Format('The endpoint {linear.endpoint_name} rolled back to the endpoint config {{}} "
            "(a rollback alarm fired during the deployment): {}', $.deployment.EndpointConfigName, "
            "$.deployment.FailureReason)"
        ),
    }
    assert states["Deploy Rollback reason?"]["Choices"][0]["IsPresent"] is True
    failed = [
        c for c in states["Deploy Endpoint ready?"]["Choices"] if c.get("Next") == "Deploy Endpoint failed"
    ]
    assert {c["StringEquals"] for c in failed[0]["Or"]} == {"Failed", "OutOfService", "UpdateRollbackFailed"}
    assert ROLLED_BACK == "EndpointDeploymentRolledBack"


def test_rollout_grant_deploy_reads_the_alarms(rollout):
    _, linear, machine = rollout.built
    statements = role_statements(rollout, machine.role)
    described = [s for s in statements if s["Action"] == "cloudwatch:DescribeAlarms"]
    assert len(described) == 1 and len(described[0]["Resource"]) == 3
    assert not any("sagemaker:ListTags" in json.dumps(s["Action"]) for s in statements)


def test_rollout_is_compliant(rollout):
    assert rollout.problems == []


def test_all_at_once_rollout_keeps_a_bake_time():
    from ml_constructs.ml.endpoint_rollout import deployment_config

    config = deployment_config(Rollout.all_at_once(bake_time=Duration.minutes(20)), ["a"])
    assert config == {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
            "TerminationWaitInSeconds": 1200,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "a"}]},
    }
    assert (
        validate_request(
            "UpdateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c", "DeploymentConfig": config}
        )
        == []
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rollout": Rollout.canary(51)}, r"invalid rollout.percent=51; allowed: 1..50"),
        ({"rollout": Rollout.linear(5)}, r"invalid rollout.step_percent=5; allowed: 10..50"),
        ({"rollout": Rollout.canary(wait=Duration.hours(2))}, r"invalid rollout.wait=7200; allowed: 0..3600"),
        ({"rollout": Rollout.all_at_once(bake_time=Duration.hours(2))}, r"invalid rollout.bake_time=7200"),
        (
            {"rollout": Rollout.canary(timeout=Duration.minutes(5))},
            r"invalid rollout.timeout=300; allowed: 600..28800",
        ),
        (
            {"rollout": Rollout.canary(timeout=Duration.minutes(12))},
            r"invalid rollout.timeout=.*longer than the rollout's waits and bake time \(900 s\)",
        ),
        (
            {"rollout": Rollout.canary(instances=1)},
            r"invalid rollout.instances=1; allowed: a percentage: 1 instance",
        ),
        (
            {"rollout": Rollout.canary(instances=3), "instance_count": 4},
            r"invalid rollout.instances=3; allowed: 1..2",
        ),
        (
            {"rollout": Rollout.canary(instances=1), "serverless": ServerlessConfig()},
            r"invalid rollout.instances=1; allowed: a percentage with serverless",
        ),
        ({"rollout": Rollout.linear(), "instance_type": "ml.inf1.xlarge"}, r"invalid rollout=.*Inf1"),
        ({"rollout": "canary"}, r"invalid rollout='canary'; allowed: a Rollout"),
    ],
)
def test_bad_rollouts(fresh, kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        fresh(**kwargs)
    assert str(error.value).startswith("Bad/Ep")


def test_serverless_takes_a_percentage_rollout(fresh):
    endpoint = fresh(serverless=ServerlessConfig(), rollout=Rollout.linear(25))
    assert (
        endpoint.deployment_config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "LINEAR"
    )
