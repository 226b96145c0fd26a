"""Inventory: every resource of every stack, and whether it exists in the emulator.

The resources come from the synthesized templates (the cloud assembly) and their physical ids
from CloudFormation's ``describe_stack_resources``; each one is then looked up through its own
service's API (``s3 head_bucket``, ``lambda get_function``, ``firehose describe_delivery_stream``,
``glue get_job``, ``sagemaker describe_notebook_instance`` ...), not through CloudFormation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import api


class Missing(Exception):
    """The service API answered, but the resource is not (fully) there."""


@dataclass(frozen=True)
class ResourceCheck:
    stack: str
    logical_id: str
    type: str
    physical_id: str
    present: bool
    detail: str
    retained: bool = False  # DeletionPolicy Retain: outlives the stack
    probe: Probe | None = field(default=None, compare=False, repr=False)


@dataclass
class Inventory:
    rows: list[ResourceCheck] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[ResourceCheck]:
        return [row for row in self.rows if not row.present]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.missing

    def format(self) -> str:
        lines = [
            f"INVENTORY: {len(self.rows)} resources in {len(self.stacks)} stack(s): {', '.join(self.stacks)}"
        ]
        width_id = max((len(r.logical_id) for r in self.rows), default=10)
        width_type = max((len(r.type) for r in self.rows), default=10)
        for row in sorted(self.rows, key=lambda r: (r.stack, r.type, r.logical_id)):
            mark = "ok     " if row.present else "MISSING"
            lines.append(f"  {mark} {row.type:<{width_type}} {row.logical_id:<{width_id}} {row.detail}")
        present = len(self.rows) - len(self.missing)
        lines.append(f"{present}/{len(self.rows)} present in the emulator; {len(self.missing)} missing")
        return "\n".join(lines)


@dataclass(frozen=True)
class Probe:
    """What a check gets: the resource's physical id and (resolved where simple) properties."""

    physical_id: str
    properties: dict[str, Any]
    region: str

    def client(self, service: str) -> Any:
        return api.client(service, self.region)


Check = Callable[[Probe], str]


def stacks_in_assembly(assembly: Path) -> list[tuple[str, dict[str, Any]]]:
    """(stack name, template) of every stack in a cloud assembly directory."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    found = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        template = json.loads((assembly / properties["templateFile"]).read_text())
        found.append((properties.get("stackName", artifact_id), template))
    return found


def take_inventory(assembly: Path, *, region: str = api.REGION) -> Inventory:
    """Check every resource of every stack in ``assembly`` against the emulator's APIs."""
    inventory = Inventory()
    cloudformation = api.client("cloudformation", region)
    for stack_name, template in stacks_in_assembly(Path(assembly)):
        inventory.stacks.append(stack_name)
        try:
            described = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
        except Exception as error:  # the stack itself is not there
            described = []
            stack_error = f"stack {stack_name}: {_short(error)}"
        else:
            stack_error = ""
        # (moto lists a resource it skipped as an entry without ids)
        physical = {
            r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for r in described
            if "LogicalResourceId" in r
        }
        for logical_id, resource in template.get("Resources", {}).items():
            kind = resource["Type"]
            retained = resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
            row = dict(stack=stack_name, logical_id=logical_id, type=kind, retained=retained)
            if logical_id not in physical:
                detail = stack_error or "not created (moto's CloudFormation skipped it: type not taught?)"
                inventory.rows.append(ResourceCheck(**row, physical_id="", present=False, detail=detail))
                continue
            pid = physical[logical_id]
            if kind not in CHECKS:
                detail = "no inventory check for this type"
                inventory.rows.append(ResourceCheck(**row, physical_id=pid, present=False, detail=detail))
                continue
            probe = Probe(pid, _resolve(resource.get("Properties", {}), physical, region), region)
            present, detail = _run_check(kind, probe)
            inventory.rows.append(
                ResourceCheck(**row, physical_id=pid, present=present, detail=detail, probe=probe)
            )
    return inventory


