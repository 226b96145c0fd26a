"""SparkServerlessJob: an EMR Serverless Spark application and the job that runs the script on it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_emrserverless as emrs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import DEFAULT_LOG_RETENTION, check_choice, check_range, invalid, secure_log_group
from ..core.nag import acknowledge_wildcards
from ..core.naming import resource_name
from ..store.data_lake import DataLake, Zone
from .spark_job_parts import (
    DEFAULT_LAYOUT,
    FEATURES_SCRIPT,
    FeatureLayout,
    LakePath,
    acknowledge_spark_grants,
    check_arguments,
    check_lake_paths,
    conf_parameters,
    grant_lake_paths,
    grant_script_read,
    partition_arn,
    script_asset,
    script_path,
)
from .spark_job_parts import spark_conf as derived_spark_conf

_RELEASE_LABEL = re.compile(r"^emr-(\d+)\.(\d+)\.(\d+)$")
DEFAULT_RELEASE_LABEL = "emr-7.10.0"  # Spark 3.5.5


class SparkArchitecture(StrEnum):
    """CPU architecture of the application's workers (Graviton ARM64 costs about 20% less)."""

    ARM64 = "ARM64"
    X86_64 = "X86_64"


@dataclass(frozen=True)
class SparkCapacity:
    """The most the application may hold at once over all its job runs (its cost ceiling).

    The default (16 vCPU, 64 GB, 200 GB disk) fits a driver and three executors of EMR
    Serverless's default size (4 vCPU, 16 GB with overhead, 20 GB disk each).
    """

    cpu: int = 16
    memory_gb: int = 64
    disk_gb: int = 200


