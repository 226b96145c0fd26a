"""DatabaseIngest: a SQL database, full load + change data capture, into the raw zone (DMS)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dms as dms
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..core import (
    DEFAULT_LOG_RETENTION,
    acknowledge,
    check_choice,
    check_range,
    check_s3_prefix,
    invalid,
    secure_key,
    secure_log_group,
)
from ..core.alarms import alarm_at_least
from ..core.nag import acknowledge_wildcards
from ..core.naming import resource_name, slug
from ..core.topics import rule_target
from ..core.validation import check_construct_id, is_token
from ..store.data_lake import DataLake


class DatabaseEngine(StrEnum):
    """The source database engine (DMS engine names)."""

    MYSQL = "mysql"
    MARIADB = "mariadb"
    POSTGRES = "postgres"
    ORACLE = "oracle"
    SQL_SERVER = "sqlserver"
    AURORA_MYSQL = "aurora"
    AURORA_POSTGRES = "aurora-postgresql"


class MigrationType(StrEnum):
    """What DMS replicates."""

    FULL_LOAD = "full-load"  # a one-off copy
    CDC = "cdc"  # ongoing changes only
    FULL_LOAD_AND_CDC = "full-load-and-cdc"  # a copy, then every change (default)


class SslMode(StrEnum):
    """TLS between DMS and the source database."""

    NONE = "none"
    REQUIRE = "require"
    VERIFY_CA = "verify-ca"
    VERIFY_FULL = "verify-full"


class DatePartitioning(StrEnum):
    """Folders DMS adds under ``<prefix>/<schema>/<table>/`` from each change's commit date."""

    DAY = "YYYYMMDD"  # YYYY/MM/DD/ (default)
    HOUR = "YYYYMMDDHH"  # YYYY/MM/DD/HH/
    MONTH = "YYYYMM"  # YYYY/MM/


DEFAULT_PORTS = {
    DatabaseEngine.MYSQL: 3306,
    DatabaseEngine.MARIADB: 3306,
    DatabaseEngine.AURORA_MYSQL: 3306,
    DatabaseEngine.POSTGRES: 5432,
    DatabaseEngine.AURORA_POSTGRES: 5432,
    DatabaseEngine.ORACLE: 1521,
    DatabaseEngine.SQL_SERVER: 1433,
}
# Engines whose DMS endpoint needs the database name (MySQL-family endpoints span databases).
NEEDS_DATABASE_NAME = {
    DatabaseEngine.POSTGRES,
    DatabaseEngine.AURORA_POSTGRES,
    DatabaseEngine.ORACLE,
    DatabaseEngine.SQL_SERVER,
}
# TLS modes each engine's DMS endpoint supports.
SSL_MODES = {
    DatabaseEngine.MYSQL: set(SslMode),
    DatabaseEngine.MARIADB: set(SslMode),
    DatabaseEngine.AURORA_MYSQL: set(SslMode),
    DatabaseEngine.POSTGRES: set(SslMode),
    DatabaseEngine.AURORA_POSTGRES: set(SslMode),
    DatabaseEngine.SQL_SERVER: {SslMode.NONE, SslMode.REQUIRE},
    DatabaseEngine.ORACLE: {SslMode.NONE, SslMode.VERIFY_CA},
}
# DMS Serverless capacity units (DCU) it accepts.
CAPACITY_UNITS = (1, 2, 4, 8, 16, 32, 64, 128, 192, 256, 384)
_NAME = re.compile(r"[A-Za-z0-9_$#%\-]+")
_INSTANCE_CLASS = re.compile(r"dms\.[a-z0-9]+\.[a-z0-9]+")
_CERTIFICATE_ARN = re.compile(r"arn:aws[a-z-]*:dms:[a-z0-9-]+:\d{12}:cert:[A-Za-z0-9-]+")