def still_present(inventory: Inventory) -> list[ResourceCheck]:
    """The resources of an earlier inventory that still exist (after a destroy), except those
    that outlive their stack by design (DeletionPolicy Retain, account-level settings)."""
    left = []
    for row in inventory.rows:
        if row.probe is None or row.retained or row.type in OUTLIVE_STACK:
            continue
        present, detail = _run_check(row.type, row.probe)
        if present:
            left.append(ResourceCheck(**{**row.__dict__, "detail": detail}))
    return left


def _run_check(kind: str, probe: Probe) -> tuple[bool, str]:
    try:
        return True, CHECKS[kind](probe) or probe.physical_id
    except Exception as error:
        return False, _short(error)


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:200]


def _resolve(value: Any, physical: dict[str, str], region: str) -> Any:
    """Refs (and Fn::GetAtt X.Arn, as X's id) replaced by physical ids; other intrinsics: None."""
    pseudo = {"AWS::AccountId": api.ACCOUNT_ID, "AWS::Region": region, "AWS::Partition": "aws"}
    if isinstance(value, dict):
        if "Ref" in value:
            return pseudo.get(value["Ref"], physical.get(value["Ref"]))
        if "Fn::GetAtt" in value:
            target, attribute = value["Fn::GetAtt"][0], value["Fn::GetAtt"][1]
            return physical.get(target) if attribute == "Arn" else None
        if any(key.startswith("Fn::") for key in value):
            return None
        return {k: _resolve(v, physical, region) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, physical, region) for v in value]
    return value


def _name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if arn.startswith("arn:") else arn


# ---------------------------------------------------------------------------- the checks


def _s3_bucket(p: Probe) -> str:
    p.client("s3").head_bucket(Bucket=p.physical_id)
    return f"s3 bucket {p.physical_id}"


def _s3_bucket_policy(p: Probe) -> str:
    bucket = p.properties.get("Bucket") or p.physical_id
    policy = json.loads(p.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])
    return f"policy on {bucket}: {len(policy.get('Statement', []))} statement(s)"


def _kms_key(p: Probe) -> str:
    key = p.client("kms").describe_key(KeyId=p.physical_id)["KeyMetadata"]
    if key["KeyState"] != "Enabled":
        raise Missing(f"key {p.physical_id} is {key['KeyState']}")
    rotation = p.client("kms").get_key_rotation_status(KeyId=p.physical_id)["KeyRotationEnabled"]
    return f"kms key {p.physical_id} (rotation {'on' if rotation else 'off'})"


def _kms_alias(p: Probe) -> str:
    aliases = p.client("kms").list_aliases()["Aliases"]
    if not any(a["AliasName"] == p.physical_id for a in aliases):
        raise Missing(f"no alias {p.physical_id}")
    return f"alias {p.physical_id}"


def _iam_role(p: Probe) -> str:
    role = p.client("iam").get_role(RoleName=p.physical_id)["Role"]
    return f"role {role['Arn']}"


def _iam_policy(p: Probe) -> str:
    iam = p.client("iam")
    name = p.properties.get("PolicyName")
    for role in p.properties.get("Roles") or []:
        iam.get_role_policy(RoleName=role, PolicyName=name)
    for user in p.properties.get("Users") or []:
        iam.get_user_policy(UserName=user, PolicyName=name)
    for group in p.properties.get("Groups") or []:
        iam.get_group_policy(GroupName=group, PolicyName=name)
    return f"inline policy {name} on {', '.join(p.properties.get('Roles') or [])}"


def _iam_managed_policy(p: Probe) -> str:
    p.client("iam").get_policy(PolicyArn=p.physical_id)
    return f"managed policy {p.physical_id}"


def _lambda_function(p: Probe) -> str:
    config = p.client("lambda").get_function(FunctionName=p.physical_id)["Configuration"]
    return f"function {config['FunctionName']} ({config.get('Runtime', '')})"


def _lambda_permission(p: Probe) -> str:
    function = p.properties.get("FunctionName")
    policy = json.loads(p.client("lambda").get_policy(FunctionName=function)["Policy"])
    if not any(s.get("Sid") == p.physical_id for s in policy.get("Statement", [])):
        raise Missing(f"no statement {p.physical_id} in the policy of {function}")
    return f"statement {p.physical_id} on {function}"


