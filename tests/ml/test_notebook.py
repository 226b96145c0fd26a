"""Notebook: a private, encrypted notebook instance with our auto-stop, or a Studio domain."""

from __future__ import annotations

import base64
import json

import pytest
from aws_cdk import App, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match

from ml_constructs.core import secure_log_group
from ml_constructs.ml.notebook import Notebook, NotebookKind
from ml_constructs.runtime.lifecycle import MAX_CONTENT_CHARS, on_start_script
from ml_constructs.store.data_lake import DataLake, Zone
from tests.harness import scenario


def private_vpc(stack: Stack, lake: DataLake) -> ec2.Vpc:
    """A VPC with private subnets and encrypted flow logs (cdk-nag VPC7)."""
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    vpc.add_flow_log(
        "FlowLog",
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(
            secure_log_group(stack, "FlowLogs", encryption_key=lake.encryption_key)
        ),
    )
    return vpc


def resources(scenario_, type_: str) -> dict:
    return {k: v for k, v in scenario_.json["Resources"].items() if v["Type"] == type_}


def role_statements(scenario_, role) -> list[dict]:
    """Every statement of the IAM policies attached to ``role``."""
    ref = {"Ref": scenario_.stack.get_logical_id(role.node.default_child)}
    return [
        statement
        for policy in resources(scenario_, "AWS::IAM::Policy").values()
        if ref in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.fixture(scope="module")
def instance():
    def build(stack: Stack) -> Notebook:
        lake = DataLake(stack, "Lake")
        return Notebook(stack, "Explore", lake=lake, vpc=private_vpc(stack, lake))

    return scenario(build)


@pytest.fixture(scope="module")
def studio():
    def build(stack: Stack) -> Notebook:
        lake = DataLake(stack, "Lake")
        return Notebook(
            stack,
            "Studio",
            lake=lake,
            vpc=private_vpc(stack, lake),
            kind=NotebookKind.STUDIO,
            idle_minutes=120,
            instance_type="ml.m5.large",
            volume_size_gb=50,
            user_profile_name="analyst",
        )

    return scenario(build)


@pytest.fixture(scope="module")
def custom():
    """Non-default arguments, bring-your-own security group, auto-stop off, read-only."""

    def build(stack: Stack) -> Notebook:
        lake = DataLake(stack, "Lake", removal_policy=RemovalPolicy.DESTROY)
        vpc = private_vpc(stack, lake)
        group = ec2.SecurityGroup(stack, "Mine", vpc=vpc, allow_all_outbound=False)
        return Notebook(
            stack,
            "Gpu",
            lake=lake,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_group=group,
            instance_type="ml.g5.xlarge",
            volume_size_gb=200,
            idle_minutes=None,
            platform="notebook-al2023-v1",
            read_zones=(Zone.RAW,),
            write_zone=None,
            sagemaker_api_endpoint=True,
        )

    return scenario(build)


# -- notebook instance -----------------------------------------------------------------------
def test_instance_is_private_encrypted_and_locked_down(instance):
    nb = instance.built
    instance.template.has_resource_properties(
        "AWS::SageMaker::NotebookInstance",
        {
            "InstanceType": "ml.t3.medium",
            "VolumeSizeInGB": 20,
            "DirectInternetAccess": "Disabled",
            "RootAccess": "Disabled",
            "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
            "PlatformIdentifier": "notebook-al2-v3",
            "KmsKeyId": instance.resolve(nb.lake.encryption_key.key_arn),
            "SubnetId": instance.resolve(nb.subnet_ids[0]),
            "SecurityGroupIds": [instance.resolve(nb.security_group.security_group_id)],
            "RoleArn": instance.resolve(nb.role.role_arn),
            "LifecycleConfigName": {
                "Fn::GetAtt": [
                    instance.stack.get_logical_id(nb.lifecycle_config),
                    "NotebookInstanceLifecycleConfigName",
                ]
            },
        },
    )
    # the lake's RETAIN applies to the instance (its volume holds work)
    instance.template.has_resource("AWS::SageMaker::NotebookInstance", {"DeletionPolicy": "Retain"})
    # in a private subnet of the VPC
    assert nb.subnet_ids[0] in [s.subnet_id for s in nb.node.scope.node.find_child("Vpc").private_subnets]


def test_instance_lifecycle_installs_the_auto_stop(instance):
    (config,) = resources(instance, "AWS::SageMaker::NotebookInstanceLifecycleConfig").values()
    (hook,) = config["Properties"]["OnStart"]
    assert len(hook["Content"]) <= MAX_CONTENT_CHARS
    script = base64.b64decode(hook["Content"]).decode()
    assert script == on_start_script(60) == instance.built.on_start_script
    assert "OnCreate" not in config["Properties"]  # the root volume is new at every start


def test_instance_role_is_least_privilege(instance):
    nb = instance.built
    template = instance.json
    text = json.dumps(template)
    assert "AmazonSageMakerFullAccess" not in text
    role = template["Resources"][instance.stack.get_logical_id(nb.role.node.default_child)]
    assert "ManagedPolicyArns" not in role["Properties"]
    # it may stop this instance only (Ref of a notebook instance is its ARN)
    instance.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": ["sagemaker:StopNotebookInstance", "sagemaker:DescribeNotebookInstance"],
                        "Effect": "Allow",
                        "Resource": {"Ref": instance.stack.get_logical_id(nb.notebook_instance)},
                    }
                ]
            }
        },
    )
    statements = [
        s
        for policy in resources(instance, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if policy["Properties"]["Roles"]
        == [{"Ref": instance.stack.get_logical_id(nb.role.node.default_child)}]
    ]
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert "*" not in actions and not any(a.endswith(":*") for a in actions)
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    (write,) = writes
    assert write["Resource"]["Fn::Join"][1][-1] == "/notebooks/*"
    reads = [s for s in statements if "s3:GetObject*" in s["Action"]]
    assert len(reads) == 3  # processed, curated, models
    # the instance starts with its grants in place
    instance.template.has_resource(
        "AWS::SageMaker::NotebookInstance",
        {
            "DependsOn": [
                instance.stack.get_logical_id(nb.role.node.find_child("DefaultPolicy").node.default_child)
            ]
        },
    )


def test_instance_security_group_allows_https_out_only(instance):
    instance.template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupDescription": Match.string_like_regexp("Notebook"),
            "SecurityGroupEgress": [Match.object_like({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443})],
        },
    )
    groups = [
        g
        for g in resources(instance, "AWS::EC2::SecurityGroup").values()
        if "Notebook" in g["Properties"]["GroupDescription"]
    ]
    assert all("SecurityGroupIngress" not in g["Properties"] for g in groups)


