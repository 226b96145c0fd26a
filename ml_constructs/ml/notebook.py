"""Notebook: a place to explore the data lake, private and encrypted, that stops itself when idle."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ..core import check_range, check_s3_prefix, invalid
from ..core.nag import acknowledge_object_grants, acknowledge_wildcards
from ..core.naming import resource_name
from ..core.validation import check_construct_id
from ..runtime.lifecycle import MAX_CONTENT_CHARS, lifecycle_content, on_start_script
from ..store.data_lake import DataLake, Zone
from ._jobs import (
    check_instance_type,
    grant_job_logs_and_metrics,
    https_only_security_group,
    subnet_selection,
)
from .service_model import shape

# Our auto-stop runs every 5 minutes, so shorter limits cannot be honoured; a week is plenty.
INSTANCE_IDLE_MINUTES = (5, 7 * 24 * 60)


class NotebookKind(StrEnum):
    """What kind of notebook environment :class:`Notebook` creates."""

    INSTANCE = "instance"  # a SageMaker notebook instance with our idle auto-stop
    STUDIO = "studio"  # a SageMaker Studio domain + user profile with Studio's idle shutdown


def _limits(shape_name: str) -> tuple[int, int]:
    meta = shape(shape_name).metadata
    return int(meta["min"]), int(meta["max"])


def _platforms() -> list[str]:
    pattern = shape("PlatformIdentifier").metadata["pattern"]
    return re.findall(r"notebook-[a-z0-9-]+", pattern)


class Notebook(Construct):
    """A SageMaker notebook instance (or Studio domain) in your VPC, encrypted, that stops when idle.

    ``NotebookKind.INSTANCE`` (default): an ``AWS::SageMaker::NotebookInstance`` encrypted with
    the data lake's key, placed in one private subnet of ``vpc`` with no direct internet access
    (traffic leaves through the VPC: NAT or VPC endpoints), root access off, IMDSv2 only. Its
    lifecycle configuration installs ml-constructs' auto-stop
    (:mod:`ml_constructs.runtime.lifecycle.autostop`): every 5 minutes it reads the Jupyter
    kernels and terminals on localhost and, after ``idle_minutes`` without activity, stops the
    instance through ``sagemaker:StopNotebookInstance`` (the role may stop this instance only).
    The auto-stop needs a route to the SageMaker API: a NAT gateway or an interface VPC endpoint
    ``com.amazonaws.<region>.sagemaker.api`` in the VPC.

    ``NotebookKind.STUDIO``: an ``AWS::SageMaker::Domain`` (IAM auth, ``VpcOnly`` network
    access, its EFS home directories encrypted with the lake key) and one
    ``AWS::SageMaker::UserProfile``; JupyterLab and Code Editor apps shut down after
    ``idle_minutes`` idle (Studio's own idle shutdown, 60 minutes at least).

    The execution role is least-privilege: read the ``read_zones`` of the lake, write under
    ``write_prefix`` of ``write_zone``, use the lake key, write its own logs, and (instance) stop
    itself. Grant more to ``notebook.role`` when users start jobs from the notebook.

    Args:
        lake: the data lake; its key encrypts the volume (or EFS) unless ``encryption_key``.
        vpc: the VPC the notebook lives in (required: no direct internet access).
        vpc_subnets: which subnets (default: the VPC's private subnets; public ones are refused).
            An instance uses the first selected subnet; Studio uses all of them.
        security_group: bring your own (default: a new group allowing HTTPS out only; for Studio
            also NFS and app traffic within the group, which ``VpcOnly`` domains need).
        kind: ``NotebookKind.INSTANCE`` (default) or ``NotebookKind.STUDIO``.
        instance_type: default ``ml.t3.medium``; validated against botocore's ``InstanceType``
            (instance) or ``AppInstanceType`` (Studio JupyterLab default) enum.
        volume_size_gb: the ML storage volume (instance) or default space volume (Studio),
            5-16384 GB, default 20.
        idle_minutes: stop after this many idle minutes (default 60; instance 5-10080, Studio
            60-525600); ``None`` turns the auto-stop off.
        platform: notebook instance platform, default ``notebook-al2-v3``.
        read_zones: lake zones the role may read (default processed, curated, models).
        write_zone / write_prefix: where the role may write (default curated, ``notebooks/``);
            ``write_zone=None`` for read-only.
        encryption_key: a key other than the lake's.
        user_profile_name: the Studio user profile (default ``data-scientist``).
        sagemaker_api_endpoint: create an interface VPC endpoint for the SageMaker API (private
            DNS) in the selected subnets, so the auto-stop works in subnets without a NAT
            (default ``False``: the VPC routes there already; one such endpoint per VPC).
        removal_policy: what happens to the instance / domain on stack deletion (default: the
            lake's, RETAIN unless the lake says otherwise).
        role: bring your own execution role (you grant it the lake, key and logs); the only
            thing added to it is the auto-stop's permission to stop this instance (its own
            policy). Default: a new least-privilege role.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        kind: NotebookKind = NotebookKind.INSTANCE,
        instance_type: str = "ml.t3.medium",
        volume_size_gb: int = 20,
        idle_minutes: int | None = 60,
        platform: str = "notebook-al2-v3",
        read_zones: Sequence[Zone] = (Zone.PROCESSED, Zone.CURATED, Zone.MODELS),
        write_zone: Zone | None = Zone.CURATED,
        write_prefix: str = "notebooks/",
        encryption_key: kms.IKey | None = None,
        user_profile_name: str = "data-scientist",
        sagemaker_api_endpoint: bool = False,
        removal_policy: RemovalPolicy | None = None,
        role: iam.IRole | None = None,
    ) -> None:
        check_construct_id(scope, id, "Notebook")
        super().__init__(scope, id)
        if not isinstance(kind, NotebookKind):
            raise invalid(self, "kind", kind, "NotebookKind.INSTANCE or NotebookKind.STUDIO")
        studio = kind is NotebookKind.STUDIO
        check_instance_type(
            self, "instance_type", instance_type, "AppInstanceType" if studio else "InstanceType"
        )
        if instance_type == "system":
            raise invalid(self, "instance_type", instance_type, "an ml.* instance type")
        low, high = _limits("SpaceEbsVolumeSizeInGb" if studio else "NotebookInstanceVolumeSizeInGB")
        check_range(self, "volume_size_gb", volume_size_gb, minimum=low, maximum=high, unit="GB")
        if idle_minutes is not None:
            if isinstance(idle_minutes, bool) or not isinstance(idle_minutes, int):
                raise invalid(self, "idle_minutes", idle_minutes, "a whole number of minutes, or None")
            low, high = _limits("IdleTimeoutInMinutes") if studio else INSTANCE_IDLE_MINUTES
            check_range(self, "idle_minutes", idle_minutes, minimum=low, maximum=high, unit="minutes")
        if not studio and platform not in _platforms():
            raise invalid(self, "platform", platform, "one of " + ", ".join(_platforms()))
        for zone in read_zones:
            if not isinstance(zone, Zone):
                raise invalid(self, "read_zones", zone, "Zone values: " + ", ".join(z.name for z in Zone))
        if write_zone is not None and not isinstance(write_zone, Zone):
            raise invalid(self, "write_zone", write_zone, "a Zone or None")
        write_prefix = check_s3_prefix(self, "write_prefix", write_prefix) or ""
        if studio and not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", user_profile_name):
            raise invalid(
                self, "user_profile_name", user_profile_name, "1-63 letters, digits and '-' (not at the ends)"
            )
        selection = vpc.select_subnets(**subnet_selection(vpc_subnets))
        if selection.has_public:
            raise invalid(
                self,
                "vpc_subnets",
                "public subnets",
                "private or isolated subnets (no direct internet access)",
            )
        if not selection.subnet_ids:
            raise invalid(
                self, "vpc_subnets", "no subnets", "a selection matching at least one subnet of vpc"
            )

        self.kind = kind
        self.idle_minutes = idle_minutes
        self.lake = lake
        self.encryption_key: kms.IKey = encryption_key or lake.encryption_key
        removal = removal_policy or lake.removal_policy
        self.vpc_id: str = vpc.vpc_id
        self.subnet_ids: list[str] = list(selection.subnet_ids if studio else selection.subnet_ids[:1])

        self.security_group: ec2.ISecurityGroup = security_group or self._security_group(vpc, studio)
        self.api_endpoint: ec2.InterfaceVpcEndpoint | None = None
        if sagemaker_api_endpoint:
            self.api_endpoint = ec2.InterfaceVpcEndpoint(
                self,
                "SageMakerApiEndpoint",
                vpc=vpc,
                service=ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
                subnets=ec2.SubnetSelection(subnets=selection.subnets),
                private_dns_enabled=True,
                open=False,  # only the notebook's group, not the whole VPC
            )
            self.api_endpoint.connections.allow_default_port_from(
                self.security_group, "The notebook calls the SageMaker API (auto-stop)"
            )
        self._own_role = role is None
        self.role: iam.IRole = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Execution role of the notebook {self.node.path}",
        )
        if isinstance(self.role, iam.Role) and self._own_role:
            reads = [(lake.bucket(zone), "") for zone in dict.fromkeys(read_zones)]
            for zone in dict.fromkeys(read_zones):
                lake.grant_read(self.role, zone)
            writes = []
            if write_zone is not None:
                lake.grant_write(self.role, write_zone, write_prefix)
                writes.append((lake.bucket(write_zone), write_prefix))
            # The ML storage volume (or Studio's EBS spaces) is encrypted through a grant on the key;
            # the lake grants above bring decrypt (reads) and encrypt (writes).
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:CreateGrant", "kms:DescribeKey"],
                    resources=[self.encryption_key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                )
            )
            grant_job_logs_and_metrics(self.role, "studio" if studio else "NotebookInstances", self.node.path)
            if reads or writes:
                acknowledge_object_grants(
                    self.role,
                    reads=reads,
                    writes=writes,
                    purpose=f"the notebook {self.node.path} explores the lake and saves its results",
                )

        self.notebook_instance: sagemaker.CfnNotebookInstance | None = None
        self.lifecycle_config: sagemaker.CfnNotebookInstanceLifecycleConfig | None = None
        self.on_start_script: str | None = None
        self.domain: sagemaker.CfnDomain | None = None
        self.user_profile: sagemaker.CfnUserProfile | None = None
        if studio:
            self._studio(vpc, instance_type, volume_size_gb, user_profile_name, removal)
        else:
            self._instance(instance_type, volume_size_gb, platform, removal)

    # -- pieces --------------------------------------------------------------------------------
    def _security_group(self, vpc: ec2.IVpc, studio: bool) -> ec2.SecurityGroup:
        group = https_only_security_group(
            self,
            vpc,
            f"Notebook {self.node.path}: HTTPS out only",
            egress="HTTPS to AWS APIs and package mirrors (endpoints or NAT)",
        )
        if studio:
            # VpcOnly domains: EFS home directories (NFS) and traffic between a user's apps.
            group.connections.allow_internally(ec2.Port.tcp(2049), "NFS to the Studio EFS home directories")
            group.connections.allow_internally(
                ec2.Port.tcp_range(8192, 65535), "Traffic between the Studio apps of a user"
            )
        return group

    def _instance(
        self, instance_type: str, volume_size_gb: int, platform: str, removal: RemovalPolicy
    ) -> None:
        lifecycle_name = None
        if self.idle_minutes is not None:
            self.on_start_script = on_start_script(self.idle_minutes)
            content = lifecycle_content(self.on_start_script)
            if len(content) > MAX_CONTENT_CHARS:  # pragma: no cover - guarded by a test
                raise invalid(
                    self, "on-start script", f"{len(content)} characters", f"<= {MAX_CONTENT_CHARS}"
                )
            self.lifecycle_config = sagemaker.CfnNotebookInstanceLifecycleConfig(
                self,
                "LifecycleConfig",
                on_start=[
                    sagemaker.CfnNotebookInstanceLifecycleConfig.NotebookInstanceLifecycleHookProperty(
                        content=content
                    )
                ],
            )
            lifecycle_name = self.lifecycle_config.attr_notebook_instance_lifecycle_config_name
        self._grant_network_interfaces()
        self.notebook_instance = sagemaker.CfnNotebookInstance(
            self,
            "Instance",
            instance_type=instance_type,
            role_arn=self.role.role_arn,
            kms_key_id=self.encryption_key.key_arn,
            subnet_id=self.subnet_ids[0],
            security_group_ids=[self.security_group.security_group_id],
            direct_internet_access="Disabled",
            root_access="Disabled",
            volume_size_in_gb=volume_size_gb,
            platform_identifier=platform,
            lifecycle_config_name=lifecycle_name,
            instance_metadata_service_configuration=sagemaker.CfnNotebookInstance.InstanceMetadataServiceConfigurationProperty(
                minimum_instance_metadata_service_version="2"
            ),
        )
        self.notebook_instance.apply_removal_policy(removal)
        # The instance starts as soon as it exists: let its role's grants (lake, key, logs) be
        # in place by then. (The stop permission below names the instance, so it follows it.)
        default_policy = self.role.node.try_find_child("DefaultPolicy") if self._own_role else None
        if self.idle_minutes is not None:
            # Ref of a notebook instance is its ARN (lowercase name, as IAM compares it).
            iam.Policy(
                self,
                "StopPolicy",
                roles=[self.role],
                statements=[
                    iam.PolicyStatement(
                        actions=["sagemaker:StopNotebookInstance", "sagemaker:DescribeNotebookInstance"],
                        resources=[self.notebook_instance.ref],
                    )
                ],
            )
        if default_policy is not None:
            policy = default_policy.node.default_child
            assert isinstance(policy, iam.CfnPolicy)
            self.notebook_instance.node.add_dependency(policy)

    def _grant_network_interfaces(self) -> None:
        """What the SageMaker execution-role page asks of a notebook instance in a private VPC:
        SageMaker creates and deletes the instance's network interface in the subnet as this
        role. Creation is limited to this subnet and security group, the rest to interfaces
        of this VPC; the Describe calls have no resource level. (Studio uses its service-linked
        role for that instead.)"""
        stack = Stack.of(self)

        def ec2_arn(resource: str, name: str) -> str:
            return stack.format_arn(
                service="ec2", resource=resource, resource_name=name, arn_format=ArnFormat.SLASH_RESOURCE_NAME
            )

        interfaces = ec2_arn("network-interface", "*")
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateNetworkInterface"],
                resources=[
                    interfaces,
                    ec2_arn("subnet", self.subnet_ids[0]),
                    ec2_arn("security-group", self.security_group.security_group_id),
                ],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface"],
                resources=[interfaces],
                conditions={"ArnEquals": {"ec2:Vpc": ec2_arn("vpc", self.vpc_id)}},
            )
        )
        describe = [
            "ec2:DeleteNetworkInterfacePermission",
            "ec2:DescribeDhcpOptions",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcs",
        ]
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=describe, resources=["*"]))
        acknowledge_wildcards(
            self.role,
            f"SageMaker creates the network interface of the notebook {self.node.path} at run time "
            "(its ID is unknown before), only in this VPC; EC2's Describe calls and "
            "DeleteNetworkInterfacePermission have no resource-level permissions.",
            resources=[interfaces, "*"],
        )

    def _studio(
        self,
        vpc: ec2.IVpc,
        instance_type: str,
        volume_size_gb: int,
        user_profile_name: str,
        removal: RemovalPolicy,
    ) -> None:
        idle = (
            sagemaker.CfnDomain.IdleSettingsProperty(
                lifecycle_management="ENABLED", idle_timeout_in_minutes=self.idle_minutes
            )
            if self.idle_minutes is not None
            else sagemaker.CfnDomain.IdleSettingsProperty(lifecycle_management="DISABLED")
        )
        lifecycle = sagemaker.CfnDomain.AppLifecycleManagementProperty(idle_settings=idle)
        groups = [self.security_group.security_group_id]
        self.domain = sagemaker.CfnDomain(
            self,
            "Domain",
            domain_name=resource_name(self),
            auth_mode="IAM",
            app_network_access_type="VpcOnly",
            vpc_id=vpc.vpc_id,
            subnet_ids=self.subnet_ids,
            kms_key_id=self.encryption_key.key_arn,
            default_user_settings=sagemaker.CfnDomain.UserSettingsProperty(
                execution_role=self.role.role_arn,
                security_groups=groups,
                studio_web_portal="ENABLED",
                default_landing_uri="studio::",
                jupyter_lab_app_settings=sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
                    default_resource_spec=sagemaker.CfnDomain.ResourceSpecProperty(
                        instance_type=instance_type
                    ),
                    app_lifecycle_management=lifecycle,
                ),
                code_editor_app_settings=sagemaker.CfnDomain.CodeEditorAppSettingsProperty(
                    default_resource_spec=sagemaker.CfnDomain.ResourceSpecProperty(
                        instance_type=instance_type
                    ),
                    app_lifecycle_management=lifecycle,
                ),
                space_storage_settings=sagemaker.CfnDomain.DefaultSpaceStorageSettingsProperty(
                    default_ebs_storage_settings=sagemaker.CfnDomain.DefaultEbsStorageSettingsProperty(
                        default_ebs_volume_size_in_gb=volume_size_gb,
                        maximum_ebs_volume_size_in_gb=max(volume_size_gb, 100),
                    )
                ),
            ),
            default_space_settings=sagemaker.CfnDomain.DefaultSpaceSettingsProperty(
                execution_role=self.role.role_arn,
                security_groups=groups,
                jupyter_lab_app_settings=sagemaker.CfnDomain.JupyterLabAppSettingsProperty(
                    default_resource_spec=sagemaker.CfnDomain.ResourceSpecProperty(
                        instance_type=instance_type
                    ),
                    app_lifecycle_management=lifecycle,
                ),
            ),
        )
        self.domain.apply_removal_policy(removal)
        self.user_profile = sagemaker.CfnUserProfile(
            self, "UserProfile", domain_id=self.domain.attr_domain_id, user_profile_name=user_profile_name
        )
        self.user_profile.apply_removal_policy(removal)