def _lambda_event_invoke_config(p: Probe) -> str:
    function = p.properties.get("FunctionName")
    config = p.client("lambda").get_function_event_invoke_config(FunctionName=function)
    return f"event invoke config on {function} (retries {config.get('MaximumRetryAttempts')})"


def _log_group(p: Probe) -> str:
    groups = p.client("logs").describe_log_groups(logGroupNamePrefix=p.physical_id)["logGroups"]
    group = next((g for g in groups if g["logGroupName"] == p.physical_id), None)
    if group is None:
        raise Missing(f"no log group {p.physical_id}")
    return f"log group {p.physical_id} (retention {group.get('retentionInDays', 'never expires')} days)"


def _log_stream(p: Probe) -> str:
    group = p.properties.get("LogGroupName")
    streams = p.client("logs").describe_log_streams(logGroupName=group, logStreamNamePrefix=p.physical_id)
    if not any(s["logStreamName"] == p.physical_id for s in streams["logStreams"]):
        raise Missing(f"no log stream {p.physical_id} in {group}")
    return f"log stream {group}/{p.physical_id}"


def _metric_filter(p: Probe) -> str:
    group = p.properties.get("LogGroupName")
    filters = p.client("logs").describe_metric_filters(logGroupName=group, filterNamePrefix=p.physical_id)
    found = [f for f in filters["metricFilters"] if f["filterName"] == p.physical_id]
    if not found:
        raise Missing(f"no metric filter {p.physical_id} on {group}")
    metric = found[0]["metricTransformations"][0]
    return f"metric filter {p.physical_id} -> {metric['metricNamespace']}/{metric['metricName']}"


def _sqs_queue(p: Probe) -> str:
    arn = p.client("sqs").get_queue_attributes(QueueUrl=p.physical_id, AttributeNames=["QueueArn"])
    return f"queue {arn['Attributes']['QueueArn']}"


def _sqs_queue_policy(p: Probe) -> str:
    for url in p.properties.get("Queues") or []:
        found = p.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
        if not found.get("Attributes", {}).get("Policy"):
            raise Missing(f"no policy on {url}")
    return f"policy on {len(p.properties.get('Queues') or [])} queue(s)"


def _sns_topic(p: Probe) -> str:
    p.client("sns").get_topic_attributes(TopicArn=p.physical_id)
    return f"topic {p.physical_id}"


def _sns_topic_policy(p: Probe) -> str:
    for arn in p.properties.get("Topics") or []:
        policy = p.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"].get("Policy", "")
        if "__default_policy_ID" in policy or not policy:
            raise Missing(f"topic {arn} has the default policy")
    return f"policy on {len(p.properties.get('Topics') or [])} topic(s)"


def _sns_subscription(p: Probe) -> str:
    attributes = p.client("sns").get_subscription_attributes(SubscriptionArn=p.physical_id)["Attributes"]
    return f"subscription {attributes.get('Protocol')} -> {attributes.get('Endpoint')}"


def _events_rule(p: Probe) -> str:
    events = p.client("events")
    bus = p.properties.get("EventBusName")
    name = _name_from_arn(p.physical_id).split("|")[-1]
    kwargs = {"EventBusName": bus} if bus else {}
    events.describe_rule(Name=name, **kwargs)
    targets = events.list_targets_by_rule(Rule=name, **kwargs)["Targets"]
    expected = len(p.properties.get("Targets") or [])
    if len(targets) != expected:
        raise Missing(f"rule {name} has {len(targets)} of {expected} targets")
    return f"rule {name} ({len(targets)} target(s))"


def _schedule(p: Probe) -> str:
    group = p.properties.get("GroupName")
    p.client("scheduler").get_schedule(Name=p.physical_id, **({"GroupName": group} if group else {}))
    return f"schedule {p.physical_id}"


