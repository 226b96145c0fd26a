"""ModelMonitor: hourly data-quality monitoring of a ModelEndpoint's captured requests.

SageMaker Model Monitor compares what an endpoint receives (its data capture) with a baseline
computed from the training data. Three pieces:

* the **baseline**: a processing job with Model Monitor's analyzer image over the baseline
  dataset (by default the feature script's ``features/baseline/``: the train split's features,
  no label, as the endpoint receives them) that writes ``statistics.json`` and
  ``constraints.json`` to a fixed prefix of the curated zone. The workflow runs it after
  training (:meth:`ModelMonitor.baseline_task`); no CloudFormation resource runs jobs.
* the ``AWS::SageMaker::DataQualityJobDefinition``: the analyzer over the endpoint's captured
  data against that baseline, reports to the lake, KMS, network isolation.
* the **schedule** (hourly by default). ``CreateMonitoringSchedule`` checks that the endpoint
  exists (SageMaker validates the endpoint of an ``EndpointInput``; see
  aws/sagemaker-python-sdk#4873). A workflow-deployed endpoint (``model_data=None``) exists only
  after the workflow's first deploy, so the schedule is then created by the workflow
  (:meth:`ModelMonitor.schedule_tasks`, idempotent, after every deploy); for an endpoint that
  CloudFormation owns, an ``AWS::SageMaker::MonitoringSchedule`` depends on it. The endpoint's
  name is fixed, so the schedule survives every workflow deploy (UpdateEndpoint keeps it).

Violations: each monitoring execution is a processing job; SageMaker ends one that found
violations with the exit message ``CompletedWithViolations``. An EventBridge rule matches those
jobs of this schedule (``SageMaker Processing Job State Change``), and a CloudWatch alarm on the
rule's ``AWS/Events`` ``MatchedEvents`` notifies ``alarm_topic``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Aws, CfnResource, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import check_range, check_s3_prefix, invalid
from ..core.alarms import alarm_at_least
from ..core.nag import acknowledge_object_grants
from ..core.naming import resource_name
from ..core.validation import check_construct_id
from ..store.data_lake import Zone
from ._image_registries import MODEL_MONITOR_REGISTRIES, MODEL_MONITOR_REPOSITORY
from ._jobs import (
    check_duration,
    check_instance_type,
    grant_job_logs_and_metrics,
    grant_key_use,
    grant_sync_job,
    grant_vpc_access,
    has_local_storage,
    result_path_value,
    sagemaker_arn,
    sdk_resource,
    sync_resource,
    task_state,
    unique_name_expression,
    vpc_placement,
)
from ._jobs import job_name_prefix as check_name
from ._requests import check_overrides, finish_request
from .images import registry_mapping
from .model_endpoint import ModelEndpoint

HOURLY = "cron(0 * ? * * *)"
# Model Monitor's schedule expressions: hourly, daily at an hour, every N hours from an hour.
_SCHEDULE = re.compile(r"cron\(0 (\*|(?P<hour>\d{1,2})(/(?P<every>\d{1,2}))?) \? \* \* \*\)")
JOB_PREFIX_LENGTH = 26
IMAGE_MAPPING_KEY = "ModelMonitorAnalyzer"
# Where the analyzer reads and writes inside its container (as the sagemaker SDK's
# DefaultModelMonitor.suggest_baseline and create_monitoring_schedule set it up).
BASELINE_INPUT_NAME = "baseline_dataset_input"
BASELINE_INPUT_PATH = "/opt/ml/processing/input/baseline_dataset_input"
ENDPOINT_INPUT_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_NAME = "monitoring_output"
OUTPUT_PATH = "/opt/ml/processing/output"
VIOLATIONS = "CompletedWithViolations"


class ModelMonitor(Construct):
    """Data-quality monitoring of a :class:`ModelEndpoint`: baseline, job definition, schedule,
    violations alarm.

    Args:
        endpoint: the endpoint to watch; it needs data capture of its input (the default
            ``DataCapture``); serverless endpoints capture nothing and are refused.
        baseline_dataset_prefix: the baseline dataset in ``baseline_dataset_zone`` (default
            ``features/baseline/`` of the processed zone: CSV, no header, feature columns only,
            in the order the endpoint receives them).
        baseline_dataset_zone: default ``Zone.PROCESSED``.
        baseline_prefix: where the baseline job writes (and the monitoring jobs read)
            ``statistics.json`` / ``constraints.json``, in the curated zone (default
            ``model-monitor/<endpoint name>/baseline/``).
        reports_prefix: monitoring reports in the curated zone (default
            ``model-monitor/<endpoint name>/reports/``; SageMaker adds
            ``<endpoint>/<schedule>/<yyyy>/<mm>/<dd>/<hh>/``).
        schedule_expression: hourly (default, :data:`HOURLY`), ``cron(0 H ? * * *)`` (daily) or
            ``cron(0 H/N ? * * *)``.
        instance_type / instance_count / volume_size_gb: of the baseline and monitoring jobs
            (default ``ml.m5.xlarge``, 1, 20 GB).
        max_runtime: of a monitoring job (default and at most 1 hour for an hourly schedule).
        baseline_max_runtime: of the baseline job (default 1 hour).
        alarm_topic: SNS topic the violations alarm notifies.
        encryption_key: volumes and reports (default: the endpoint's key).
        role: bring your own execution role (you grant it the captured data, baseline, reports,
            key and logs); default a new least-privilege role.
        vpc / vpc_subnets / security_groups: run the jobs in a VPC (network isolation stays on).
        publish_metrics: the analyzer's per-feature CloudWatch metrics (default on).
        job_name_prefix: start of the baseline jobs' names (default unique to this construct).
        job_definition_overrides / schedule_overrides / baseline_overrides: members merged deeply
            into the ``CreateDataQualityJobDefinition`` / ``CreateMonitoringSchedule`` /
            ``CreateProcessingJob`` requests (``None`` removes one); checked against botocore.
        removal_policy: of the job definition and schedule (default DESTROY: configuration only).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: ModelEndpoint,
        baseline_dataset_prefix: str = "features/baseline/",
        baseline_dataset_zone: Zone = Zone.PROCESSED,
        baseline_prefix: str | None = None,
        reports_prefix: str | None = None,
        schedule_expression: str = HOURLY,
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        volume_size_gb: int = 20,
        max_runtime: Duration | None = None,
        baseline_max_runtime: Duration = Duration.hours(1),
        alarm_topic: sns.ITopic | None = None,
        encryption_key: kms.IKey | None = None,
        role: iam.IRole | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        publish_metrics: bool = True,
        job_name_prefix: str | None = None,
        job_definition_overrides: Mapping[str, Any] | None = None,
        schedule_overrides: Mapping[str, Any] | None = None,
        baseline_overrides: Mapping[str, Any] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        check_construct_id(scope, id, "ModelMonitor")
        super().__init__(scope, id)
        if not isinstance(endpoint, ModelEndpoint):
            raise invalid(self, "endpoint", endpoint, "a ModelEndpoint")
        self.job_definition_overrides = check_overrides(
            self, "job_definition_overrides", job_definition_overrides
        )
        self.schedule_overrides = check_overrides(self, "schedule_overrides", schedule_overrides)
        self.baseline_overrides = check_overrides(self, "baseline_overrides", baseline_overrides)
        if endpoint.serverless is not None:
            raise invalid(
                self,
                "endpoint",
                endpoint.node.path,
                "an instance endpoint (serverless endpoints capture no data)",
            )
        capture = endpoint.data_capture
        if capture is None or not capture.capture_input:
            raise invalid(
                self,
                "endpoint",
                f"{endpoint.node.path} (data_capture={capture})",
                "an endpoint capturing its input (DataCapture(capture_input=True), the default)",
            )
        match = _SCHEDULE.fullmatch(schedule_expression) if isinstance(schedule_expression, str) else None
        if (
            match is None
            or (match["hour"] and int(match["hour"]) > 23)
            or (match["every"] and not 1 <= int(match["every"]) <= 24)
        ):
            raise invalid(
                self,
                "schedule_expression",
                schedule_expression,
                f"{HOURLY!r} (hourly), 'cron(0 H ? * * *)' (daily at hour H) or 'cron(0 H/N ? * * *)'",
            )
        hourly = schedule_expression == HOURLY
        check_instance_type(self, "instance_type", instance_type, "ProcessingInstanceType")
        check_range(self, "instance_count", instance_count, minimum=1, maximum=100)
        check_range(self, "volume_size_gb", volume_size_gb, minimum=1, maximum=512, unit="GB")
        self.max_runtime_seconds = check_duration(
            self,
            "max_runtime",
            max_runtime or Duration.hours(1),
            maximum=3600 if hourly else 86400,
        )
        self.baseline_max_runtime_seconds = check_duration(
            self, "baseline_max_runtime", baseline_max_runtime, maximum=86400
        )
        name = endpoint.endpoint_name
        self.baseline_dataset_prefix = (
            check_s3_prefix(self, "baseline_dataset_prefix", baseline_dataset_prefix) or ""
        )
        self.baseline_dataset_zone = Zone(baseline_dataset_zone)
        self.baseline_prefix = (
            check_s3_prefix(self, "baseline_prefix", baseline_prefix or f"model-monitor/{name}/baseline/")
            or ""
        )
        self.reports_prefix = (
            check_s3_prefix(self, "reports_prefix", reports_prefix or f"model-monitor/{name}/reports/") or ""
        )
        if self.baseline_prefix == self.reports_prefix:
            raise invalid(self, "reports_prefix", self.reports_prefix, "a prefix other than baseline_prefix")

        self.endpoint = endpoint
        self.lake = endpoint.lake
        self.encryption_key: kms.IKey = encryption_key or endpoint.encryption_key
        self.schedule_expression = schedule_expression
        self.instance_type, self.instance_count, self.volume_size_gb = (
            instance_type,
            instance_count,
            volume_size_gb,
        )
        self.publish_metrics = publish_metrics
        self.capture_prefix = f"{capture.prefix}{name}/"
        self.capture_zone = capture.zone
        self.job_name_prefix = check_name(self, job_name_prefix, JOB_PREFIX_LENGTH, "job_name_prefix").lower()
        self.schedule_name = resource_name(self, max_length=63).lower()
        self.schedule_arn = sagemaker_arn(self, "monitoring-schedule", self.schedule_name)
        self.image_uri = self._image_uri()

        # -- execution role ------------------------------------------------------------------
        self._own_role = role is None
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Baseline and monitoring jobs of {self.node.path}",
        )
        self.subnet_ids, self.security_groups = vpc_placement(
            self, vpc, vpc_subnets, security_groups, f"Jobs of {self.node.path}: HTTPS out only (S3 and ECR)"
        )
        if isinstance(self.role, iam.Role):
            self._grant_execution_role(self.role)

        # -- the job definition (CloudFormation) -------------------------------------------------
        request = self._job_definition_request()
        digest = hashlib.sha256(
            json.dumps(Stack.of(self).resolve(request), sort_keys=True, default=str).encode()
        ).hexdigest()[:8]
        # Every property of the job definition replaces it: a name per content lets
        # CloudFormation create the new one before it deletes the old one.
        self.job_definition_name = f"{resource_name(self, max_length=54).lower().strip('-')}-{digest}"
        request = {"JobDefinitionName": self.job_definition_name, **request}
        request = finish_request(
            self, "job_definition_overrides", "CreateDataQualityJobDefinition", request,
            self.job_definition_overrides,
        )  # fmt: skip
        self.job_definition = CfnResource(
            self,
            "JobDefinition",
            type="AWS::SageMaker::DataQualityJobDefinition",
            properties={**request, "EndpointName": name},
        )
        self.job_definition.apply_removal_policy(removal_policy)
        policy = self.role.node.try_find_child("DefaultPolicy")
        if policy is not None:  # the role can read the baseline when SageMaker checks it
            self.job_definition.node.add_dependency(policy)
        self.job_definition_arn = sagemaker_arn(self, "data-quality-job-definition", self.job_definition_name)

        # -- the schedule --------------------------------------------------------------------
        self.schedule_request = finish_request(
            self,
            "schedule_overrides",
            "CreateMonitoringSchedule",
            {
                "MonitoringScheduleName": self.schedule_name,
                "MonitoringScheduleConfig": {
                    "ScheduleConfig": {"ScheduleExpression": schedule_expression},
                    "MonitoringJobDefinitionName": self.job_definition_name,
                    "MonitoringType": "DataQuality",
                },
            },
            self.schedule_overrides,
        )
        cfn_endpoints = [c for c in endpoint.node.find_all() if isinstance(c, sagemaker.CfnEndpoint)]
        self.workflow_schedule = not cfn_endpoints
        self.schedule: CfnResource | None = None
        if cfn_endpoints:
            self.schedule = CfnResource(
                self,
                "Schedule",
                type="AWS::SageMaker::MonitoringSchedule",
                properties={**self.schedule_request, "EndpointName": name},
            )
            self.schedule.apply_removal_policy(removal_policy)
            self.schedule.node.add_dependency(cfn_endpoints[0], self.job_definition)

        # -- the baseline request, checked now --------------------------------------------------
        self.baseline_request(job_name=f"{self.job_name_prefix}-manual")

        # -- violations -> alarm -------------------------------------------------------------------
        self.violations_rule = events.Rule(
            self,
            "ViolationsRule",
            description=f"Monitoring executions of {self.schedule_name} that found violations",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Processing Job State Change"],
                detail={
                    "MonitoringScheduleArn": [self.schedule_arn],
                    "ExitMessage": [{"prefix": VIOLATIONS}],
                },
            ),
        )
        self.violations_alarm = alarm_at_least(
            self,
            "ViolationsAlarm",
            self.metric_violations(),
            description=(
                f"{self.node.path}: a data-quality monitoring execution of {name} ended "
                f"{VIOLATIONS} (reports: {self.reports_prefix} in the curated zone)"
            ),
            topic=alarm_topic,
        )

    # -- pieces ------------------------------------------------------------------------------------
    def _image_uri(self) -> str:
        stack = Stack.of(self)
        region = stack.region
        if not Token.is_unresolved(region):
            account = MODEL_MONITOR_REGISTRIES.get(region)
            if account is None:
                regions = ", ".join(sorted(MODEL_MONITOR_REGISTRIES))
                raise invalid(self, "region", region, f"a region with the analyzer image: {regions}")
            return f"{account}.dkr.ecr.{region}.{stack.url_suffix}/{MODEL_MONITOR_REPOSITORY}"
        mapping = registry_mapping(stack)
        for reg, account in MODEL_MONITOR_REGISTRIES.items():
            mapping.set_value(reg, IMAGE_MAPPING_KEY, account)
        account = mapping.find_in_map(Aws.REGION, IMAGE_MAPPING_KEY)
        return f"{account}.dkr.ecr.{Aws.REGION}.{Aws.URL_SUFFIX}/{MODEL_MONITOR_REPOSITORY}"

    def _grant_execution_role(self, role: iam.Role) -> None:
        lake = self.lake
        reads = [
            (self.capture_zone, self.capture_prefix),
            (self.baseline_dataset_zone, self.baseline_dataset_prefix),
            (Zone.CURATED, self.baseline_prefix),
        ]
        writes = [(Zone.CURATED, self.baseline_prefix), (Zone.CURATED, self.reports_prefix)]
        for zone, prefix in reads:
            lake.grant_read(role, zone, prefix)
        for zone, prefix in writes:
            lake.grant_write(role, zone, prefix)
        acknowledge_object_grants(
            role,
            reads=[(lake.bucket(z), p) for z, p in reads],
            writes=[(lake.bucket(z), p) for z, p in writes],
            purpose=f"the jobs of {self.node.path} read captured requests and the baseline, and "
            "write the baseline and the reports",
        )
        grant_key_use(role, self.encryption_key, volume=self.volume_key_id is not None)
        grant_job_logs_and_metrics(role, "ProcessingJobs", self.node.path)
        if self.subnet_ids:
            grant_vpc_access(role, self, self.subnet_ids, self.security_groups)

    @property
    def volume_key_id(self) -> str | None:
        return None if has_local_storage(self.instance_type) else self.encryption_key.key_arn

    @property
    def statistics_uri(self) -> str:
        return self.lake.s3_uri(Zone.CURATED, f"{self.baseline_prefix}statistics.json")

    @property
    def constraints_uri(self) -> str:
        return self.lake.s3_uri(Zone.CURATED, f"{self.baseline_prefix}constraints.json")

    def _cluster(self) -> dict[str, Any]:
        cluster: dict[str, Any] = {
            "InstanceCount": self.instance_count,
            "InstanceType": self.instance_type,
            "VolumeSizeInGB": self.volume_size_gb,
        }
        if self.volume_key_id is not None:
            cluster["VolumeKmsKeyId"] = self.volume_key_id
        return cluster

    def _network(self) -> dict[str, Any]:
        network: dict[str, Any] = {
            "EnableNetworkIsolation": True,
            "EnableInterContainerTrafficEncryption": True,
        }
        if self.subnet_ids:
            network["VpcConfig"] = {
                "SecurityGroupIds": [g.security_group_id for g in self.security_groups],
                "Subnets": list(self.subnet_ids),
            }
        return network

    def _job_definition_request(self) -> dict[str, Any]:
        app: dict[str, Any] = {"ImageUri": self.image_uri}
        if self.publish_metrics:
            app["Environment"] = {"publish_cloudwatch_metrics": "Enabled"}
        return {
            "DataQualityAppSpecification": app,
            "DataQualityBaselineConfig": {
                "ConstraintsResource": {"S3Uri": self.constraints_uri},
                "StatisticsResource": {"S3Uri": self.statistics_uri},
            },
            "DataQualityJobInput": {
                "EndpointInput": {
                    "EndpointName": self.endpoint.endpoint_name,
                    "LocalPath": ENDPOINT_INPUT_PATH,
                    "S3DataDistributionType": "FullyReplicated",
                    "S3InputMode": "File",
                }
            },
            "DataQualityJobOutputConfig": {
                "KmsKeyId": self.encryption_key.key_arn,
                "MonitoringOutputs": [
                    {
                        "S3Output": {
                            "LocalPath": OUTPUT_PATH,
                            "S3Uri": self.lake.s3_uri(Zone.CURATED, self.reports_prefix),
                            "S3UploadMode": "EndOfJob",
                        }
                    }
                ],
            },
            "JobResources": {"ClusterConfig": self._cluster()},
            "NetworkConfig": self._network(),
            "RoleArn": self.role.role_arn,
            "StoppingCondition": {"MaxRuntimeInSeconds": self.max_runtime_seconds},
        }

    # -- the baseline job ----------------------------------------------------------------------
    def _baseline_params(self) -> dict[str, Any]:
        return {
            "ProcessingInputs": [
                {
                    "InputName": BASELINE_INPUT_NAME,
                    "S3Input": {
                        "S3Uri": self.lake.s3_uri(self.baseline_dataset_zone, self.baseline_dataset_prefix),
                        "LocalPath": BASELINE_INPUT_PATH,
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated",
                    },
                }
            ],
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": OUTPUT_NAME,
                        "S3Output": {
                            "S3Uri": self.lake.s3_uri(Zone.CURATED, self.baseline_prefix),
                            "LocalPath": OUTPUT_PATH,
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ],
                "KmsKeyId": self.encryption_key.key_arn,
            },
            "ProcessingResources": {"ClusterConfig": self._cluster()},
            "StoppingCondition": {"MaxRuntimeInSeconds": self.baseline_max_runtime_seconds},
            "AppSpecification": {"ImageUri": self.image_uri},
            # What the analyzer reads (DefaultModelMonitor.suggest_baseline's environment):
            # headerless CSV, every column a feature.
            "Environment": {
                "dataset_format": json.dumps({"csv": {"header": False, "output_columns_position": "START"}}),
                "dataset_source": BASELINE_INPUT_PATH,
                "output_path": OUTPUT_PATH,
                "publish_cloudwatch_metrics": "Disabled",
            },
            "NetworkConfig": self._network(),
            "RoleArn": self.role.role_arn,
        }

    def baseline_request(self, *, job_name: str) -> dict[str, Any]:
        """The baseline job's ``CreateProcessingJob`` request (CDK tokens where values come at deploy)."""
        params = {"ProcessingJobName": job_name, **self._baseline_params()}
        return finish_request(
            self, "baseline_overrides", "CreateProcessingJob", params, self.baseline_overrides
        )

    def baseline_task(
        self, scope: Construct, id: str, *, result_path: str | None = "$.baseline"
    ) -> sfn.CustomState:
        """A ``createProcessingJob.sync`` task computing the baseline (``statistics.json``,
        ``constraints.json`` under :attr:`baseline_prefix` of the curated zone) from the baseline
        dataset. Run it after the ETL and training; the state machine needs
        :meth:`grant_baseline`. Its result: the job's name, ARN and status."""
        params = self._baseline_params()
        params["ProcessingJobName.$"] = unique_name_expression(self.job_name_prefix)
        params = finish_request(
            self, "baseline_overrides", "CreateProcessingJob", params, self.baseline_overrides
        )
        return task_state(
            scope,
            id,
            comment=f"Data-quality baseline of {self.node.path}",
            resource=sync_resource("createProcessingJob"),
            parameters=params,
            result_selector={
                "ProcessingJobName.$": "$.ProcessingJobName",
                "ProcessingJobArn.$": "$.ProcessingJobArn",
                "ProcessingJobStatus.$": "$.ProcessingJobStatus",
            },
            result_path=result_path_value(result_path),
            timeout_seconds=self.baseline_max_runtime_seconds + 600,
        )

    def grant_baseline(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` (a state machine) run :meth:`baseline_task`: create, describe and stop
        this construct's processing jobs, the ``.sync`` EventBridge rule, pass the role."""
        grant_sync_job(
            grantee,
            self,
            actions=[
                "sagemaker:CreateProcessingJob",
                "sagemaker:DescribeProcessingJob",
                "sagemaker:StopProcessingJob",
                # Step Functions tags every job it starts with .sync (MANAGED_BY_AWS).
                "sagemaker:AddTags",
            ],
            resources=[sagemaker_arn(self, "processing-job", f"{self.job_name_prefix}-*")],
            events_rule="StepFunctionsGetEventsForSageMakerProcessingJobsRule",
            passed_role=self.role,
            reason=f"Baseline jobs are named at run time; the ARN is limited to the job name prefix "
            f"'{self.job_name_prefix}-' of {self.node.path}.",
        )

    # -- the schedule, for a workflow-deployed endpoint -------------------------------------------
    def schedule_tasks(self, scope: Construct, id: str) -> sfn.Chain:
        """States that make sure the schedule exists and uses this job definition; run them after
        every deploy of the endpoint (the first one creates the endpoint SageMaker checks).

        DescribeMonitoringSchedule -> missing: CreateMonitoringSchedule; another job definition
        (the definition was replaced): UpdateMonitoringSchedule; else nothing. The state's input
        passes through unchanged. The state machine needs :meth:`grant_schedule`.
        """
        if not self.workflow_schedule:
            raise invalid(
                self, "schedule_tasks", self.endpoint.node.path,
                "a workflow-deployed endpoint (model_data=None); CloudFormation owns this schedule",
            )  # fmt: skip
        config = self.schedule_request["MonitoringScheduleConfig"]
        done = sfn.Pass(scope, f"{id} Done", comment="The monitoring schedule is in place")
        describe = task_state(
            scope,
            f"{id} Describe",
            comment=f"Find the monitoring schedule of {self.node.path}",
            resource=sdk_resource("describeMonitoringSchedule"),
            parameters={"MonitoringScheduleName": self.schedule_name},
            result_selector={"JobDefinition.$": "$.MonitoringScheduleConfig.MonitoringJobDefinitionName"},
            result_path="$.monitoring_schedule",
        )
        create = task_state(
            scope,
            f"{id} Create",
            comment=f"Create the monitoring schedule of {self.node.path}",
            resource=sdk_resource("createMonitoringSchedule"),
            parameters=dict(self.schedule_request),
            result_path=sfn.JsonPath.DISCARD,
        )
        update = task_state(
            scope,
            f"{id} Update",
            comment=f"Point the monitoring schedule of {self.node.path} at the current job definition",
            resource=sdk_resource("updateMonitoringSchedule"),
            parameters=finish_request(
                self,
                "schedule_overrides",
                "UpdateMonitoringSchedule",
                {"MonitoringScheduleName": self.schedule_name, "MonitoringScheduleConfig": config},
                {},
                tags=False,
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        describe.add_catch(
            create, errors=["SageMaker.ResourceNotFoundException"], result_path=sfn.JsonPath.DISCARD
        )
        current = sfn.Choice(scope, f"{id} Current?", comment="Does it use this job definition?")
        describe.next(
            current.when(
                sfn.Condition.string_equals("$.monitoring_schedule.JobDefinition", self.job_definition_name),
                done,
            ).otherwise(update)
        )
        create.next(done)
        update.next(done)
        return sfn.Chain.custom(describe, [done], done)

    def grant_schedule(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` run :meth:`schedule_tasks` on this construct's schedule only."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:DescribeMonitoringSchedule",
                    "sagemaker:CreateMonitoringSchedule",
                    "sagemaker:UpdateMonitoringSchedule",
                    "sagemaker:AddTags",  # the request carries the stack's tags
                ],
                resources=[self.schedule_arn],
            )
        )

    # -- metrics -----------------------------------------------------------------------------------
    def metric_violations(self, **props: Any) -> cloudwatch.Metric:
        """Monitoring executions of this schedule that ended with violations (sum per hour): the
        violations rule's ``MatchedEvents`` in ``AWS/Events``."""
        props.setdefault("statistic", "Sum")
        props.setdefault("period", Duration.hours(1))
        return cloudwatch.Metric(
            namespace="AWS/Events",
            metric_name="MatchedEvents",
            dimensions_map={"RuleName": self.violations_rule.rule_name},
            **props,
        )

    def metric_feature_drift(self, feature: str, **props: Any) -> cloudwatch.Metric:
        """The analyzer's baseline drift of one feature (``_c0``, ``_c1``... for headerless CSV),
        published with ``publish_metrics``."""
        props.setdefault("statistic", "Maximum")
        props.setdefault("period", Duration.hours(1))
        return cloudwatch.Metric(
            namespace="aws/sagemaker/Endpoints/data-metrics",
            metric_name=f"feature_baseline_drift_{feature}",
            dimensions_map={
                "Endpoint": self.endpoint.endpoint_name,
                "MonitoringSchedule": self.schedule_name,
            },
            **props,
        )


__all__ = ["HOURLY", "ModelMonitor"]
