"""GlueEtlJob: a Glue Spark job over the data lake, encrypted end to end, with its crawler."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from ..core import (
    DEFAULT_LOG_RETENTION,
    check_choice,
    check_range,
    check_s3_prefix,
    invalid,
    secure_log_group,
)
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
    grant_lake_paths,
    grant_script_read,
    partition_arn,
    script_asset,
    script_path,
)
from .spark_job_parts import spark_conf as derived_spark_conf


class GlueVersion(StrEnum):
    """Glue versions for Spark jobs (Spark 3.3 / 3.5.4 / 3.5.6, Python 3.10 / 3.11 / 3.11)."""

    V4_0 = "4.0"
    V5_0 = "5.0"
    V5_1 = "5.1"


class GlueWorkerType(StrEnum):
    """Glue Spark worker types (G: 4 vCPU + 16 GB per DPU; R: memory-optimized, 32 GB per DPU)."""

    G_1X = "G.1X"
    G_2X = "G.2X"
    G_4X = "G.4X"
    G_8X = "G.8X"
    G_12X = "G.12X"
    G_16X = "G.16X"
    R_1X = "R.1X"
    R_2X = "R.2X"
    R_4X = "R.4X"
    R_8X = "R.8X"


class GlueExecutionClass(StrEnum):
    """STANDARD starts at once; FLEX runs on spare capacity, cheaper, for non-urgent jobs."""

    STANDARD = "STANDARD"
    FLEX = "FLEX"


class JobBookmarks(StrEnum):
    """Job bookmarks: what a GlueContext source with a ``transformation_ctx`` already read."""

    ENABLE = "job-bookmark-enable"
    DISABLE = "job-bookmark-disable"
    PAUSE = "job-bookmark-pause"


class TriggerKind(StrEnum):
    SCHEDULE = "schedule"
    NEW_OBJECTS = "new_objects"


# vCPUs of one worker of each type (Glue's worker type table).
WORKER_VCPUS = {
    GlueWorkerType.G_1X: 4,
    GlueWorkerType.G_2X: 8,
    GlueWorkerType.G_4X: 16,
    GlueWorkerType.G_8X: 32,
    GlueWorkerType.G_12X: 48,
    GlueWorkerType.G_16X: 64,
    GlueWorkerType.R_1X: 4,
    GlueWorkerType.R_2X: 8,
    GlueWorkerType.R_4X: 16,
    GlueWorkerType.R_8X: 32,
}
# The API documents at most 299 G.1X and 149 G.2X workers; the larger types are bounded by the
# account's DPU quota, which the same 299 DPUs approximates.
_MAX_WORKERS = {GlueWorkerType.G_1X: 299, GlueWorkerType.G_2X: 149}
_GLUE_CRON = re.compile(r"^cron\(\S+( \S+){5}\)$")


@dataclass(frozen=True)
class JobTrigger:
    """What starts the job inside Glue (the workflow can also start it through Step Functions).

    Build one with :meth:`schedule` or :meth:`on_new_objects`.
    """

    kind: TriggerKind
    cron: str | None = None
    path: LakePath | None = None
    batch_size: int = 1
    batch_window: Duration = Duration.minutes(15)

    @staticmethod
    def schedule(cron: str) -> JobTrigger:
        """A Glue cron schedule in UTC, e.g. ``"cron(0 3 * * ? *)"`` (daily at 03:00)."""
        return JobTrigger(kind=TriggerKind.SCHEDULE, cron=cron)

    @staticmethod
    def on_new_objects(
        zone: Zone, prefix: str, *, batch_size: int = 1, batch_window: Duration = Duration.minutes(15)
    ) -> JobTrigger:
        """Run when objects land under ``prefix`` in ``zone``: S3 -> EventBridge -> Glue workflow
        event trigger, after ``batch_size`` objects (1-100) or ``batch_window`` (1 s - 15 min)."""
        return JobTrigger(
            kind=TriggerKind.NEW_OBJECTS,
            path=LakePath(zone, prefix),
            batch_size=batch_size,
            batch_window=batch_window,
        )


@jsii.implements(events.IRuleTarget)
class _GlueWorkflowTarget:
    """EventBridge -> Glue workflow (EVENT trigger); no CDK target exists for it."""

    def __init__(self, workflow_arn: str, role: iam.IRole) -> None:
        self._arn, self._role = workflow_arn, role

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(
            arn=self._arn,
            role=self._role,
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=4, maximum_event_age_in_seconds=7200
            ),
        )


class GlueEtlJob(Construct):
    """A Glue Spark ETL job whose script is a file asset, secured by a Glue security configuration.

    The security configuration encrypts what the job writes to S3 (SSE-KMS), its CloudWatch logs
    and its job bookmarks (CSE-KMS) with the lake key. The log groups Glue writes to under that
    configuration have deterministic names (``/aws-glue/jobs/<config>-role/<role>/output`` and
    ``/error``; ``/aws-glue/jobs/logs-v2-<config>`` for Glue 4 continuous logging;
    ``/aws-glue/crawlers-role/<role>-<config>`` for the crawler), so they are created here,
    encrypted, with retention, before Glue would create them without either.

    The role reads only the ``reads`` paths, and reads, writes and deletes only under the
    ``writes`` paths (Spark overwrites its outputs), plus the script object. With the built-in
    script (the default) both come from ``layout``; with your own script they default to the raw
    zone (read) and the processed zone (write).

    The crawler (on by default) keeps the Data Catalog table of the output current in the lake's
    database of that zone. Inside Glue it runs after each successful run started by ``trigger``
    (a Glue workflow); when Step Functions runs the job, chain :meth:`crawl_task` after
    :meth:`start_task` (Glue's conditional triggers only watch runs that triggers started).

    Args:
        lake: the data lake the job reads and writes (its key encrypts everything).
        script: path of the PySpark script (default: :data:`FEATURES_SCRIPT`, the built-in
            feature engineering, see ``ml_constructs/runtime/spark/features.py``).
        layout: where the built-in script reads and writes, and its settings
            (default :class:`FeatureLayout`); ignored for your own script.
        arguments: extra job arguments ``{"--name": "value"}``, over the layout's.
        reads / writes: lake paths the role may read / write (defaults above).
        glue_version: default 5.1 (Spark 3.5.6, Python 3.11).
        worker_type: default G.1X. number_of_workers: 2-299 (G.2X: 149), default 2; with
            ``auto_scaling`` (default on) Glue scales up to that many.
        spark_conf: Spark settings over the derived ones (``{"spark.sql.shuffle.partitions":
            "64"}``). Derived: shuffle partitions = 2 x the vCPUs of ``number_of_workers``
            workers of ``worker_type`` (G.1X x 2: 16, not Spark's 200), adaptive query
            execution on. Deployed as Glue's ``--conf`` job argument (:attr:`spark_conf`).
        execution_class: STANDARD (default) or FLEX (G.1X/G.2X only).
        timeout: per run, 1 minute - 7 days, default 1 hour. max_retries: 0-10, default 0.
        max_concurrent_runs: default 1 (runs never overlap on the same output).
        bookmarks: default ENABLE. The built-in script reads with plain Spark and recomputes the
            whole training set each run, so bookmarks only matter to scripts that read through
            GlueContext sources with a ``transformation_ctx``.
        crawler: create the crawler (default True). crawl_path: what it crawls (default the
            built-in layout's feature table; required for your own script). table_prefix:
            prefix of the crawled table names (default none).
        trigger: optional :class:`JobTrigger` (schedule or new objects).
        job_name: default: generated by CloudFormation.
        role: bring your own job role (grants are added to it).
        log_retention: of the job's and crawler's log groups, default three months.
        removal_policy: of the log groups (default: the lake's).
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
        glue_version: GlueVersion = GlueVersion.V5_1,
        worker_type: GlueWorkerType = GlueWorkerType.G_1X,
        number_of_workers: int = 2,
        auto_scaling: bool = True,
        spark_conf: Mapping[str, str] | None = None,
        execution_class: GlueExecutionClass = GlueExecutionClass.STANDARD,
        timeout: Duration = Duration.hours(1),
        max_retries: int = 0,
        max_concurrent_runs: int = 1,
        bookmarks: JobBookmarks = JobBookmarks.ENABLE,
        crawler: bool = True,
        crawl_path: LakePath | None = None,
        table_prefix: str = "",
        trigger: JobTrigger | None = None,
        job_name: str | None = None,
        role: iam.IRole | None = None,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        if not isinstance(lake, DataLake):
            raise invalid(self, "lake", lake, "a DataLake")
        path = script_path(self, script)
        builtin = path == FEATURES_SCRIPT
        check_choice(self, "glue_version", glue_version, list(GlueVersion))
        check_choice(self, "worker_type", worker_type, list(GlueWorkerType))
        check_choice(self, "execution_class", execution_class, list(GlueExecutionClass))
        check_choice(self, "bookmarks", bookmarks, list(JobBookmarks))
        glue_version, worker_type = GlueVersion(glue_version), GlueWorkerType(worker_type)
        execution_class, bookmarks = GlueExecutionClass(execution_class), JobBookmarks(bookmarks)
        check_range(
            self,
            "number_of_workers",
            number_of_workers,
            minimum=2,
            maximum=_MAX_WORKERS.get(worker_type, 299),
        )
        if isinstance(number_of_workers, float):
            raise invalid(self, "number_of_workers", number_of_workers, "an integer")
        if execution_class is GlueExecutionClass.FLEX and worker_type not in (
            GlueWorkerType.G_1X,
            GlueWorkerType.G_2X,
        ):
            raise invalid(self, "execution_class", "FLEX", f"STANDARD with {worker_type} (FLEX: G.1X, G.2X)")
        check_range(self, "timeout", timeout.to_seconds() / 60, minimum=1, maximum=10080, unit="minutes")
        check_range(self, "max_retries", max_retries, minimum=0, maximum=10)
        check_range(self, "max_concurrent_runs", max_concurrent_runs, minimum=1, maximum=1000)
        if table_prefix and not re.fullmatch(r"[a-z0-9_]{1,64}", table_prefix):
            raise invalid(self, "table_prefix", table_prefix, "lowercase letters, digits and '_' (1-64)")
        if job_name is not None and not re.fullmatch(r"[\w.-]{1,255}", job_name):
            raise invalid(self, "job_name", job_name, "1-255 letters, digits, '_', '-', '.'")
        extra = check_arguments(self, arguments)
        if "--conf" in extra:
            raise invalid(self, "arguments['--conf']", extra["--conf"], "no '--conf' (use spark_conf=)")
        vcpus = WORKER_VCPUS[worker_type] * number_of_workers
        conf = derived_spark_conf(self, vcpus=vcpus, overrides=spark_conf)
        if builtin:
            layout.check(self)
        if reads is None:
            reads = layout.inputs if builtin else [LakePath(Zone.RAW)]
        if writes is None:
            writes = layout.outputs if builtin else [LakePath(Zone.PROCESSED)]
        reads, writes = check_lake_paths(self, "reads", reads), check_lake_paths(self, "writes", writes)
        if crawler and crawl_path is None:
            if not builtin:
                raise invalid(
                    self, "crawl_path", None, "the LakePath your script writes its table to, or crawler=False"
                )
            crawl_path = layout.features
        if crawl_path is not None:
            crawl_path = check_lake_paths(self, "crawl_path", [crawl_path])[0]
        self._check_trigger(trigger)

        self.lake = lake
        self.layout = layout if builtin else None
        self.reads, self.writes = reads, writes
        self.spark_conf: dict[str, str] = conf
        removal = removal_policy or lake.removal_policy
        key = lake.encryption_key

        self.script_asset: s3_assets.Asset = script_asset(self, "Script", path)
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"Glue job role of {self.node.path}",
        )
        self.security_configuration = glue.CfnSecurityConfiguration(
            self,
            "SecurityConfiguration",
            name=resource_name(self, max_length=100),
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
                s3_encryptions=[
                    glue.CfnSecurityConfiguration.S3EncryptionProperty(
                        s3_encryption_mode="SSE-KMS", kms_key_arn=key.key_arn
                    )
                ],
                cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=key.key_arn
                ),
                job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=key.key_arn
                ),
            ),
        )
        config_name = self.security_configuration.ref

        # The log groups Glue writes to under this security configuration, created up front.
        group_base = f"/aws-glue/jobs/{config_name}-role/{self.role.role_name}"
        self.log_groups: list[logs.LogGroup] = [
            secure_log_group(
                self,
                f"{suffix.title()}Logs",
                encryption_key=key,
                retention=log_retention,
                log_group_name=f"{group_base}/{suffix}",
                removal_policy=removal,
            )
            for suffix in ("output", "error")
        ]
        if glue_version is GlueVersion.V4_0:
            self.log_groups.append(
                secure_log_group(
                    self,
                    "ContinuousLogs",
                    encryption_key=key,
                    retention=log_retention,
                    log_group_name=f"/aws-glue/jobs/logs-v2-{config_name}",
                    removal_policy=removal,
                )
            )

        grant_lake_paths(lake, self.role, reads=reads, writes=writes)
        grant_script_read(self.script_asset, self.role)
        key.grant(self.role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteOwnEncryptedLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:AssociateKmsKey",
                ],
                resources=[g.log_group_arn for g in self.log_groups],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PublishGlueMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "Glue"}},
            )
        )

        default_arguments = {
            "--job-language": "python",
            "--job-bookmark-option": bookmarks.value,
            "--enable-metrics": "true",
            "--enable-observability-metrics": "true",
            "--enable-job-insights": "true",
            "--enable-auto-scaling": "true" if auto_scaling else "false",
            # Glue's form of spark-submit settings: "k=v --conf k2=v2".
            "--conf": " --conf ".join(f"{k}={v}" for k, v in conf.items()),
        }
        if glue_version is GlueVersion.V4_0:
            default_arguments["--enable-continuous-cloudwatch-log"] = "true"
        if builtin:
            default_arguments.update(layout.arguments(lake))
        default_arguments.update(extra)
        self.default_arguments = default_arguments

        self.job = glue.CfnJob(
            self,
            "Job",
            name=job_name,
            description=f"Spark ETL job of {self.node.path}",
            role=self.role.role_arn,
            command=glue.CfnJob.JobCommandProperty(
                name="glueetl", python_version="3", script_location=self.script_asset.s3_object_url
            ),
            glue_version=glue_version.value,
            worker_type=worker_type.value,
            number_of_workers=number_of_workers,
            execution_class=execution_class.value,
            timeout=int(timeout.to_seconds() // 60),
            max_retries=max_retries,
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=max_concurrent_runs),
            security_configuration=config_name,
            default_arguments=default_arguments,
        )
        # The role's policy (logs, data, key) must exist before the first run can start.
        policy = self.role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            self.job.node.add_dependency(policy)
        for group in self.log_groups:
            self.job.node.add_dependency(group)

        self.crawler: glue.CfnCrawler | None = None
        self.crawler_role: iam.Role | None = None
        self.crawl_path = crawl_path if crawler else None
        if crawler and crawl_path is not None:
            self._add_crawler(crawl_path, table_prefix, log_retention, removal)

        self.workflow: glue.CfnWorkflow | None = None
        self.triggers: list[glue.CfnTrigger] = []
        self.event_rule: events.Rule | None = None
        if trigger is not None:
            self._add_trigger(trigger)

        acknowledge_spark_grants(
            self.role,
            lake,
            self.script_asset,
            reads=reads,
            writes=writes,
            purpose=f"the Glue job {self.node.path} reads its inputs and rewrites its outputs",
        )
        acknowledge_wildcards(
            self.role,
            "cloudwatch:PutMetricData has no resource-level permissions; the statement is limited "
            "to the 'Glue' metric namespace by condition (Glue job and observability metrics).",
            resources=["*"],
        )

    # -- construction helpers ----------------------------------------------------------------
    def _check_trigger(self, trigger: JobTrigger | None) -> None:
        if trigger is None:
            return
        if not isinstance(trigger, JobTrigger):
            raise invalid(
                self, "trigger", trigger, "JobTrigger.schedule(...) or JobTrigger.on_new_objects(...)"
            )
        if trigger.kind is TriggerKind.SCHEDULE:
            if not isinstance(trigger.cron, str) or not _GLUE_CRON.match(trigger.cron):
                raise invalid(
                    self,
                    "trigger.cron",
                    trigger.cron,
                    "a Glue cron expression with 6 fields, e.g. 'cron(0 3 * * ? *)'",
                )
            return
        check_range(self, "trigger.batch_size", trigger.batch_size, minimum=1, maximum=100)
        check_range(
            self,
            "trigger.batch_window",
            trigger.batch_window.to_seconds(),
            minimum=1,
            maximum=900,
            unit="seconds",
        )
        assert trigger.path is not None
        check_s3_prefix(self, "trigger.prefix", trigger.path.prefix)

    def _add_crawler(
        self, path: LakePath, table_prefix: str, log_retention: logs.RetentionDays, removal: RemovalPolicy
    ) -> None:
        lake, key = self.lake, self.lake.encryption_key
        role = iam.Role(
            self,
            "CrawlerRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"Crawler role of {self.node.path}",
        )
        config_name = self.security_configuration.ref
        log_group = secure_log_group(
            self,
            "CrawlerLogs",
            encryption_key=key,
            retention=log_retention,
            log_group_name=f"/aws-glue/crawlers-role/{role.role_name}-{config_name}",
            removal_policy=removal,
        )
        self.log_groups.append(log_group)
        lake.grant_read(role, path.zone, path.grant_pattern)
        database = lake.database_name(path.zone)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="MaintainTablesOfTheZoneDatabase",
                actions=[
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:CreateTable",
                    "glue:UpdateTable",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                    "glue:CreatePartition",
                    "glue:BatchCreatePartition",
                    "glue:UpdatePartition",
                    "glue:BatchUpdatePartition",
                ],
                resources=[
                    partition_arn(self, "glue", "catalog"),
                    partition_arn(self, "glue", f"database/{database}"),
                    partition_arn(self, "glue", f"table/{database}/*"),
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteOwnEncryptedLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:AssociateKmsKey",
                ],
                resources=[log_group.log_group_arn],
            )
        )
        key.grant(role, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*")
        self.crawler_role = role
        self.crawler = glue.CfnCrawler(
            self,
            "Crawler",
            role=role.role_arn,
            description=f"Keeps the table of {path.zone.value}/{path.prefix} current ({self.node.path})",
            database_name=database,
            table_prefix=table_prefix or None,
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(
                        path=path.uri(lake), exclusions=["**/_SUCCESS", "**/_temporary/**", "**_$folder$"]
                    )
                ]
            ),
            crawler_security_configuration=config_name,
            recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(recrawl_behavior="CRAWL_EVERYTHING"),
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior="UPDATE_IN_DATABASE", delete_behavior="LOG"
            ),
            configuration=(
                '{"Version":1.0,"CrawlerOutput":{"Partitions":{"AddOrUpdateBehavior":"InheritFromTable"}},'
                '"Grouping":{"TableGroupingPolicy":"CombineCompatibleSchemas"}}'
            ),
        )
        policy = role.node.find_child("DefaultPolicy")
        self.crawler.node.add_dependency(policy, log_group)
        acknowledge_wildcards(
            role,
            f"The crawler of {self.node.path} reads the objects under {path.zone.value}/{path.prefix} "
            "(keys not known in advance) with CDK's standard read grant, and maintains the tables "
            "and partitions of one Glue database (table names are discovered by the crawl).",
            actions=["s3:GetObject*", "s3:GetBucket*", "s3:List*", "kms:GenerateDataKey*"],
            resources=[
                lake.bucket(path.zone).arn_for_objects(f"{path.grant_pattern}*"),
                partition_arn(self, "glue", f"table/{database}/*"),
            ],
        )

    def _add_trigger(self, trigger: JobTrigger) -> None:
        self.workflow = glue.CfnWorkflow(
            self,
            "Workflow",
            description=f"Runs {self.node.path} (and its crawler) inside Glue",
            max_concurrent_runs=1,
        )
        start = glue.CfnTrigger.ActionProperty(job_name=self.job_name)
        if trigger.kind is TriggerKind.SCHEDULE:
            start_trigger = glue.CfnTrigger(
                self,
                "ScheduleTrigger",
                type="SCHEDULED",
                schedule=trigger.cron,
                start_on_creation=True,
                workflow_name=self.workflow.ref,
                actions=[start],
                description=f"Starts {self.node.path} on {trigger.cron}",
            )
        else:
            assert trigger.path is not None
            start_trigger = glue.CfnTrigger(
                self,
                "EventTrigger",
                type="EVENT",
                workflow_name=self.workflow.ref,
                actions=[start],
                event_batching_condition=glue.CfnTrigger.EventBatchingConditionProperty(
                    batch_size=trigger.batch_size, batch_window=int(trigger.batch_window.to_seconds())
                ),
                description=f"Starts {self.node.path} when objects land under {trigger.path.prefix}",
            )
            self._add_event_rule(trigger.path)
        self.triggers.append(start_trigger)
        if self.crawler is not None:
            self.triggers.append(
                glue.CfnTrigger(
                    self,
                    "CrawlAfterRunTrigger",
                    type="CONDITIONAL",
                    start_on_creation=True,
                    workflow_name=self.workflow.ref,
                    actions=[glue.CfnTrigger.ActionProperty(crawler_name=self.crawler.ref)],
                    predicate=glue.CfnTrigger.PredicateProperty(
                        logical="AND",
                        conditions=[
                            glue.CfnTrigger.ConditionProperty(
                                job_name=self.job_name, state="SUCCEEDED", logical_operator="EQUALS"
                            )
                        ],
                    ),
                    description=f"Crawls the output of {self.node.path} after each successful run",
                )
            )

    def _add_event_rule(self, path: LakePath) -> None:
        assert self.workflow is not None
        workflow_arn = partition_arn(self, "glue", f"workflow/{self.workflow.ref}")
        role = iam.Role(
            self,
            "EventRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description=f"Lets EventBridge notify the Glue workflow of {self.node.path}",
        )
        role.add_to_policy(iam.PolicyStatement(actions=["glue:notifyEvent"], resources=[workflow_arn]))
        bucket = self.lake.bucket(path.zone)
        detail: dict = {"bucket": {"name": [bucket.bucket_name]}}
        if path.prefix:
            detail["object"] = {"key": [{"prefix": path.prefix}]}
        self.event_rule = events.Rule(
            self,
            "NewObjectsRule",
            description=f"New objects under {path.zone.value}/{path.prefix} start {self.node.path}",
            event_pattern=events.EventPattern(
                source=["aws.s3"], detail_type=["Object Created"], detail=detail
            ),
        )
        self.event_rule.add_target(_GlueWorkflowTarget(workflow_arn, role))

    # -- orchestration -----------------------------------------------------------------------
    @property
    def job_name(self) -> str:
        """The job's name (a token until deploy)."""
        return self.job.ref

    @property
    def job_arn(self) -> str:
        return partition_arn(self, "glue", f"job/{self.job.ref}")

    @property
    def crawler_name(self) -> str | None:
        return self.crawler.ref if self.crawler is not None else None

    def start_task(
        self,
        scope: Construct,
        id: str,
        *,
        arguments: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        result_path: str = sfn.JsonPath.DISCARD,
    ) -> tasks.GlueStartJobRun:
        """A Step Functions task that runs the job and waits for it (``glue:startJobRun.sync``).

        ``arguments`` override the job's default arguments for this run. The state's input
        passes through unchanged unless ``result_path`` asks to keep the run's details (e.g.
        ``"$.etl"``). The state machine role gets start/get/stop on this job when the task is
        added to it.
        """
        extra = check_arguments(self, arguments)
        return tasks.GlueStartJobRun(
            scope,
            id,
            glue_job_name=self.job_name,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            arguments=sfn.TaskInput.from_object(extra) if extra else None,
            task_timeout=sfn.Timeout.duration(timeout) if timeout else None,
            result_path=result_path,
        )

    def crawl_task(
        self, scope: Construct, id: str, *, result_path: str = sfn.JsonPath.DISCARD
    ) -> tasks.GlueStartCrawlerRun:
        """A Step Functions task that starts the crawler (it runs on; the catalog is current a few
        minutes later). Raises when the job has no crawler."""
        if self.crawler is None:
            raise invalid(self, "crawler", None, "a crawler (crawler=True) before asking for crawl_task")
        return tasks.GlueStartCrawlerRun(scope, id, crawler_name=self.crawler.ref, result_path=result_path)

    def grant_start_run(self, grantee: iam.IGrantable) -> iam.Grant:
        """Start and watch runs of this job (:meth:`start_task` grants this by itself)."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
            resource_arns=[self.job_arn],
        )


__all__ = [
    "GlueEtlJob",
    "GlueExecutionClass",
    "GlueVersion",
    "GlueWorkerType",
    "JobBookmarks",
    "JobTrigger",
    "TriggerKind",
]