def _alarm(p: Probe) -> str:
    alarms = p.client("cloudwatch").describe_alarms(AlarmNames=[p.physical_id])["MetricAlarms"]
    if not alarms:
        raise Missing(f"no alarm {p.physical_id}")
    return f"alarm {p.physical_id} ({alarms[0].get('MetricName', 'metric math')})"


def _glue_database(p: Probe) -> str:
    p.client("glue").get_database(Name=p.physical_id)
    return f"glue database {p.physical_id}"


def _glue_table(p: Probe) -> str:
    database = p.properties.get("DatabaseName")
    p.client("glue").get_table(DatabaseName=database, Name=p.physical_id)
    return f"glue table {database}.{p.physical_id}"


def _glue_job(p: Probe) -> str:
    job = p.client("glue").get_job(JobName=p.physical_id)["Job"]
    return f"glue job {p.physical_id} ({job.get('GlueVersion', '')} {job.get('WorkerType', '')})".strip()


def _glue_crawler(p: Probe) -> str:
    p.client("glue").get_crawler(Name=p.physical_id)
    return f"glue crawler {p.physical_id}"


def _glue_security_configuration(p: Probe) -> str:
    p.client("glue").get_security_configuration(Name=p.physical_id)
    return f"glue security configuration {p.physical_id}"


def _glue_trigger(p: Probe) -> str:
    trigger = p.client("glue").get_trigger(Name=p.physical_id)["Trigger"]
    return f"glue trigger {p.physical_id} ({trigger.get('Type')})"


def _kinesis_stream(p: Probe) -> str:
    summary = p.client("kinesis").describe_stream_summary(StreamName=p.physical_id)[
        "StreamDescriptionSummary"
    ]
    return f"kinesis stream {p.physical_id} ({summary.get('StreamStatus')})"


def _delivery_stream(p: Probe) -> str:
    stream = p.client("firehose").describe_delivery_stream(DeliveryStreamName=p.physical_id)
    return f"firehose {p.physical_id} ({stream['DeliveryStreamDescription']['DeliveryStreamStatus']})"


def _video_stream(p: Probe) -> str:
    info = p.client("kinesisvideo").describe_stream(StreamName=p.physical_id)["StreamInfo"]
    return f"video stream {p.physical_id} ({info.get('Status')})"


def _dms(operation: str, key: str, filter_name: str) -> Check:
    def check(p: Probe) -> str:
        found = getattr(p.client("dms"), operation)(
            Filters=[{"Name": filter_name, "Values": [p.physical_id]}]
        )[key]
        if not found:
            raise Missing(f"no {filter_name} {p.physical_id}")
        return f"dms {p.physical_id}"

    return check


def _secret(p: Probe) -> str:
    secret = p.client("secretsmanager").describe_secret(SecretId=p.physical_id)
    if secret.get("DeletedDate"):
        raise Missing(f"secret {p.physical_id} is scheduled for deletion")
    return f"secret {secret['Name']}"


def _ec2(operation: str, key: str, ids: str) -> Check:
    def check(p: Probe) -> str:
        found = getattr(p.client("ec2"), operation)(**{ids: [p.physical_id]})[key]
        if not found:
            raise Missing(f"no {p.physical_id}")
        state = found[0].get("State")
        if state in ("deleted", "deleting", "failed"):
            raise Missing(f"{p.physical_id} is {state}")
        return f"{p.physical_id}"

    return check


def _route_table_association(p: Probe) -> str:
    tables = p.client("ec2").describe_route_tables(
        Filters=[{"Name": "association.route-table-association-id", "Values": [p.physical_id]}]
    )["RouteTables"]
    associations = [
        a for t in tables for a in t.get("Associations", []) if a["RouteTableAssociationId"] == p.physical_id
    ]
    if not associations:
        raise Missing(f"no route table association {p.physical_id}")
    return f"{associations[0].get('SubnetId')} -> {associations[0]['RouteTableId']}"


def _route(p: Probe) -> str:
    table = p.properties.get("RouteTableId")
    routes = p.client("ec2").describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    destination = p.properties.get("DestinationCidrBlock") or p.properties.get("DestinationIpv6CidrBlock")
    if not any(
        destination in (r.get("DestinationCidrBlock"), r.get("DestinationIpv6CidrBlock")) for r in routes
    ):
        raise Missing(f"no route to {destination} in {table}")
    return f"route {destination} in {table}"


