"""Which CloudFormation types moto's CloudFormation knows, which are taught here, which are missing.

``python -m ml_constructs.local types`` prints the table for :data:`TARGET_TYPES` (the types
the full reference app uses) plus any other type found in a cloud assembly (``--assembly``).
"""

from __future__ import annotations

from dataclasses import dataclass

TARGET_TYPES: tuple[str, ...] = (
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Logs::LogGroup",
    "AWS::Logs::LogStream",
    "AWS::Logs::MetricFilter",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::Events::Rule",
    "AWS::Scheduler::Schedule",
    "AWS::CloudWatch::Alarm",
    "AWS::Glue::Database",
    "AWS::Glue::Table",
    "AWS::Glue::Job",
    "AWS::Glue::Crawler",
    "AWS::Glue::SecurityConfiguration",
    "AWS::Glue::Trigger",
    "AWS::Kinesis::Stream",
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::KinesisVideo::Stream",
    "AWS::DMS::ReplicationConfig",
    "AWS::DMS::ReplicationInstance",
    "AWS::DMS::ReplicationSubnetGroup",
    "AWS::DMS::Endpoint",
    "AWS::DMS::ReplicationTask",
    "AWS::SecretsManager::Secret",
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::Route",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::NatGateway",
    "AWS::EC2::EIP",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::FlowLog",
    "AWS::EC2::VPCEndpoint",
    "AWS::Athena::WorkGroup",
    "AWS::EMRServerless::Application",
    "AWS::SageMaker::NotebookInstance",
    "AWS::SageMaker::NotebookInstanceLifecycleConfig",
    "AWS::SageMaker::Model",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::Endpoint",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::SageMaker::Domain",
    "AWS::SageMaker::UserProfile",
    "AWS::StepFunctions::StateMachine",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ECR::Repository",
    "AWS::CDK::Metadata",
)
"""Every resource type the full reference app uses (CDK's own metadata included)."""


@dataclass(frozen=True)
class TypeSupport:
    type: str
    in_moto: bool  # moto 5.2's CloudFormation has a model for it
    taught: bool  # ml_constructs.local.models has one (and it is the one in use)
    checked: bool  # the inventory can look it up in the service API

    @property
    def status(self) -> str:
        if self.taught:
            return "taught (replaces moto's)" if self.in_moto else "taught"
        return "moto" if self.in_moto else "MISSING"


def type_support(types: tuple[str, ...] | list[str] = TARGET_TYPES) -> list[TypeSupport]:
    """Support of each type: moto's own model list is read before the taught models are used."""
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel

    from . import models
    from .inventory import CHECKS
    from .server import install

    own = {
        cls.cloudformation_type()
        for cls in CloudFormationModel.__subclasses__()
        if not issubclass(cls, models._Taught)
    }
    install()
    model_map = parsing.get_model_map()
    taught = {cls.TYPE for cls in models.TAUGHT}
    return [
        TypeSupport(
            t, t in own, t in taught and issubclass(model_map.get(t, object), models._Taught), t in CHECKS
        )
        for t in types
    ]


def format_support(rows: list[TypeSupport]) -> str:
    width = max(len(r.type) for r in rows)
    lines = [f"{'type':<{width}}  {'support':<25} inventory check"]
    for row in rows:
        lines.append(f"{row.type:<{width}}  {row.status:<25} {'yes' if row.checked else 'NO'}")
    counts = {s: sum(1 for r in rows if r.status.startswith(s)) for s in ("moto", "taught", "MISSING")}
    lines.append(
        f"{len(rows)} types: {counts['moto']} from moto, {counts['taught']} taught here, "
        f"{counts['MISSING']} missing"
    )
    return "\n".join(lines)
