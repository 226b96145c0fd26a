"""CloudFormation resource types taught to moto's CloudFormation, one class per type.

moto 5.2's CloudFormation silently skips the resource types it has no model for (and a
``Fn::GetAtt`` on a skipped resource fails the whole deploy). Each class here is such a model:
it works like CloudFormation's own resource handler, turning the resource's properties into
requests to the emulator's service API (:mod:`ml_constructs.local.api`), so the resource is
created, validated and stored by moto's own service backend, shows up in that service's API,
and ``Ref`` / ``Fn::GetAtt`` resolve to the values that API returned. Deleting the stack
deletes it. Updates change it in place where the API allows; a change CloudFormation
replaces for (``REPLACE_ON``, a new name) creates a new resource first (a new generated name)
and deletes the old one after the update, and fails for a custom name, as on AWS; a type the
emulator cannot update in place is recreated under the same name. A resource the template
names that exists already (``UNIQUE_NAME``) fails the create: a stack never takes one over.

Some of moto's own models are replaced too, where they broke the service's API, had no
physical id (``Ref`` returned a Python object) or no delete (a stack delete left them behind):
``AWS::S3::Bucket``, ``AWS::KMS::Key``, ``AWS::IAM::ManagedPolicy``, ``AWS::Lambda::Permission``, the EC2
networking types (route tables, routes, associations, gateways, EIPs, NAT gateways, flow logs,
endpoints, security group ingress), ``AWS::ECR::Repository`` and ``AWS::ApiGateway::RestApi``
/ ``Resource`` / ``Method`` / ``Deployment``.

One module per emulated service (``s3``, ``glue``, ...), the shared machinery in ``_base``.
Everything is re-exported here: ``from ml_constructs.local.models import TAUGHT, S3Bucket``.

How moto finds these: its parser lists ``CloudFormationModel.__subclasses__()`` (direct
subclasses only, hence ``class X(_Taught, CloudFormationModel)``) behind ``lru_cache``s that
:func:`ml_constructs.local.install` clears. moto's ``InstanceTrackerMeta`` files every model
class under ``cls.__module__.split(".")[1]``: here ``"local"`` (the second part of
``ml_constructs.local.models.s3``), a name no moto service uses.
"""

from __future__ import annotations

from ._base import _not_found, _Taught
from .apigateway import (
    ApiGatewayAccount,
    ApiGatewayDeployment,
    ApiGatewayMethod,
    ApiGatewayRequestValidator,
    ApiGatewayResource,
    ApiGatewayRestApi,
    ApiGatewayStage,
)
from .applicationautoscaling import ScalableTarget, ScalingPolicy
from .athena import AthenaWorkGroup
from .awslambda import LambdaEventInvokeConfig, LambdaPermission
from .cdk import CdkMetadata
from .cloudwatch import CloudWatchAlarm
from .dms import (
    DmsEndpoint,
    DmsReplicationConfig,
    DmsReplicationInstance,
    DmsReplicationSubnetGroup,
    DmsReplicationTask,
)
from .ec2 import (
    Ec2Eip,
    Ec2FlowLog,
    Ec2InternetGateway,
    Ec2NatGateway,
    Ec2Route,
    Ec2RouteTable,
    Ec2SecurityGroupEgress,
    Ec2SecurityGroupIngress,
    Ec2SubnetRouteTableAssociation,
    Ec2VpcEndpoint,
    Ec2VpcGatewayAttachment,
)
from .ecr import EcrRepository
from .emrserverless import EmrServerlessApplication
from .firehose import FirehoseDeliveryStream
from .glue import GlueCrawler, GlueDatabase, GlueJob, GlueSecurityConfiguration, GlueTable, GlueTrigger
from .iam import IamManagedPolicy
from .kinesisvideo import KinesisVideoStream
from .kms import KmsKey
from .logs import LogsLogStream, LogsMetricFilter
from .s3 import S3Bucket, S3BucketPolicy
from .sagemaker import SageMakerDomain, SageMakerModelPackageGroup, SageMakerUserProfile
from .scheduler import SchedulerSchedule
from .secretsmanager import SecretsManagerSecret
from .sns import SnsSubscription, SnsTopicPolicy
from .sqs import SqsQueuePolicy