def _gateway_attachment(p: Probe) -> str:
    gateway = p.properties.get("InternetGatewayId")
    vpc = p.properties.get("VpcId")
    if gateway:
        found = p.client("ec2").describe_internet_gateways(InternetGatewayIds=[gateway])["InternetGateways"]
        if not any(a.get("VpcId") == vpc for a in found[0].get("Attachments", [])):
            raise Missing(f"{gateway} not attached to {vpc}")
        return f"{gateway} attached to {vpc}"
    return f"vpn gateway attached to {vpc}"


def _eip(p: Probe) -> str:
    ec2 = p.client("ec2")
    if p.physical_id.startswith("eipalloc-"):
        ec2.describe_addresses(AllocationIds=[p.physical_id])
    else:
        ec2.describe_addresses(PublicIps=[p.physical_id])
    return f"elastic ip {p.physical_id}"


def _security_group_rule(p: Probe) -> str:
    rules = p.client("ec2").describe_security_group_rules(SecurityGroupRuleIds=[p.physical_id])[
        "SecurityGroupRules"
    ]
    if not rules:
        raise Missing(f"no rule {p.physical_id}")
    return f"rule {p.physical_id} on {rules[0]['GroupId']}"


def _workgroup(p: Probe) -> str:
    group = p.client("athena").get_work_group(WorkGroup=p.physical_id)["WorkGroup"]
    return f"athena workgroup {p.physical_id} ({group.get('State')})"


def _emr_serverless(p: Probe) -> str:
    app = p.client("emr-serverless").get_application(applicationId=p.physical_id)["application"]
    if app["state"] in ("TERMINATED",):
        raise Missing(f"application {p.physical_id} is {app['state']}")
    return f"emr serverless {app['name']} ({app['state']})"


def _sagemaker(operation: str, parameter: str, name_property: str) -> Check:
    def check(p: Probe) -> str:
        name = p.properties.get(name_property) or _name_from_arn(p.physical_id)
        found = getattr(p.client("sagemaker"), operation)(**{parameter: name})
        status = next((v for k, v in found.items() if k.endswith("Status") and isinstance(v, str)), "")
        return f"sagemaker {name} {status}".strip()

    return check


def _domain(p: Probe) -> str:
    domain = p.client("sagemaker").describe_domain(DomainId=p.physical_id)
    return f"studio domain {domain['DomainId']} ({domain.get('Status')})"


def _user_profile(p: Probe) -> str:
    domain, name = p.physical_id.split("/")[-2:]  # arn:...:user-profile/<domain id>/<name>
    profile = p.client("sagemaker").describe_user_profile(DomainId=domain, UserProfileName=name)
    return f"studio user {name} ({profile.get('Status')})"


def _state_machine(p: Probe) -> str:
    machine = p.client("stepfunctions").describe_state_machine(stateMachineArn=p.physical_id)
    return f"state machine {machine['name']} ({machine.get('status')})"


def _scalable_target(p: Probe) -> str:
    resource_id, dimension, namespace = p.physical_id.split("|")
    found = p.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace=namespace, ResourceIds=[resource_id], ScalableDimension=dimension
    )["ScalableTargets"]
    if not found:
        raise Missing(f"no scalable target {p.physical_id}")
    return f"scalable target {resource_id} {found[0]['MinCapacity']}-{found[0]['MaxCapacity']}"


def _scaling_policy(p: Probe) -> str:
    target = p.properties.get("ScalingTargetId")
    namespace = str(target).split("|")[-1] if target else p.properties.get("ServiceNamespace")
    name = p.properties.get("PolicyName")
    found = p.client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace=namespace, PolicyNames=[name]
    )["ScalingPolicies"]
    if not found:
        raise Missing(f"no scaling policy {name}")
    return f"scaling policy {name} ({found[0]['PolicyType']})"