class SparkServerlessJob(Construct):
    """An EMR Serverless Spark application that starts on demand and stops when idle, plus a job
    execution role and the script asset; :meth:`start_task` runs the script from Step Functions.

    The application has no network configuration by default: jobs reach S3 and other AWS
    services in the region but not the internet. Pass ``vpc`` to run them in your private
    subnets. Driver and executor logs go to an explicit KMS-encrypted log group.

    The execution role (assumable only by EMR Serverless for this application) reads the
    ``reads`` paths and reads, writes and deletes under the ``writes`` paths, plus the script
    object; with the built-in script both come from ``layout``, otherwise they default to the
    raw zone (read) and the processed zone (write).

    Args:
        lake: the data lake the job reads and writes.
        script: the PySpark script (default: the built-in :data:`FEATURES_SCRIPT`).
        layout: where the built-in script reads and writes (default :class:`FeatureLayout`).
        arguments: extra script arguments ``{"--name": "value"}`` over the layout's.
        reads / writes: lake paths the role may read / write (defaults above).
        release_label: ``emr-6.6.0`` or later (default ``emr-7.10.0``, Spark 3.5.5).
        architecture: ARM64 (default) or X86_64.
        maximum_capacity: :class:`SparkCapacity`, default 16 vCPU / 64 GB / 200 GB.
        idle_timeout: stop the application after this long without jobs (1 min - 7 days,
            default 15 minutes); it starts again by itself when a job is submitted.
        job_timeout: a job run is cancelled after this long (1 min - 7 days, default 1 hour).
        spark_conf: Spark settings over the derived ones (``{"spark.sql.shuffle.partitions":
            "64"}``). Derived: shuffle partitions = 2 x ``maximum_capacity.cpu`` (16 vCPU: 32,
            not Spark's 200), adaptive query execution on. Sent as ``--conf`` spark-submit
            parameters with every job run (:attr:`spark_conf`).
        spark_submit_parameters: more spark-submit parameters, after the ``spark_conf`` ones
            (a later ``--conf`` of the same key wins), e.g. ``"--conf spark.executor.cores=2"``.
        vpc / vpc_subnets / security_groups: run jobs in your VPC (default: no VPC; subnets
            default to the private ones; a security group without inbound rules is created).
        application_name: default: a unique name derived from the construct path.
        log_retention: of the log group (default three months).
        removal_policy: of the log group (default: the lake's).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake,
        script: str | Path = FEATURES_SCRIPT,
        layout: FeatureLayout = DEFAULT_LAYOUT,
        arguments: Mapping[str, str] | None = None,
        reads: Sequence[LakePath] | None = None,
        writes: Sequence[LakePath] | None = None,
        release_label: str = DEFAULT_RELEASE_LABEL,
        architecture: SparkArchitecture = SparkArchitecture.ARM64,
        maximum_capacity: SparkCapacity = SparkCapacity(),
        idle_timeout: Duration = Duration.minutes(15),
        job_timeout: Duration = Duration.hours(1),
        spark_conf: Mapping[str, str] | None = None,
        spark_submit_parameters: str | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        application_name: str | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        if not isinstance(lake, DataLake):
            raise invalid(self, "lake", lake, "a DataLake")
        path = script_path(self, script)
        builtin = path == FEATURES_SCRIPT
        match = _RELEASE_LABEL.match(release_label) if isinstance(release_label, str) else None
        version = tuple(int(part) for part in match.groups()) if match else ()
        if not match or version < (6, 6, 0) or version[0] > 7:
            raise invalid(
                self, "release_label", release_label, "emr-6.6.0 or later up to emr-7.x, e.g. emr-7.10.0"
            )
        check_choice(self, "architecture", architecture, list(SparkArchitecture))
        if not isinstance(maximum_capacity, SparkCapacity):
            raise invalid(self, "maximum_capacity", maximum_capacity, "a SparkCapacity")
        check_range(
            self, "maximum_capacity.cpu", maximum_capacity.cpu, minimum=1, maximum=100_000, unit="vCPU"
        )
        check_range(
            self, "maximum_capacity.memory_gb", maximum_capacity.memory_gb, minimum=2, maximum=1_000_000
        )
        check_range(
            self, "maximum_capacity.disk_gb", maximum_capacity.disk_gb, minimum=20, maximum=10_000_000
        )
        if maximum_capacity.memory_gb < 2 * maximum_capacity.cpu:
            raise invalid(
                self,
                "maximum_capacity.memory_gb",
                maximum_capacity.memory_gb,
                f">= 2 GB per vCPU ({2 * maximum_capacity.cpu} for {maximum_capacity.cpu} vCPU)",
            )
        check_range(
            self, "idle_timeout", idle_timeout.to_seconds() / 60, minimum=1, maximum=10080, unit="minutes"
        )
        check_range(
            self, "job_timeout", job_timeout.to_seconds() / 60, minimum=1, maximum=10080, unit="minutes"
        )
        if application_name is not None and not re.fullmatch(r"[A-Za-z0-9._/#-]{1,64}", application_name):
            raise invalid(self, "application_name", application_name, "1-64 letters, digits and ._/#-")
        if vpc is None and (vpc_subnets is not None or security_groups):
            raise invalid(self, "vpc", None, "a VPC when vpc_subnets or security_groups are given")
        extra = check_arguments(self, arguments)
        conf = derived_spark_conf(self, vcpus=maximum_capacity.cpu, overrides=spark_conf)
        if spark_submit_parameters is not None and not isinstance(spark_submit_parameters, str):
            raise invalid(self, "spark_submit_parameters", spark_submit_parameters, "a string")
        if builtin:
            layout.check(self)
        if reads is None:
            reads = layout.inputs if builtin else [LakePath(Zone.RAW)]
        if writes is None:
            writes = layout.outputs if builtin else [LakePath(Zone.PROCESSED)]
        reads, writes = check_lake_paths(self, "reads", reads), check_lake_paths(self, "writes", writes)

        self.lake = lake
        self.layout = layout if builtin else None
        self.reads, self.writes = reads, writes
        self.job_timeout = job_timeout
        self.spark_conf: dict[str, str] = conf
        self.spark_submit_parameters = " ".join(
            part for part in (conf_parameters(conf), (spark_submit_parameters or "").strip()) if part
        )
        arguments_all = dict(layout.arguments(lake)) if builtin else {}
        arguments_all.update(extra)
        self.arguments: dict[str, str] = arguments_all
        removal = removal_policy or lake.removal_policy

        self.script_asset: s3_assets.Asset = script_asset(self, "Script", path)
        self.log_group: logs.LogGroup = secure_log_group(
            self,
            "Logs",
            encryption_key=lake.encryption_key,
            retention=log_retention,
            removal_policy=removal,
        )

        self.security_groups: list[ec2.ISecurityGroup] = list(security_groups or [])
        network = None
        if vpc is not None:
            if not self.security_groups:
                self.security_groups.append(
                    ec2.SecurityGroup(
                        self,
                        "SecurityGroup",
                        vpc=vpc,
                        description=f"Spark workers of {self.node.path} (no inbound)",
                        allow_all_outbound=True,
                    )
                )
            subnets = vpc.select_subnets(
                **vars_of(vpc_subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS))
            )
            network = emrs.CfnApplication.NetworkConfigurationProperty(
                subnet_ids=subnets.subnet_ids,
                security_group_ids=[g.security_group_id for g in self.security_groups],
            )

        self.application = emrs.CfnApplication(
            self,
            "Application",
            name=application_name or resource_name(self, max_length=64),
            release_label=release_label,
            type="SPARK",
            architecture=SparkArchitecture(architecture).value,
            auto_start_configuration=emrs.CfnApplication.AutoStartConfigurationProperty(enabled=True),
            auto_stop_configuration=emrs.CfnApplication.AutoStopConfigurationProperty(
                enabled=True, idle_timeout_minutes=int(idle_timeout.to_seconds() // 60)
            ),
            maximum_capacity=emrs.CfnApplication.MaximumAllowedResourcesProperty(
                cpu=f"{maximum_capacity.cpu} vCPU",
                memory=f"{maximum_capacity.memory_gb} GB",
                disk=f"{maximum_capacity.disk_gb} GB",
            ),
            monitoring_configuration=emrs.CfnApplication.MonitoringConfigurationProperty(
                cloud_watch_logging_configuration=emrs.CfnApplication.CloudWatchLoggingConfigurationProperty(
                    enabled=True, log_group_name=self.log_group.log_group_name, log_stream_name_prefix="spark"
                )
            ),
            network_configuration=network,
        )

        self.role: iam.Role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal(
                "emr-serverless.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": self.application.attr_arn},
                },
            ),
            description=f"Job execution role of {self.node.path}",
        )
        grant_lake_paths(lake, self.role, reads=reads, writes=writes)
        grant_script_read(self.script_asset, self.role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteJobLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[self.log_group.log_group_arn],
            )
        )
        describe_groups = partition_arn(self, "logs", "log-group:*")
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="FindLogGroup", actions=["logs:DescribeLogGroups"], resources=[describe_groups]
            )
        )
        acknowledge_spark_grants(
            self.role,
            lake,
            self.script_asset,
            reads=reads,
            writes=writes,
            purpose=f"the EMR Serverless job of {self.node.path} reads its inputs and rewrites its outputs",
        )
        acknowledge_wildcards(
            self.role,
            "logs:DescribeLogGroups lists log groups and has no narrower resource than the account's "
            "log groups; EMR Serverless calls it to find the job's log group before writing to it.",
            resources=[describe_groups],
        )

    @property
    def application_id(self) -> str:
        return self.application.attr_application_id

    @property
    def application_arn(self) -> str:
        return self.application.attr_arn

    def job_run_request(
        self, *, arguments: Mapping[str, str] | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """The ``emr-serverless:startJobRun`` parameters (Step Functions' PascalCase form)."""
        merged = {**self.arguments, **check_arguments(self, arguments)}
        entry_arguments: list[str] = []
        for key, value in merged.items():
            entry_arguments += [key, value]
        spark_submit: dict[str, Any] = {
            "EntryPoint": self.script_asset.s3_object_url,
            "EntryPointArguments": entry_arguments,
        }
        spark_submit["SparkSubmitParameters"] = self.spark_submit_parameters
        request: dict[str, Any] = {
            "ApplicationId": self.application_id,
            "ExecutionRoleArn": self.role.role_arn,
            "ExecutionTimeoutMinutes": int(self.job_timeout.to_seconds() // 60),
            "JobDriver": {"SparkSubmit": spark_submit},
        }
        if name:
            request["Name"] = name
        return request

    def start_task(
        self,
        scope: Construct,
        id: str,
        *,
        arguments: Mapping[str, str] | None = None,
        name: str | None = None,
        result_path: str = sfn.JsonPath.DISCARD,
    ) -> sfn.CustomState:
        """A Step Functions state that runs the script and waits for it
        (``arn:aws:states:::emr-serverless:startJobRun.sync``).

        The state's input passes through unchanged unless ``result_path`` asks to keep the
        run's details (e.g. ``"$.etl"``). A custom state carries no permissions: call
        :meth:`grant_start_run` with the state machine (or its role) once it exists.
        """
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": f"arn:{Aws.PARTITION}:states:::emr-serverless:startJobRun.sync",
            "Parameters": self.job_run_request(arguments=arguments, name=name or id),
        }
        state["ResultPath"] = result_path  # JsonPath.DISCARD renders as null
        return sfn.CustomState(scope, id, state_json=state)

    def grant_start_run(self, grantee: iam.IGrantable) -> None:
        """What ``startJobRun.sync`` needs: start, watch and cancel job runs on this application,
        pass the execution role to EMR Serverless, and the managed rule Step Functions uses to
        learn that a run ended."""
        principal = grantee.grant_principal
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["emr-serverless:StartJobRun"], resource_arns=[self.application_arn]
        )
        job_runs = f"{self.application_arn}/jobruns/*"
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"],
            resource_arns=[job_runs],
        )
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}},
            )
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resource_arns=[
                partition_arn(self, "events", "rule/StepFunctionsGetEventsForEMRServerlessJobRule")
            ],
        )
        if isinstance(principal, iam.Role):
            acknowledge_wildcards(
                principal,
                f"Job runs of the EMR Serverless application of {self.node.path} get their IDs at "
                "start; the statement is limited to that application's job runs.",
                resources=[job_runs],
            )


def vars_of(selection: ec2.SubnetSelection) -> dict[str, Any]:
    """SubnetSelection as keyword arguments for ``select_subnets``."""
    names = (
        "availability_zones",
        "one_per_az",
        "subnet_filters",
        "subnet_group_name",
        "subnets",
        "subnet_type",
    )
    return {n: getattr(selection, n) for n in names if getattr(selection, n, None) is not None}


__all__ = ["DEFAULT_RELEASE_LABEL", "SparkArchitecture", "SparkCapacity", "SparkServerlessJob"]
