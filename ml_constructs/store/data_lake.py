"""DataLake: the one governed place every stage reads from and writes to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..core import access_logs_bucket, invalid, secure_bucket, secure_key
from ..core.naming import catalog_name
from ..core.validation import check_construct_id


class Zone(StrEnum):
    """The zones data moves through, in order."""

    RAW = "raw"  # as collected: files, stream records, database changes, video
    PROCESSED = "processed"  # cleaned and validated; features for training
    CURATED = "curated"  # published results: predictions, reports, aggregates
    MODELS = "models"  # model artifacts, checkpoints, training output


@dataclass(frozen=True)
class RawTiering:
    """Lifecycle tiering for the raw zone (set any step to ``None`` to skip it).

    Defaults: Standard-IA after 30 days, Glacier Instant Retrieval after 90, never expire;
    old object versions expire after 90 days.
    """

    infrequent_access_after: Duration | None = Duration.days(30)
    archive_after: Duration | None = Duration.days(90)
    expire_after: Duration | None = None
    noncurrent_versions_expire_after: Duration | None = Duration.days(90)


# The default tiering: a bucket you bring for the raw zone ignores it without a warning, while
# tiering you pass explicitly for such a bucket warns.
DEFAULT_RAW_TIERING = RawTiering()


class DataLake(Construct):
    """An S3 data lake with one bucket per zone, one CMK, access logs and a Glue catalog.

    Why a bucket per zone rather than prefixes in one bucket: each zone gets its own lifecycle,
    bucket policy and S3 -> EventBridge stream, and a grant on a zone is a grant on a bucket,
    which keeps IAM policies short and least-privileged.

    Defaults: a new CMK with rotation; versioned, SSL-only, private, KMS-encrypted buckets with
    server access logs into a separate log bucket; raw tiering per :class:`RawTiering`;
    incomplete multipart uploads aborted after 7 days; EventBridge notifications on; a Glue
    database per zone; everything RETAINed on stack deletion.

    Bring your own: only what is missing is created. With every zone's bucket given, no access
    log bucket is created (your buckets log where you set); with ``encryption_key`` given (or
    every bucket imported with the same ``encryption_key``), no key; with ``databases`` given
    for a zone, no Glue database for it. Settings that cannot apply to a bucket you bring
    (``raw_tiering``) and needs it may not meet (S3 -> EventBridge notifications, which
    :class:`ObjectTrigger` and the workflow's new-data trigger rely on) give a synth warning
    (``cdk synth`` prints it; ``Annotations``) instead of being silently ignored.

    Args:
        encryption_key: bring your own CMK (default: a new one with rotation). Pass the key your
            own buckets encrypt with: the constructs write with it.
        buckets: bring your own bucket for any zone; the others are created.
        databases: bring your own Glue database (its name) for any zone; the others are created.
        raw_tiering: lifecycle of the raw zone; ``None`` turns tiering off.
        removal_policy: what happens to buckets, key and logs when the stack is deleted.
            DESTROY fails on a non-empty bucket: empty it first (no auto-delete custom resource).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        encryption_key: kms.IKey | None = None,
        buckets: Mapping[Zone, s3.IBucket] | None = None,
        databases: Mapping[Zone, str] | None = None,
        raw_tiering: RawTiering | None = DEFAULT_RAW_TIERING,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        check_construct_id(scope, id, "DataLake")
        super().__init__(scope, id)
        # Grant S3 log delivery through a bucket policy rather than the legacy log-delivery ACL
        # (must be set before the buckets exist; CDK reads it from the buckets' context).
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        given = dict(buckets or {})
        for zone in given:
            if not isinstance(zone, Zone):
                raise invalid(self, "buckets", zone, "keys of type Zone: " + ", ".join(z.name for z in Zone))
        given_databases = dict(databases or {})
        for zone, name in given_databases.items():
            if not isinstance(zone, Zone) or not isinstance(name, str) or not name:
                raise invalid(self, "databases", {zone: name}, "Zone keys and Glue database names")
        self.removal_policy = removal_policy
        self.imported_zones: frozenset[Zone] = frozenset(given)
        self.encryption_key: kms.IKey = (
            encryption_key
            or self._common_bucket_key(given)
            or secure_key(
                self, "Key", description=f"Data lake key of {self.node.path}", removal_policy=removal_policy
            )
        )
        # The access log bucket serves the buckets created here only.
        self.access_logs_bucket: s3.Bucket | None = (
            access_logs_bucket(self, "AccessLogs", removal_policy=removal_policy)
            if len(given) < len(Zone)
            else None
        )
        if Zone.RAW in given and raw_tiering is not None and raw_tiering is not DEFAULT_RAW_TIERING:
            Annotations.of(self).add_warning_v2(
                "ml-constructs:raw-tiering-not-applied",
                f"raw_tiering is not applied: the raw zone's bucket ({given[Zone.RAW].node.path}) is one you "
                "bring, and its lifecycle rules are yours to set (or pass raw_tiering=None).",
            )
        self._buckets: dict[Zone, s3.IBucket] = {}
        for zone in Zone:
            if zone in given:
                self._buckets[zone] = given[zone]
                continue
            assert self.access_logs_bucket is not None
            rules = [
                s3.LifecycleRule(
                    id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)
                )
            ]
            if zone is Zone.RAW and raw_tiering is not None:
                rules.append(self._tiering_rule(raw_tiering))
            self._buckets[zone] = secure_bucket(
                self,
                zone.name.title() + "Bucket",
                encryption_key=self.encryption_key,
                access_logs_bucket=self.access_logs_bucket,
                access_logs_prefix=f"{zone.value}/",
                removal_policy=removal_policy,
                lifecycle_rules=rules,
            )
        self._database_names = given_databases
        self.databases: dict[Zone, glue.CfnDatabase] = {
            zone: glue.CfnDatabase(
                self,
                zone.name.title() + "Database",
                catalog_id=Aws.ACCOUNT_ID,
                database_input=glue.CfnDatabase.DatabaseInputProperty(
                    name=catalog_name(self, zone.value),
                    description=f"Tables of the {zone.value} zone of {self.node.path}",
                    location_uri=self._buckets[zone].s3_url_for_object(),
                ),
            )
            for zone in Zone
            if zone not in given_databases
        }

    @staticmethod
    def _common_bucket_key(given: Mapping[Zone, s3.IBucket]) -> kms.IKey | None:
        """The one key every bucket brought for every zone was imported with, if any."""
        if len(given) < len(Zone):
            return None
        keys = {
            b.encryption_key.key_arn if b.encryption_key else None: b.encryption_key for b in given.values()
        }
        (key,) = keys.values() if len(keys) == 1 else (None,)
        return key

    def owns_bucket(self, zone: Zone) -> bool:
        """Whether this lake created the bucket of ``zone`` (False: you brought it)."""
        return Zone(zone) not in self.imported_zones

    def _tiering_rule(self, tiering: RawTiering) -> s3.LifecycleRule:
        ia, archive, expire = tiering.infrequent_access_after, tiering.archive_after, tiering.expire_after
        if ia is not None and ia.to_days() < 30:
            raise invalid(
                self, "raw_tiering.infrequent_access_after", f"{ia.to_days()} days", ">= 30 days (S3 minimum)"
            )
        steps = [
            (name, d.to_days())
            for name, d in (
                ("infrequent_access_after", ia),
                ("archive_after", archive),
                ("expire_after", expire),
            )
            if d is not None
        ]
        for (first, a), (second, b) in zip(steps, steps[1:], strict=False):
            if b <= a:
                raise invalid(self, f"raw_tiering.{second}", f"{b} days", f"more than {first} ({a} days)")
        transitions = []
        if ia is not None:
            transitions.append(
                s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=ia)
            )
        if archive is not None:
            transitions.append(
                s3.Transition(
                    storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transition_after=archive
                )
            )
        return s3.LifecycleRule(
            id="raw-tiering",
            transitions=transitions or None,
            expiration=expire,
            noncurrent_version_expiration=tiering.noncurrent_versions_expire_after,
        )

    # -- zones ---------------------------------------------------------------------------
    def bucket(self, zone: Zone) -> s3.IBucket:
        """The bucket of ``zone``."""
        return self._buckets[Zone(zone)]

    @property
    def raw_bucket(self) -> s3.IBucket:
        return self._buckets[Zone.RAW]

    @property
    def processed_bucket(self) -> s3.IBucket:
        return self._buckets[Zone.PROCESSED]

    @property
    def curated_bucket(self) -> s3.IBucket:
        return self._buckets[Zone.CURATED]

    @property
    def models_bucket(self) -> s3.IBucket:
        return self._buckets[Zone.MODELS]

    def database_name(self, zone: Zone) -> str:
        """The Glue database holding the tables of ``zone``."""
        zone = Zone(zone)
        return self._database_names.get(zone) or self.databases[zone].ref

    def s3_uri(self, zone: Zone, prefix: str = "") -> str:
        """``s3://<bucket of zone>/<prefix>`` (a token until deploy)."""
        return self.bucket(zone).s3_url_for_object(prefix)

    # -- grants --------------------------------------------------------------------------
    def grant_read(self, grantee: iam.IGrantable, zone: Zone, prefix: str = "") -> iam.Grant:
        """Read objects of ``zone`` (under ``prefix``), including KMS decrypt."""
        return self.bucket(zone).grant_read(grantee, f"{prefix}*")

    def grant_write(self, grantee: iam.IGrantable, zone: Zone, prefix: str = "") -> iam.Grant:
        """Write objects into ``zone`` (under ``prefix``), including KMS encrypt."""
        return self.bucket(zone).grant_put(grantee, f"{prefix}*")

    def grant_read_write(self, grantee: iam.IGrantable, zone: Zone, prefix: str = "") -> iam.Grant:
        """Read and write objects of ``zone`` (under ``prefix``)."""
        return self.bucket(zone).grant_read_write(grantee, f"{prefix}*")
