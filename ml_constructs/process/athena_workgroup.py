"""AthenaWorkgroup: SQL over the data lake with encrypted results, enforced settings and a cost cap."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from aws_cdk import Size
from aws_cdk import aws_athena as athena
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..core import check_choice, check_s3_prefix, invalid
from ..core.nag import acknowledge_wildcards
from ..core.naming import resource_name
from ..core.validation import check_construct_id
from ..store.data_lake import DataLake, Zone
from .spark_job_parts import partition_arn

MIN_BYTES_SCANNED_CUTOFF = 10_000_000  # Athena's minimum per-query cutoff (10 MB)


class AthenaEngineVersion(StrEnum):
    """``V3`` pins Athena engine version 3; ``AUTO`` lets Athena upgrade the workgroup."""

    V3 = "Athena engine version 3"
    AUTO = "AUTO"


class ResultEncryption(StrEnum):
    """How query results are encrypted in S3 with the KMS key (server side or client side)."""

    SSE_KMS = "SSE_KMS"
    CSE_KMS = "CSE_KMS"


class AthenaWorkgroup(Construct):
    """An Athena workgroup whose query results land encrypted in the data lake.

    The workgroup's settings are enforced: clients cannot send results elsewhere or unencrypted.
    Each query stops once it has scanned ``bytes_scanned_cutoff`` (the cost cap of one query),
    metrics go to CloudWatch, and the engine version is pinned.

    Args:
        lake: the data lake (results default to its curated zone, encrypted with its key).
        results_bucket: where results go (default: the lake's curated bucket).
        results_prefix: key prefix of the results (default ``athena-results/``).
        encryption_key: the results key (default: the lake's key; required without a lake).
        encryption: SSE_KMS (default) or CSE_KMS.
        bytes_scanned_cutoff: per-query scan limit, at least 10 MB (default 10 GiB).
        engine_version: default ``Athena engine version 3``.
        workgroup_name: default: a unique name derived from the construct path.
        enforce_configuration: default True (clients cannot override the settings above).
        publish_metrics: default True.
        description: free text.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake | None = None,
        results_bucket: s3.IBucket | None = None,
        results_prefix: str = "athena-results/",
        encryption_key: kms.IKey | None = None,
        encryption: ResultEncryption = ResultEncryption.SSE_KMS,
        bytes_scanned_cutoff: Size = Size.gibibytes(10),
        engine_version: AthenaEngineVersion = AthenaEngineVersion.V3,
        workgroup_name: str | None = None,
        enforce_configuration: bool = True,
        publish_metrics: bool = True,
        description: str | None = None,
    ) -> None:
        check_construct_id(scope, id, "AthenaWorkgroup")
        super().__init__(scope, id)
        bucket = results_bucket or (lake.curated_bucket if lake else None)
        if bucket is None:
            raise invalid(
                self, "results_bucket", None, "a bucket, or a lake whose curated zone holds the results"
            )
        key = encryption_key or (lake.encryption_key if lake else None)
        if key is None:
            raise invalid(self, "encryption_key", None, "a KMS key, or a lake that has one")
        prefix = check_s3_prefix(self, "results_prefix", results_prefix) or ""
        if not prefix:
            raise invalid(
                self, "results_prefix", results_prefix, "a non-empty key prefix, e.g. 'athena-results/'"
            )
        check_choice(self, "encryption", encryption, list(ResultEncryption))
        check_choice(self, "engine_version", engine_version, list(AthenaEngineVersion))
        cutoff = int(bytes_scanned_cutoff.to_bytes())
        if cutoff < MIN_BYTES_SCANNED_CUTOFF:
            raise invalid(
                self,
                "bytes_scanned_cutoff",
                f"{cutoff} bytes",
                f">= {MIN_BYTES_SCANNED_CUTOFF} bytes (10 MB)",
            )
        name = workgroup_name or resource_name(self, max_length=128)
        if not re.fullmatch(r"[a-zA-Z0-9._-]{1,128}", name):
            raise invalid(self, "workgroup_name", name, "1-128 letters, digits and ._-")

        self.lake = lake
        self.results_bucket = bucket
        self.results_prefix = prefix
        self.encryption_key = key
        self.results_location = bucket.s3_url_for_object(prefix)
        self.bytes_scanned_cutoff = cutoff
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=name,
            description=description or f"Queries over the data lake ({self.node.path})",
            state="ENABLED",
            # Query history is metadata, not data (results stay in S3): deleting the stack
            # must not fail because the workgroup has saved queries.
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=enforce_configuration,
                publish_cloud_watch_metrics_enabled=publish_metrics,
                bytes_scanned_cutoff_per_query=cutoff,
                requester_pays_enabled=False,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version=AthenaEngineVersion(engine_version).value
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.results_location,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option=ResultEncryption(encryption).value, kms_key=key.key_arn
                    ),
                    acl_configuration=athena.CfnWorkGroup.AclConfigurationProperty(
                        s3_acl_option="BUCKET_OWNER_FULL_CONTROL"
                    ),
                ),
            ),
        )

    @property
    def workgroup_name(self) -> str:
        return self.workgroup.ref

    @property
    def workgroup_arn(self) -> str:
        return partition_arn(self, "athena", f"workgroup/{self.workgroup.ref}")

    def grant_query(self, grantee: iam.IGrantable, *, zones: Sequence[Zone] = (Zone.PROCESSED,)) -> None:
        """Run queries in this workgroup over the tables of ``zones`` (default: processed).

        Grants the Athena query actions on this workgroup, read and write of the results
        prefix (with the key), read of the zones' buckets and of their Glue databases.
        """
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "athena:StartQueryExecution",
                "athena:StopQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:GetQueryResultsStream",
                "athena:GetQueryRuntimeStatistics",
                "athena:BatchGetQueryExecution",
                "athena:ListQueryExecutions",
                "athena:GetWorkGroup",
            ],
            resource_arns=[self.workgroup_arn],
        )
        self.results_bucket.grant_read_write(grantee, f"{self.results_prefix}*")
        results = self.results_bucket.arn_for_objects(f"{self.results_prefix}*")
        principal = grantee.grant_principal
        if self.lake is None:
            self.encryption_key.grant_encrypt_decrypt(grantee)
            if isinstance(principal, iam.Role):
                self._acknowledge(principal, [results], [])
            return
        zones = [Zone(z) for z in zones]
        databases = [self.lake.database_name(z) for z in zones]
        for zone in zones:
            self.lake.grant_read(grantee, zone)
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "glue:GetDatabase",
                "glue:GetDatabases",
                "glue:GetTable",
                "glue:GetTables",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchGetPartition",
            ],
            resource_arns=[partition_arn(self, "glue", "catalog")]
            + [partition_arn(self, "glue", f"database/{d}") for d in databases]
            + [partition_arn(self, "glue", f"table/{d}/*") for d in databases],
        )
        if isinstance(principal, iam.Role):
            tables = [partition_arn(self, "glue", f"table/{d}/*") for d in databases]
            zone_objects = [self.lake.bucket(z).arn_for_objects("*") for z in zones]
            self._acknowledge(principal, [results, *zone_objects], tables)

    def _acknowledge(self, role: iam.Role, objects: list[str], tables: list[str]) -> None:
        acknowledge_wildcards(
            role,
            f"Queries in the Athena workgroup of {self.node.path}: read and write of its results "
            "prefix, read of the queried zones' objects and of their catalog tables (object keys "
            "and table names are not known in advance); CDK's standard object grants and the "
            "lake key's data-key operations.",
            actions=[
                "s3:GetObject*",
                "s3:GetBucket*",
                "s3:List*",
                "s3:DeleteObject*",
                "s3:PutObject*",
                "s3:Abort*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
            ],
            resources=[*objects, *tables],
        )


__all__ = ["AthenaEngineVersion", "AthenaWorkgroup", "ResultEncryption"]