def _rest_api(p: Probe) -> str:
    return f"rest api {p.client('apigateway').get_rest_api(restApiId=p.physical_id)['name']}"


def _api_resource(p: Probe) -> str:
    found = p.client("apigateway").get_resource(
        restApiId=p.properties.get("RestApiId"), resourceId=p.physical_id
    )
    return f"resource {found['path']}"


def _api_method(p: Probe) -> str:
    api_id, resource_id, method = p.physical_id.split("|")
    p.client("apigateway").get_method(restApiId=api_id, resourceId=resource_id, httpMethod=method)
    return f"method {method} on {resource_id}"


def _api_deployment(p: Probe) -> str:
    p.client("apigateway").get_deployment(restApiId=p.properties.get("RestApiId"), deploymentId=p.physical_id)
    return f"deployment {p.physical_id}"


def _api_stage(p: Probe) -> str:
    p.client("apigateway").get_stage(restApiId=p.properties.get("RestApiId"), stageName=p.physical_id)
    return f"stage {p.physical_id}"


def _api_account(p: Probe) -> str:
    account = p.client("apigateway").get_account()
    if p.properties.get("CloudWatchRoleArn") and not account.get("cloudwatchRoleArn"):
        raise Missing("no CloudWatch role on the API Gateway account")
    return f"api gateway account (role {account.get('cloudwatchRoleArn', '-')})"


def _api_validator(p: Probe) -> str:
    found = p.client("apigateway").get_request_validator(
        restApiId=p.properties.get("RestApiId"), requestValidatorId=p.physical_id
    )
    return f"request validator {found['name']}"


def _ecr_repository(p: Probe) -> str:
    p.client("ecr").describe_repositories(repositoryNames=[p.physical_id])
    return f"ecr repository {p.physical_id}"


OUTLIVE_STACK = frozenset({"AWS::CDK::Metadata", "AWS::ApiGateway::Account"})
"""Types that are no service resource of their own, or outlive the stack on AWS too."""


def _cdk_metadata(p: Probe) -> str:
    return "CDK metadata (a CloudFormation record, no service resource)"