def test_instance_is_compliant(instance):
    # cdk-nag SM1 (VPC), SM2 (KMS), SM3 (no direct internet) hold by design: no acknowledgment
    assert instance.problems == []
    assert "AwsSolutions-SM" not in json.dumps(instance.json)


# -- non-default and bring-your-own --------------------------------------------------------
def test_custom_notebook(custom):
    nb = custom.built
    custom.template.has_resource_properties(
        "AWS::SageMaker::NotebookInstance",
        {
            "InstanceType": "ml.g5.xlarge",
            "VolumeSizeInGB": 200,
            "PlatformIdentifier": "notebook-al2023-v1",
            "SecurityGroupIds": [custom.resolve(nb.security_group.security_group_id)],
            "LifecycleConfigName": Match.absent(),
        },
    )
    custom.template.resource_count_is("AWS::SageMaker::NotebookInstanceLifecycleConfig", 0)
    assert nb.lifecycle_config is None and nb.on_start_script is None
    statements = json.dumps(role_statements(custom, nb.role))
    assert "sagemaker:StopNotebookInstance" not in statements
    assert "s3:PutObject" not in statements  # write_zone=None: read-only
    assert json.dumps(custom.resolve(nb.lake.raw_bucket.bucket_arn)) in statements
    custom.template.has_resource("AWS::SageMaker::NotebookInstance", {"DeletionPolicy": "Delete"})
    descriptions = [
        g["Properties"]["GroupDescription"] for g in resources(custom, "AWS::EC2::SecurityGroup").values()
    ]
    assert not any(d.startswith("Notebook") for d in descriptions)  # the one brought is used
    # the SageMaker API through the VPC, reachable from the notebook's group
    custom.template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".sagemaker.api"]]},
            "PrivateDnsEnabled": True,
            "VpcEndpointType": "Interface",
        },
    )
    custom.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {"FromPort": 443, "SourceSecurityGroupId": custom.resolve(nb.security_group.security_group_id)},
    )
    assert custom.problems == []