TAUGHT: tuple[type[_Taught], ...] = (
    KmsKey,
    S3Bucket,
    S3BucketPolicy,
    IamManagedPolicy,
    LambdaPermission,
    LambdaEventInvokeConfig,
    LogsLogStream,
    LogsMetricFilter,
    SqsQueuePolicy,
    SnsTopicPolicy,
    SnsSubscription,
    SchedulerSchedule,
    CloudWatchAlarm,
    GlueDatabase,
    GlueTable,
    GlueJob,
    GlueCrawler,
    GlueSecurityConfiguration,
    GlueTrigger,
    FirehoseDeliveryStream,
    KinesisVideoStream,
    DmsReplicationSubnetGroup,
    DmsReplicationInstance,
    DmsEndpoint,
    DmsReplicationTask,
    DmsReplicationConfig,
    SecretsManagerSecret,
    Ec2RouteTable,
    Ec2Route,
    Ec2InternetGateway,
    Ec2VpcGatewayAttachment,
    Ec2Eip,
    Ec2NatGateway,
    Ec2FlowLog,
    Ec2VpcEndpoint,
    Ec2SubnetRouteTableAssociation,
    Ec2SecurityGroupIngress,
    Ec2SecurityGroupEgress,
    AthenaWorkGroup,
    EmrServerlessApplication,
    SageMakerModelPackageGroup,
    SageMakerDomain,
    SageMakerUserProfile,
    ScalableTarget,
    ScalingPolicy,
    ApiGatewayRestApi,
    ApiGatewayResource,
    ApiGatewayDeployment,
    ApiGatewayMethod,
    ApiGatewayStage,
    ApiGatewayAccount,
    ApiGatewayRequestValidator,
    EcrRepository,
    CdkMetadata,
)
"""Every taught model, in definition order (moto lists them in that order too)."""

__all__ = [
    "ApiGatewayAccount",
    "ApiGatewayDeployment",
    "ApiGatewayMethod",
    "ApiGatewayRequestValidator",
    "ApiGatewayResource",
    "ApiGatewayRestApi",
    "ApiGatewayStage",
    "AthenaWorkGroup",
    "CdkMetadata",
    "CloudWatchAlarm",
    "DmsEndpoint",
    "DmsReplicationConfig",
    "DmsReplicationInstance",
    "DmsReplicationSubnetGroup",
    "DmsReplicationTask",
    "Ec2Eip",
    "Ec2FlowLog",
    "Ec2InternetGateway",
    "Ec2NatGateway",
    "Ec2Route",
    "Ec2RouteTable",
    "Ec2SecurityGroupEgress",
    "Ec2SecurityGroupIngress",
    "Ec2SubnetRouteTableAssociation",
    "Ec2VpcEndpoint",
    "Ec2VpcGatewayAttachment",
    "EcrRepository",
    "EmrServerlessApplication",
    "FirehoseDeliveryStream",
    "GlueCrawler",
    "GlueDatabase",
    "GlueJob",
    "GlueSecurityConfiguration",
    "GlueTable",
    "GlueTrigger",
    "IamManagedPolicy",
    "KinesisVideoStream",
    "KmsKey",
    "LambdaEventInvokeConfig",
    "LambdaPermission",
    "LogsLogStream",
    "LogsMetricFilter",
    "S3Bucket",
    "S3BucketPolicy",
    "SageMakerDomain",
    "SageMakerModelPackageGroup",
    "SageMakerUserProfile",
    "ScalableTarget",
    "ScalingPolicy",
    "SchedulerSchedule",
    "SecretsManagerSecret",
    "SnsSubscription",
    "SnsTopicPolicy",
    "SqsQueuePolicy",
    "TAUGHT",
    "_Taught",
    "_not_found",
]