class TableAction(StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class TableRule:
    """Tables ``table`` of schema ``schema``; ``%`` (or ``*``) matches any run of characters."""

    schema: str
    table: str = "%"
    action: TableAction = TableAction.INCLUDE


@dataclass(frozen=True)
class TableSelection:
    """Which schemas and tables DMS replicates (DMS selection rules, in order)::

    TableSelection.include("sales")                        # every table of sales
    TableSelection.include("sales", "order%").and_exclude("sales", "order_tmp%")
    """

    rules: tuple[TableRule, ...] = field(default_factory=tuple)

    @classmethod
    def include(cls, schema: str, table: str = "%") -> TableSelection:
        return cls(rules=(TableRule(schema, table),))

    @classmethod
    def everything(cls) -> TableSelection:
        """All tables of all schemas the credentials can read (system schemas excluded by DMS)."""
        return cls.include("%", "%")

    def and_include(self, schema: str, table: str = "%") -> TableSelection:
        return TableSelection(rules=(*self.rules, TableRule(schema, table)))

    def and_exclude(self, schema: str, table: str = "%") -> TableSelection:
        return TableSelection(rules=(*self.rules, TableRule(schema, table, TableAction.EXCLUDE)))

    def problem(self) -> str | None:
        """What is wrong with these rules, or ``None``."""
        if not self.rules:
            return "at least one rule"
        seen = set()
        for rule in self.rules:
            if not isinstance(rule, TableRule):
                return f"TableRule entries, got {rule!r}"
            for part in (rule.schema, rule.table):
                if not isinstance(part, str) or not _NAME.fullmatch(part.replace("*", "%")):
                    return (
                        f"schema and table names of letters, digits, _$#-, or % / * wildcards, got {part!r}"
                    )
            if rule.action not in list(TableAction):
                return f"an include or exclude action, got {rule.action!r}"
            key = (rule.schema.replace("*", "%"), rule.table.replace("*", "%"))
            if key in seen:
                return f"each schema/table once, got {key} twice"
            seen.add(key)
        if not any(r.action == TableAction.INCLUDE for r in self.rules):
            return "at least one include rule (exclude rules alone select nothing)"
        return None

    def to_table_mappings(self) -> dict[str, Any]:
        """The DMS table-mapping document."""
        return {
            "rules": [
                {
                    "rule-type": "selection",
                    "rule-id": str(number),
                    "rule-name": f"{TableAction(rule.action).value}-{number}",
                    "object-locator": {
                        "schema-name": rule.schema.replace("*", "%"),
                        "table-name": rule.table.replace("*", "%"),
                    },
                    "rule-action": TableAction(rule.action).value,
                }
                for number, rule in enumerate(self.rules, start=1)
            ]
        }


@dataclass(frozen=True)
class ServerlessCapacity:
    """DMS Serverless (default): capacity scales between ``min`` and ``max`` DMS capacity units
    (1 DCU = 2 GB of memory; 1, 2, 4, 8, 16, 32, 64, 128, 192, 256 or 384)."""

    min_capacity_units: int = 1
    max_capacity_units: int = 4
    multi_az: bool = False


@dataclass(frozen=True)
class ReplicationInstance:
    """A provisioned DMS replication instance instead of Serverless."""

    instance_class: str = "dms.t3.medium"
    allocated_storage_gb: int = 50
    multi_az: bool = False
    engine_version: str | None = None


class DatabaseIngest(Construct):
    """DMS: a SQL database -> full load + CDC -> Parquet files in the lake's raw zone.

    Changes land under ``<prefix>/<schema>/<table>/YYYY/MM/DD/`` as Parquet (GZIP), SSE-KMS
    with the lake's key, each row with an ``Op`` column (I/U/D) and a ``dms_commit_ts`` column.
    The source endpoint reads its connection (``host``, ``port``, ``username``, ``password``)
    from the Secrets Manager secret ``credentials``: no password is ever in the template.

    DMS runs in private subnets of ``vpc`` behind a security group that allows no inbound
    traffic and outbound only HTTPS and the database port; let it in with
    ``database.connections.allow_default_port_from(ingest.connections)`` or the database's own rules.
    CloudFormation creates the replication but does not start it: start it once deployed
    (``aws dms start-replication`` for Serverless, ``start-replication-task`` otherwise).

    Args:
        engine: the source :class:`DatabaseEngine`.
        credentials: a Secrets Manager secret (``secretsmanager.ISecret``) with ``host``,
            ``port``, ``username`` and ``password``. A plain string is rejected.
        tables: the :class:`TableSelection` to replicate.
        lake: the data lake; its raw zone is the target, its key encrypts the files.
        database_name: the database to read (required for PostgreSQL, Oracle, SQL Server).
        bucket / encryption_key: bring your own target bucket / key (default from ``lake``).
        prefix: S3 key prefix (default ``databases/<id>/``).
        migration_type: FULL_LOAD_AND_CDC (default), FULL_LOAD or CDC.
        capacity: :class:`ServerlessCapacity` (default 1-4 DCU) or :class:`ReplicationInstance`.
        vpc: the VPC DMS runs in, the database's or one routed to it (default: a new VPC with
            two private isolated subnets, flow logs, an S3 gateway endpoint and a Secrets
            Manager interface endpoint; it reaches only databases placed in it).
        vpc_subnets: where in ``vpc`` (default private subnets; at least two AZs).
        security_group: bring your own (default one as described above).
        port: database port for the security group's egress rule (default the engine's).
        ssl_mode: TLS to the source (default REQUIRE; VERIFY_CA for Oracle needs
            ``certificate_arn``); ``certificate_arn``: a DMS certificate for VERIFY_*.
        date_partitioning: DAY (default), HOUR or MONTH folders.
        create_service_roles: create the account-wide ``dms-vpc-role`` and
            ``dms-cloudwatch-logs-role`` DMS needs (default False: they exist once per account;
            a second stack creating them fails). Set it in exactly one stack of an account
            that has never used DMS.
        logging: DMS task logging to CloudWatch Logs (default True; needs
            ``dms-cloudwatch-logs-role``).
        credentials_key: the customer-managed KMS key the ``credentials`` secret is encrypted
            with, when not the AWS managed ``aws/secretsmanager`` key and the secret is imported
            (its key is unknown then): DMS's secret-access role gets ``kms:Decrypt`` on it, through
            Secrets Manager only.
        alarm_topic: SNS topic notified when the replication fails: the failure alarm and the
            failure rule (the DMS event itself) publish to it.
        removal_policy: of created key and log groups (default the lake's, else RETAIN).
        target_role / secret_access_role: bring your own roles DMS assumes to write the target
            prefix (S3 and the key) and to read the credentials secret; nothing is added to
            them. Default: new least-privilege roles.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        engine: DatabaseEngine,
        credentials: secretsmanager.ISecret,
        tables: TableSelection,
        lake: DataLake | None = None,
        database_name: str | None = None,
        bucket: s3.IBucket | None = None,
        encryption_key: kms.IKey | None = None,
        prefix: str | None = None,
        migration_type: MigrationType = MigrationType.FULL_LOAD_AND_CDC,
        capacity: ServerlessCapacity | ReplicationInstance = ServerlessCapacity(),
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        port: int | None = None,
        ssl_mode: SslMode | None = None,
        certificate_arn: str | None = None,
        date_partitioning: DatePartitioning = DatePartitioning.DAY,
        create_service_roles: bool = False,
        logging: bool = True,
        credentials_key: kms.IKey | None = None,
        alarm_topic: sns.ITopic | None = None,
        removal_policy: RemovalPolicy | None = None,
        target_role: iam.IRole | None = None,
        secret_access_role: iam.IRole | None = None,
    ) -> None:
        check_construct_id(scope, id, "DatabaseIngest")
        super().__init__(scope, id)
        check_choice(self, "engine", engine, list(DatabaseEngine))
        engine = DatabaseEngine(engine)
        if isinstance(credentials, str) or not hasattr(credentials, "secret_arn"):
            shown = "<a plain string>" if isinstance(credentials, str) else type(credentials).__name__
            raise invalid(
                self,
                "credentials",
                shown,
                "a secretsmanager.ISecret holding host, port, username and password "
                "(a password in code would end up in plain text in the template)",
            )
        if not isinstance(tables, TableSelection):
            raise invalid(self, "tables", tables, "a TableSelection, e.g. TableSelection.include('sales')")
        problem = tables.problem()
        if problem:
            rules = [(r.schema, r.table, str(r.action)) for r in tables.rules if isinstance(r, TableRule)]
            raise invalid(self, "tables", rules, problem)
        check_choice(self, "migration_type", migration_type, list(MigrationType))
        check_choice(self, "date_partitioning", date_partitioning, list(DatePartitioning))
        if engine in NEEDS_DATABASE_NAME and not database_name:
            raise invalid(
                self, "database_name", database_name, f"the database to read (required for {engine.name})"
            )
        target = bucket or (lake.raw_bucket if lake else None)
        if target is None:
            raise invalid(self, "bucket", None, "a bucket, or a lake whose raw zone is the target")
        removal = removal_policy or (lake.removal_policy if lake else RemovalPolicy.RETAIN)
        prefix = check_s3_prefix(
            self, "prefix", prefix if prefix is not None else f"databases/{slug(id, 'database')}/"
        )
        if not prefix:
            raise invalid(self, "prefix", prefix, "a non-empty key prefix such as 'databases/orders/'")
        if ssl_mode is not None:
            check_choice(self, "ssl_mode", ssl_mode, list(SslMode))
        port = port if port is not None else DEFAULT_PORTS[engine]
        check_range(self, "port", port, minimum=1, maximum=65535)
        ssl = (
            SslMode(ssl_mode)
            if ssl_mode is not None
            else (
                SslMode.NONE
                if engine is DatabaseEngine.ORACLE and certificate_arn is None
                else SslMode.VERIFY_CA
                if engine is DatabaseEngine.ORACLE
                else SslMode.REQUIRE
            )
        )
        check_choice(self, "ssl_mode", ssl, sorted(SSL_MODES[engine]))
        if (
            certificate_arn is not None
            and not is_token(certificate_arn)
            and not _CERTIFICATE_ARN.fullmatch(str(certificate_arn))
        ):
            raise invalid(
                self,
                "certificate_arn",
                certificate_arn,
                "a DMS certificate ARN, arn:<partition>:dms:<region>:<account>:cert:<id>",
            )
        if ssl in (SslMode.VERIFY_CA, SslMode.VERIFY_FULL) and certificate_arn is None:
            raise invalid(self, "certificate_arn", None, f"a DMS certificate ARN with ssl_mode={ssl.name}")
        self._check_capacity(capacity)

        self.engine, self.bucket, self.prefix = engine, target, prefix
        self.migration_type = MigrationType(migration_type)
        self.credentials = credentials
        self.table_mappings = tables.to_table_mappings()
        self.encryption_key: kms.IKey = (
            encryption_key
            or (lake.encryption_key if lake else None)
            or secure_key(
                self, "Key", description=f"Database ingest key of {self.node.path}", removal_policy=removal
            )
        )
        key = self.encryption_key

        # -- account-wide service roles (opt-in) -----------------------------------------------
        self.service_roles: list[iam.Role] = []
        if create_service_roles:
            self.service_roles = self._service_roles()

        # -- network --------------------------------------------------------------------------
        self.flow_log_group: logs.LogGroup | None = None
        self.vpc = vpc or self._vpc(removal)
        subnet_ids = self._subnet_ids(vpc_subnets)
        self.subnet_group = dms.CfnReplicationSubnetGroup(
            self,
            "SubnetGroup",
            replication_subnet_group_description=f"Subnets of {self.node.path}",
            subnet_ids=subnet_ids,
        )
        for role in self.service_roles:
            self.subnet_group.node.add_dependency(role)
        self.security_group = security_group or self._security_group(port)
        self.secrets_endpoint = self._secrets_endpoint() if vpc is None else None
        self.connections = ec2.Connections(
            security_groups=[self.security_group], default_port=ec2.Port.tcp(port)
        )

        # -- endpoints ------------------------------------------------------------------------
        self._own_secret_access_role = secret_access_role is None
        self.secret_access_role: iam.IRole = secret_access_role or self._secret_access_role(
            credentials, credentials_key
        )
        self.target_role: iam.IRole = target_role or self._target_role(target, key, prefix)
        self.source_endpoint = self._source_endpoint(engine, database_name, ssl, certificate_arn, key)
        self.target_endpoint = dms.CfnEndpoint(
            self,
            "TargetEndpoint",
            endpoint_type="target",
            engine_name="s3",
            kms_key_id=key.key_arn,
            s3_settings=dms.CfnEndpoint.S3SettingsProperty(
                bucket_name=target.bucket_name,
                bucket_folder=prefix.rstrip("/"),
                service_access_role_arn=self.target_role.role_arn,
                expected_bucket_owner=Aws.ACCOUNT_ID,
                data_format="parquet",
                parquet_version="parquet-2-0",
                compression_type="GZIP",
                encryption_mode="SSE_KMS",
                server_side_encryption_kms_key_id=key.key_arn,
                date_partition_enabled=True,
                date_partition_sequence=DatePartitioning(date_partitioning).value,
                date_partition_delimiter="SLASH",
                include_op_for_full_load=True,
                timestamp_column_name="dms_commit_ts",
                enable_statistics=True,
            ),
        )
        if target_role is None:
            self.target_endpoint.node.add_dependency(_policy(self.target_role))

        # -- replication ----------------------------------------------------------------------
        settings = _task_settings(logging)
        self.replication_config: dms.CfnReplicationConfig | None = None
        self.replication_instance: dms.CfnReplicationInstance | None = None
        self.replication_task: dms.CfnReplicationTask | None = None
        if isinstance(capacity, ServerlessCapacity):
            identifier = resource_name(self, max_length=60)
            self.replication_config = dms.CfnReplicationConfig(
                self,
                "Replication",
                replication_config_identifier=identifier,
                resource_identifier=identifier,
                replication_type=self.migration_type.value,
                source_endpoint_arn=self.source_endpoint.ref,
                target_endpoint_arn=self.target_endpoint.ref,
                table_mappings=self.table_mappings,
                replication_settings=settings,
                compute_config=dms.CfnReplicationConfig.ComputeConfigProperty(
                    min_capacity_units=capacity.min_capacity_units,
                    max_capacity_units=capacity.max_capacity_units,
                    multi_az=capacity.multi_az,
                    kms_key_id=key.key_arn,
                    replication_subnet_group_id=self.subnet_group.ref,
                    vpc_security_group_ids=[self.security_group.security_group_id],
                ),
            )
            self.replication_arn = self.replication_config.attr_replication_config_arn
        else:
            self.replication_instance = dms.CfnReplicationInstance(
                self,
                "Instance",
                replication_instance_class=capacity.instance_class,
                allocated_storage=capacity.allocated_storage_gb,
                multi_az=capacity.multi_az,
                engine_version=capacity.engine_version,
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                kms_key_id=key.key_arn,
                replication_subnet_group_identifier=self.subnet_group.ref,
                vpc_security_group_ids=[self.security_group.security_group_id],
            )
            self.replication_task = dms.CfnReplicationTask(
                self,
                "Task",
                migration_type=self.migration_type.value,
                replication_instance_arn=self.replication_instance.ref,
                source_endpoint_arn=self.source_endpoint.ref,
                target_endpoint_arn=self.target_endpoint.ref,
                table_mappings=json.dumps(self.table_mappings),
                replication_task_settings=json.dumps(settings),
            )
            self.replication_arn = self.replication_task.ref

        # -- failure alarm --------------------------------------------------------------------
        # The failure event itself goes to the topic too (it names the task and the cause).
        self.failure_rule = events.Rule(
            self,
            "FailureRule",
            description=f"DMS failure events of {self.node.path}",
            event_pattern=events.EventPattern(
                source=["aws.dms"], resources=[self.replication_arn], detail={"category": ["Failure"]}
            ),
            targets=[rule_target(alarm_topic)] if alarm_topic is not None else None,
        )
        self.failure_alarm = alarm_at_least(
            self,
            "FailureAlarm",
            cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="TriggeredRules",
                dimensions_map={"RuleName": self.failure_rule.rule_name},
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            description=f"The DMS replication of {self.node.path} failed (see its DMS task log)",
            topic=alarm_topic,
        )
        self.alarms = [self.failure_alarm]

    # -- validation ---------------------------------------------------------------------------
    def _check_capacity(self, capacity: Any) -> None:
        if isinstance(capacity, ServerlessCapacity):
            for name in ("min_capacity_units", "max_capacity_units"):
                value = getattr(capacity, name)
                if value not in CAPACITY_UNITS or isinstance(value, bool):
                    raise invalid(
                        self, f"capacity.{name}", value, "one of " + ", ".join(map(str, CAPACITY_UNITS))
                    )
            if capacity.min_capacity_units > capacity.max_capacity_units:
                raise invalid(
                    self,
                    "capacity.min_capacity_units",
                    capacity.min_capacity_units,
                    f"<= max_capacity_units ({capacity.max_capacity_units})",
                )
        elif isinstance(capacity, ReplicationInstance):
            if not _INSTANCE_CLASS.fullmatch(capacity.instance_class):
                raise invalid(
                    self, "capacity.instance_class", capacity.instance_class, "a DMS class like dms.t3.medium"
                )
            check_range(
                self,
                "capacity.allocated_storage_gb",
                capacity.allocated_storage_gb,
                minimum=5,
                maximum=6144,
                unit="GB",
            )
        else:
            raise invalid(self, "capacity", capacity, "a ServerlessCapacity or a ReplicationInstance")

    def _subnet_ids(self, selection: ec2.SubnetSelection | None) -> list[str]:
        """The chosen subnets; by default the private ones (with egress, else isolated)."""
        choices = (
            [selection]
            if selection is not None
            else [
                ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            ]
        )
        for choice in choices:
            try:
                subnet_ids = self.vpc.select_subnets(**_selection_kwargs(choice)).subnet_ids
            except RuntimeError:  # CDK: the VPC has no subnets of that kind
                continue
            if subnet_ids:
                return subnet_ids
        raise invalid(
            self, "vpc_subnets", selection, "a selection of private subnets of the VPC (two AZs or more)"
        )

    # -- resources ----------------------------------------------------------------------------
    def _service_roles(self) -> list[iam.Role]:
        """``dms-vpc-role`` and ``dms-cloudwatch-logs-role``: fixed names DMS looks up."""
        roles = []
        for construct_id, name, policy, purpose in (
            (
                "VpcRole",
                "dms-vpc-role",
                "service-role/AmazonDMSVPCManagementRole",
                "manage network interfaces",
            ),
            (
                "CloudWatchLogsRole",
                "dms-cloudwatch-logs-role",
                "service-role/AmazonDMSCloudWatchLogsRole",
                "write task logs",
            ),
        ):
            role = iam.Role(
                self,
                construct_id,
                role_name=name,
                assumed_by=iam.ServicePrincipal("dms.amazonaws.com"),
                managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(policy)],
                description=f"Account-wide role DMS uses to {purpose} (created by {self.node.path})",
            )
            acknowledge(
                role,
                "AwsSolutions-IAM4",
                f"DMS requires the role named {name} with the AWS managed policy {policy.split('/')[-1]}; "
                "DMS looks the role up by this fixed name and AWS maintains the policy as DMS evolves.",
                findings=[f"Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}"],
            )
            roles.append(role)
        return roles

    def _vpc(self, removal: RemovalPolicy) -> ec2.Vpc:
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            restrict_default_security_group=False,  # True would add a custom resource
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="replication", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                )
            ],
        )
        flow_logs = secure_log_group(
            self,
            "FlowLogs",
            encryption_key=self.encryption_key,
            retention=DEFAULT_LOG_RETENTION,
            removal_policy=removal,
        )
        vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))
        vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        self.flow_log_group = flow_logs
        return vpc

    def _secrets_endpoint(self) -> ec2.InterfaceVpcEndpoint:
        """Secrets Manager inside the created VPC, reachable from the replication only."""
        group = ec2.SecurityGroup(
            self,
            "SecretsEndpointSecurityGroup",
            vpc=self.vpc,
            description=f"Secrets Manager endpoint of {self.node.path}: HTTPS from the replication only",
            allow_all_outbound=False,
        )
        group.add_ingress_rule(self.security_group, ec2.Port.tcp(443), "DMS reads the database credentials")
        return self.vpc.add_interface_endpoint(
            "SecretsManager",
            service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
            security_groups=[group],
            open=False,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        )

    def _security_group(self, port: int) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=self.vpc,
            description=f"DMS replication of {self.node.path}: no inbound; HTTPS and the database port out",
            allow_all_outbound=False,
        )
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs (S3, Secrets Manager, KMS)")
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(port), "The source database")
        return group

    def _dms_principal(self) -> iam.IPrincipal:
        # DMS assumes endpoint roles as the global and (for Secrets Manager) the regional principal.
        return iam.CompositePrincipal(
            iam.ServicePrincipal("dms.amazonaws.com"), iam.ServicePrincipal(f"dms.{Aws.REGION}.amazonaws.com")
        )

    def _secret_access_role(self, secret: secretsmanager.ISecret, key: kms.IKey | None) -> iam.Role:
        role = iam.Role(
            self,
            "SecretAccessRole",
            assumed_by=self._dms_principal(),
            description=f"Lets DMS read the database credentials of {self.node.path}",
        )
        # CDK's grant: GetSecretValue and DescribeSecret on this secret (its full ARN, or
        # "<name>-??????" for a secret imported by name) and decrypt with its key.
        secret.grant_read(role)
        if key is not None:
            # Secrets Manager decrypts the secret with the caller's rights (its user guide,
            # "Permissions for the KMS key"): kms:Decrypt, only through Secrets Manager.
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"secretsmanager.{Aws.REGION}.amazonaws.com"}
                    },
                )
            )
        return role

    def _target_role(self, bucket: s3.IBucket, key: kms.IKey, prefix: str) -> iam.Role:
        role = iam.Role(
            self,
            "TargetRole",
            assumed_by=self._dms_principal(),
            description=f"Lets DMS write the replicated tables of {self.node.path} to S3",
        )
        objects = bucket.arn_for_objects(f"{prefix}*")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging"], resources=[objects]
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}},
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[key.key_arn]))
        acknowledge_wildcards(
            role,
            f"DMS writes one folder per schema, table and date under the prefix {prefix} only; the "
            "file names are generated by DMS and not known in advance.",
            resources=[objects],
        )
        return role

    def _source_endpoint(
        self,
        engine: DatabaseEngine,
        database_name: str | None,
        ssl: SslMode,
        certificate_arn: str | None,
        key: kms.IKey,
    ) -> dms.CfnEndpoint:
        secret_id, role_arn = self.credentials.secret_arn, self.secret_access_role.role_arn
        settings: dict[str, Any] = {}
        if engine in (DatabaseEngine.MYSQL, DatabaseEngine.MARIADB, DatabaseEngine.AURORA_MYSQL):
            settings["my_sql_settings"] = dms.CfnEndpoint.MySqlSettingsProperty(
                secrets_manager_secret_id=secret_id, secrets_manager_access_role_arn=role_arn
            )
        elif engine in (DatabaseEngine.POSTGRES, DatabaseEngine.AURORA_POSTGRES):
            settings["postgre_sql_settings"] = dms.CfnEndpoint.PostgreSqlSettingsProperty(
                secrets_manager_secret_id=secret_id, secrets_manager_access_role_arn=role_arn
            )
        elif engine is DatabaseEngine.ORACLE:
            settings["oracle_settings"] = dms.CfnEndpoint.OracleSettingsProperty(
                secrets_manager_secret_id=secret_id, secrets_manager_access_role_arn=role_arn
            )
        else:
            settings["microsoft_sql_server_settings"] = dms.CfnEndpoint.MicrosoftSqlServerSettingsProperty(
                secrets_manager_secret_id=secret_id, secrets_manager_access_role_arn=role_arn
            )
        endpoint = dms.CfnEndpoint(
            self,
            "SourceEndpoint",
            endpoint_type="source",
            engine_name=engine.value,
            database_name=database_name,
            ssl_mode=ssl.value,
            certificate_arn=certificate_arn,
            kms_key_id=key.key_arn,
            **settings,
        )
        if self._own_secret_access_role:
            endpoint.node.add_dependency(_policy(self.secret_access_role))
        return endpoint

    # -- public API ---------------------------------------------------------------------------
    def metric_failures(self) -> cloudwatch.Metric:
        """DMS failure events of this replication (EventBridge rule matches)."""
        return cloudwatch.Metric(
            namespace="AWS/Events",
            metric_name="TriggeredRules",
            dimensions_map={"RuleName": self.failure_rule.rule_name},
            statistic="Sum",
            period=Duration.minutes(5),
        )

    @property
    def s3_uri(self) -> str:
        """Where the tables land: ``s3://<bucket>/<prefix>``."""
        return self.bucket.s3_url_for_object(self.prefix)


def _policy(role: iam.IRole) -> iam.CfnPolicy:
    """The role's inline policy: DMS checks the role's permissions when the endpoint is made."""
    policy = role.node.find_child("DefaultPolicy").node.default_child
    assert isinstance(policy, iam.CfnPolicy)
    return policy


def _task_settings(logging: bool) -> dict[str, Any]:
    components = ("SOURCE_UNLOAD", "SOURCE_CAPTURE", "TARGET_LOAD", "TARGET_APPLY", "TASK_MANAGER")
    return {
        "Logging": {
            "EnableLogging": logging,
            **(
                {"LogComponents": [{"Id": c, "Severity": "LOGGER_SEVERITY_DEFAULT"} for c in components]}
                if logging
                else {}
            ),
        },
        # Never delete what is already in the lake.
        "FullLoadSettings": {"TargetTablePrepMode": "DO_NOTHING"},
    }


def _selection_kwargs(selection: ec2.SubnetSelection) -> dict[str, Any]:
    return {
        name: getattr(selection, name)
        for name in (
            "availability_zones",
            "one_per_az",
            "subnet_filters",
            "subnet_group_name",
            "subnets",
            "subnet_type",
        )
        if getattr(selection, name, None) is not None
    }


__all__ = [
    "CAPACITY_UNITS",
    "DatabaseEngine",
    "DatabaseIngest",
    "DatePartitioning",
    "MigrationType",
    "ReplicationInstance",
    "ServerlessCapacity",
    "SslMode",
    "TableAction",
    "TableRule",
    "TableSelection",
]