CHECKS: dict[str, Check] = {
    "AWS::S3::Bucket": _s3_bucket,
    "AWS::S3::BucketPolicy": _s3_bucket_policy,
    "AWS::KMS::Key": _kms_key,
    "AWS::KMS::Alias": _kms_alias,
    "AWS::IAM::Role": _iam_role,
    "AWS::IAM::Policy": _iam_policy,
    "AWS::IAM::ManagedPolicy": _iam_managed_policy,
    "AWS::Lambda::Function": _lambda_function,
    "AWS::Lambda::Permission": _lambda_permission,
    "AWS::Lambda::EventInvokeConfig": _lambda_event_invoke_config,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::Logs::LogStream": _log_stream,
    "AWS::Logs::MetricFilter": _metric_filter,
    "AWS::SQS::Queue": _sqs_queue,
    "AWS::SQS::QueuePolicy": _sqs_queue_policy,
    "AWS::SNS::Topic": _sns_topic,
    "AWS::SNS::TopicPolicy": _sns_topic_policy,
    "AWS::SNS::Subscription": _sns_subscription,
    "AWS::Events::Rule": _events_rule,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::Glue::Database": _glue_database,
    "AWS::Glue::Table": _glue_table,
    "AWS::Glue::Job": _glue_job,
    "AWS::Glue::Crawler": _glue_crawler,
    "AWS::Glue::SecurityConfiguration": _glue_security_configuration,
    "AWS::Glue::Trigger": _glue_trigger,
    "AWS::Kinesis::Stream": _kinesis_stream,
    "AWS::KinesisFirehose::DeliveryStream": _delivery_stream,
    "AWS::KinesisVideo::Stream": _video_stream,
    "AWS::DMS::ReplicationConfig": _dms(
        "describe_replication_configs", "ReplicationConfigs", "replication-config-arn"
    ),
    "AWS::DMS::ReplicationInstance": _dms(
        "describe_replication_instances", "ReplicationInstances", "replication-instance-arn"
    ),
    "AWS::DMS::ReplicationSubnetGroup": _dms(
        "describe_replication_subnet_groups", "ReplicationSubnetGroups", "replication-subnet-group-id"
    ),
    "AWS::DMS::Endpoint": _dms("describe_endpoints", "Endpoints", "endpoint-arn"),
    "AWS::DMS::ReplicationTask": _dms(
        "describe_replication_tasks", "ReplicationTasks", "replication-task-arn"
    ),
    "AWS::SecretsManager::Secret": _secret,
    "AWS::EC2::VPC": _ec2("describe_vpcs", "Vpcs", "VpcIds"),
    "AWS::EC2::Subnet": _ec2("describe_subnets", "Subnets", "SubnetIds"),
    "AWS::EC2::RouteTable": _ec2("describe_route_tables", "RouteTables", "RouteTableIds"),
    "AWS::EC2::SubnetRouteTableAssociation": _route_table_association,
    "AWS::EC2::Route": _route,
    "AWS::EC2::InternetGateway": _ec2("describe_internet_gateways", "InternetGateways", "InternetGatewayIds"),
    "AWS::EC2::VPCGatewayAttachment": _gateway_attachment,
    "AWS::EC2::NatGateway": _ec2("describe_nat_gateways", "NatGateways", "NatGatewayIds"),
    "AWS::EC2::EIP": _eip,
    "AWS::EC2::SecurityGroup": _ec2("describe_security_groups", "SecurityGroups", "GroupIds"),
    "AWS::EC2::SecurityGroupIngress": _security_group_rule,
    "AWS::EC2::SecurityGroupEgress": _security_group_rule,
    "AWS::EC2::FlowLog": _ec2("describe_flow_logs", "FlowLogs", "FlowLogIds"),
    "AWS::EC2::VPCEndpoint": _ec2("describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointIds"),
    "AWS::Athena::WorkGroup": _workgroup,
    "AWS::EMRServerless::Application": _emr_serverless,
    "AWS::SageMaker::NotebookInstance": _sagemaker(
        "describe_notebook_instance", "NotebookInstanceName", "NotebookInstanceName"
    ),
    "AWS::SageMaker::NotebookInstanceLifecycleConfig": _sagemaker(
        "describe_notebook_instance_lifecycle_config",
        "NotebookInstanceLifecycleConfigName",
        "NotebookInstanceLifecycleConfigName",
    ),
    "AWS::SageMaker::Model": _sagemaker("describe_model", "ModelName", "ModelName"),
    "AWS::SageMaker::EndpointConfig": _sagemaker(
        "describe_endpoint_config", "EndpointConfigName", "EndpointConfigName"
    ),
    "AWS::SageMaker::Endpoint": _sagemaker("describe_endpoint", "EndpointName", "EndpointName"),
    "AWS::SageMaker::ModelPackageGroup": _sagemaker(
        "describe_model_package_group", "ModelPackageGroupName", "ModelPackageGroupName"
    ),
    "AWS::SageMaker::DataQualityJobDefinition": _sagemaker(
        "describe_data_quality_job_definition", "JobDefinitionName", "JobDefinitionName"
    ),
    "AWS::SageMaker::MonitoringSchedule": _sagemaker(
        "describe_monitoring_schedule", "MonitoringScheduleName", "MonitoringScheduleName"
    ),
    "AWS::SageMaker::Domain": _domain,
    "AWS::SageMaker::UserProfile": _user_profile,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::ApplicationAutoScaling::ScalableTarget": _scalable_target,
    "AWS::ApplicationAutoScaling::ScalingPolicy": _scaling_policy,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::ApiGateway::Resource": _api_resource,
    "AWS::ApiGateway::Method": _api_method,
    "AWS::ApiGateway::Deployment": _api_deployment,
    "AWS::ApiGateway::Stage": _api_stage,
    "AWS::ApiGateway::Account": _api_account,
    "AWS::ApiGateway::RequestValidator": _api_validator,
    "AWS::ECR::Repository": _ecr_repository,
    "AWS::CDK::Metadata": _cdk_metadata,
}
"""How to find each resource type in the emulator's service APIs."""