# -- Studio ------------------------------------------------------------------------------------
def test_studio_domain_shuts_idle_apps_down(studio):
    nb = studio.built
    idle = {"IdleSettings": {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 120}}
    studio.template.has_resource_properties(
        "AWS::SageMaker::Domain",
        {
            "AuthMode": "IAM",
            "AppNetworkAccessType": "VpcOnly",
            "KmsKeyId": studio.resolve(nb.lake.encryption_key.key_arn),
            "SubnetIds": [studio.resolve(s) for s in nb.subnet_ids],
            "DefaultUserSettings": Match.object_like(
                {
                    "ExecutionRole": studio.resolve(nb.role.role_arn),
                    "SecurityGroups": [studio.resolve(nb.security_group.security_group_id)],
                    "JupyterLabAppSettings": {
                        "AppLifecycleManagement": idle,
                        "DefaultResourceSpec": {"InstanceType": "ml.m5.large"},
                    },
                    "CodeEditorAppSettings": Match.object_like({"AppLifecycleManagement": idle}),
                    "SpaceStorageSettings": {
                        "DefaultEbsStorageSettings": {
                            "DefaultEbsVolumeSizeInGb": 50,
                            "MaximumEbsVolumeSizeInGb": 100,
                        }
                    },
                }
            ),
        },
    )
    studio.template.has_resource_properties(
        "AWS::SageMaker::UserProfile",
        {
            "DomainId": {"Fn::GetAtt": [studio.stack.get_logical_id(nb.domain), "DomainId"]},
            "UserProfileName": "analyst",
        },
    )
    studio.template.resource_count_is("AWS::SageMaker::NotebookInstance", 0)
    assert nb.notebook_instance is None and nb.user_profile is not None
    assert len(nb.subnet_ids) == 2


def test_studio_security_group_allows_nfs_and_apps_within_itself(studio):
    group = studio.resolve(studio.built.security_group.security_group_id)
    ingress = resources(studio, "AWS::EC2::SecurityGroupIngress").values()
    ports = {
        (r["Properties"]["FromPort"], r["Properties"]["ToPort"])
        for r in ingress
        if r["Properties"]["SourceSecurityGroupId"] == group
    }
    assert ports == {(2049, 2049), (8192, 65535)}


def test_studio_is_compliant(studio):
    assert studio.problems == []


# -- bad arguments ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fresh():
    app = App()
    stack = Stack(app, "Bad")
    lake = DataLake(stack, "Lake")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    counter = iter(range(1000))

    def make(**kwargs) -> Notebook:
        kwargs.setdefault("lake", lake)
        kwargs.setdefault("vpc", vpc)
        return Notebook(stack, f"Nb{next(counter)}", **kwargs)

    return make


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"instance_type": "ml.t3.nano"},
            r"invalid instance_type='ml.t3.nano'; allowed: a SageMaker InstanceType",
        ),
        ({"instance_type": "t3.medium"}, r"did you mean 'ml.t3.medium'"),
        ({"kind": NotebookKind.STUDIO, "instance_type": "system"}, r"invalid instance_type='system'"),
        ({"volume_size_gb": 4}, r"invalid volume_size_gb=4; allowed: 5..16384 GB"),
        ({"volume_size_gb": 16385}, r"invalid volume_size_gb=16385"),
        ({"idle_minutes": 4}, r"invalid idle_minutes=4; allowed: 5..10080 minutes"),
        ({"idle_minutes": 10081}, r"invalid idle_minutes=10081"),
        ({"idle_minutes": True}, r"invalid idle_minutes=True; allowed: a whole number of minutes, or None"),
        ({"idle_minutes": 30.0}, r"invalid idle_minutes=30.0"),
        (
            {"kind": NotebookKind.STUDIO, "idle_minutes": 30},
            r"invalid idle_minutes=30; allowed: 60..525600 minutes",
        ),
        ({"kind": "studio-ish"}, r"invalid kind='studio-ish'"),
        (
            {"platform": "notebook-al3-v1"},
            r"invalid platform='notebook-al3-v1'; allowed: one of notebook-al1-v1",
        ),
        ({"read_zones": ("raw",)}, r"invalid read_zones='raw'"),
        ({"write_zone": "curated"}, r"invalid write_zone='curated'"),
        ({"write_prefix": "/abs"}, r"invalid write_prefix='/abs'"),
        (
            {"kind": NotebookKind.STUDIO, "user_profile_name": "bad_name"},
            r"invalid user_profile_name='bad_name'",
        ),
        (
            {"vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)},
            r"invalid vpc_subnets='public subnets'",
        ),
    ],
)
def test_bad_arguments(fresh, kwargs, message):
    with pytest.raises(ValueError, match=message) as error:
        fresh(**kwargs)
    assert str(error.value).startswith("Bad/Nb")  # names the construct path
