"""CloudFormation resource types taught to moto's CloudFormation, one class per type.

moto 5.2's CloudFormation silently skips the resource types it has no model for (and a
``Fn::GetAtt`` on a skipped resource fails the whole deploy). Each class here is such a model:
it works like CloudFormation's own resource handler, turning the resource's properties into
requests to the emulator's service API (:mod:`ml_constructs.local.api`), so the resource is
created, validated and stored by moto's own service backend, shows up in that service's API,
and ``Ref`` / ``Fn::GetAtt`` resolve to the values that API returned. Deleting the stack
deletes it; updates change it in place where the API allows and replace it otherwise
(keeping its name, so references stay valid).

Some of moto's own models are replaced too, where they broke the service's API, had no
physical id (``Ref`` returned a Python object) or no delete (a stack delete left them behind):
``AWS::S3::Bucket``, ``AWS::KMS::Key``, ``AWS::IAM::ManagedPolicy``, ``AWS::Lambda::Permission``, the EC2
networking types (route tables, routes, associations, gateways, EIPs, NAT gateways, flow logs,
endpoints, security group ingress), ``AWS::ECR::Repository`` and ``AWS::ApiGateway::RestApi``
/ ``Resource`` / ``Method`` / ``Deployment``.

How moto finds these: its parser lists ``CloudFormationModel.__subclasses__()`` (direct
subclasses only, hence ``class X(_Taught, CloudFormationModel)``) behind ``lru_cache``s that
:func:`ml_constructs.local.install` clears. moto's ``InstanceTrackerMeta`` files every model
class under ``cls.__module__.split(".")[1]``: here ``"local"``, a name no moto service uses.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, ClassVar

# moto's parser imports the service models whose types some classes here replace; importing it
# first makes sure those classes are defined (and listed) before the replacements.
import moto.cloudformation.parsing  # noqa: F401
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.core.common_models import CloudFormationModel

from . import api

_NOT_FOUND = re.compile(
    r"NotFound|NoSuch|DoesNotExist|EntityNotFound|not found|does not exist|could not find|"
    r"cannot be found|UnknownEventConfig",
    re.IGNORECASE,
)


def _not_found(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return bool(_NOT_FOUND.search(code) or _NOT_FOUND.search(str(error)))


class _Taught:
    """A CloudFormation resource backed by one of the emulator's service APIs (a mixin).

    Subclasses set the class attributes and implement :meth:`create` (set ``physical_id`` and
    ``attributes``), :meth:`remove`, and :meth:`update` when ``UPDATABLE``.
    """

    TYPE: ClassVar[str] = ""
    SERVICE: ClassVar[str] = ""
    NAME_PROPERTY: ClassVar[str] = ""  # the property that names the resource, if any
    NAME_MAX: ClassVar[int] = 0  # generated names are cut to this length (0: no limit)
    NAME_LOWER: ClassVar[bool] = False  # generated names are lower case
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()  # what Fn::GetAtt may ask for
    UPDATABLE: ClassVar[bool] = False  # update() changes it in place (else: replaced)
    REPLACE_ON: ClassVar[tuple[str, ...]] = ()  # properties whose change replaces it

    def __init__(
        self,
        name: str,
        properties: dict[str, Any],
        account_id: str,
        region_name: str,
        logical_id: str = "",
        stack_id: str = "",
    ) -> None:
        self.name = name
        self.properties = properties
        self.account_id = account_id
        self.region_name = region_name
        self.logical_id = logical_id
        self.stack_id = stack_id
        self.physical_id = ""
        self.attributes: dict[str, Any] = {}

    # --- what subclasses implement -------------------------------------------------------

    def create(self) -> None:
        raise NotImplementedError

    def update(self, changed: set[str]) -> None:
        raise NotImplementedError

    def remove(self) -> None:
        raise NotImplementedError

    @classmethod
    def explicit_name(cls, properties: dict[str, Any]) -> str | None:
        """The name the template gives the resource, if it gives one."""
        value = properties.get(cls.NAME_PROPERTY) if cls.NAME_PROPERTY else None
        return str(value) if value else None

    # --- helpers -------------------------------------------------------------------------

    @property
    def props(self) -> dict[str, Any]:
        return self.properties

    def client(self) -> Any:
        return api.client(self.SERVICE, self.region_name)

    def params(self, operation: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """``properties`` (and ``extra``) as the request of ``operation`` of this service's API."""
        return api.api_params(self.client(), operation, properties, **extra)

    def call(self, operation: str, **params: Any) -> Any:
        """Call ``operation`` (snake_case) of this service's API on the emulator."""
        return getattr(self.client(), operation)(**params)

    @classmethod
    def _shape_name(cls, generated: str) -> str:
        name = generated.lower() if cls.NAME_LOWER else generated
        if cls.NAME_MAX and len(name) > cls.NAME_MAX:
            head, _, suffix = name.rpartition("-")
            name = f"{head[: cls.NAME_MAX - len(suffix) - 1].rstrip('-')}-{suffix}"
        return re.sub("-{2,}", "-", name)

    # --- moto's CloudFormationModel interface --------------------------------------------

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        name = cls.explicit_name(properties) or cls._shape_name(resource_name)
        resource = cls(
            name,
            properties,
            account_id,
            region_name,
            logical_id=kwargs.get("LogicalId", ""),
            stack_id=kwargs.get("StackId", ""),
        )
        resource._guarded(resource.create)
        return resource

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        old = original_resource
        new_properties = cloudformation_json.get("Properties") or {}
        changed = {
            key
            for key in set(old.properties) | set(new_properties)
            if old.properties.get(key) != new_properties.get(key)
        }
        if not changed:
            return old
        name_changed = cls.explicit_name(old.properties) != cls.explicit_name(new_properties)
        if cls.UPDATABLE and not name_changed and not changed & set(cls.REPLACE_ON):
            previous, old.properties = old.properties, new_properties
            try:
                old._guarded(lambda: old.update(changed))
            except Exception:
                old.properties = previous  # moto retries the update: it must see the change again
                raise
            return old
        # Replacement. Keep the name unless the template renamed it, so references stay valid.
        name = (
            (cls.explicit_name(new_properties) or cls._shape_name(new_resource_name))
            if name_changed
            else old.name
        )
        new = cls(name, new_properties, account_id, region_name, old.logical_id, old.stack_id)
        if name == old.name:
            old.delete(account_id, region_name)
            new._guarded(new.create)
        else:
            new._guarded(new.create)
            old.delete(account_id, region_name)
        return new

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        """Not used: moto calls the instance's :meth:`delete` first, which never raises the
        TypeError/AttributeError that would make it fall back to this."""

    def delete(self, account_id: str | None = None, region_name: str | None = None) -> None:
        try:
            self._guarded(self.remove)
        except Exception as error:
            # "Not found" may be about the resource (already gone: fine) or about something it
            # refers to (then it is still there): look it up in its service's API to tell.
            if not _not_found(error) or self._still_exists():
                raise

    def _still_exists(self) -> bool:
        from .inventory import CHECKS, Probe

        check = CHECKS.get(self.TYPE)
        if check is None or not self.physical_id:
            return False
        try:
            check(Probe(self.physical_id, self.properties, self.region_name))
        except Exception:
            return False
        return True

    def _guarded(self, action: Any) -> None:
        # A failure becomes CloudFormation's ValidationError naming the resource (the CLI prints
        # it). moto would also read a TypeError/AttributeError from delete() as "this model has
        # no delete" and quietly fall back to delete_from_cloudformation_json.
        try:
            action()
        except Exception as error:
            raise ValidationError(
                message=f"{self.TYPE} {self.logical_id or self.name}: {type(error).__name__}: {error}"
            ) from error

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.attributes:
            return self.attributes[attribute_name]
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<{self.TYPE} {self.logical_id} {self.physical_id}>"


# ============================================================== S3, Lambda, Logs, SQS, SNS


class KmsKey(_Taught, CloudFormationModel):
    """Replaces moto's model (it stored the key policy as a dict, which broke ``DescribeKey``, and
    had no delete or update)."""

    TYPE = "AWS::KMS::Key"
    SERVICE = "kms"
    ATTRIBUTES = ("Arn", "KeyId")
    UPDATABLE = True
    REPLACE_ON = ("KeySpec", "KeyUsage", "MultiRegion", "Origin")

    def create(self) -> None:
        properties = {
            k: v
            for k, v in self.props.items()
            if k in ("Description", "KeyUsage", "KeySpec", "MultiRegion", "Origin", "Tags")
        }
        policy = self.props.get("KeyPolicy")
        params = self.params(
            "CreateKey", properties, Policy=json.dumps(policy) if isinstance(policy, dict) else policy
        )
        key = self.call("create_key", **params)["KeyMetadata"]
        self.physical_id = key["KeyId"]
        self.attributes.update(Arn=key["Arn"], KeyId=key["KeyId"])
        self._settings()

    def _settings(self) -> None:
        key_id = self.physical_id
        if self.props.get("EnableKeyRotation"):
            period = self.props.get("RotationPeriodInDays")
            self.call(
                "enable_key_rotation",
                KeyId=key_id,
                **({"RotationPeriodInDays": int(period)} if period else {}),
            )
        else:
            self.call("disable_key_rotation", KeyId=key_id)
        enabled = self.props.get("Enabled", True)
        self.call("enable_key" if str(enabled).lower() == "true" else "disable_key", KeyId=key_id)

    def update(self, changed: set[str]) -> None:
        key_id = self.physical_id
        if "KeyPolicy" in changed and self.props.get("KeyPolicy"):
            policy = self.props["KeyPolicy"]
            self.call(
                "put_key_policy",
                KeyId=key_id,
                PolicyName="default",
                Policy=json.dumps(policy) if isinstance(policy, dict) else policy,
            )
        if "Description" in changed:
            self.call("update_key_description", KeyId=key_id, Description=self.props.get("Description", ""))
        if "Tags" in changed and self.props.get("Tags"):
            self.call(
                "tag_resource", **self.params("TagResource", {"Tags": self.props["Tags"]}, KeyId=key_id)
            )
        self._settings()

    def remove(self) -> None:
        days = int(self.props.get("PendingWindowInDays", 7))
        self.call("schedule_key_deletion", KeyId=self.physical_id, PendingWindowInDays=days)


class S3Bucket(_Taught, CloudFormationModel):
    """Replaces moto's model, which applied only encryption and tags: versioning, public access
    block, ownership controls, lifecycle rules, access logging, notifications (EventBridge: how
    S3 events reach the app's rules), CORS, intelligent tiering and object lock went missing."""

    TYPE = "AWS::S3::Bucket"
    SERVICE = "s3"
    NAME_PROPERTY = "BucketName"
    NAME_LOWER = True
    NAME_MAX = 63
    ATTRIBUTES = ("Arn", "DomainName", "RegionalDomainName", "DualStackDomainName", "WebsiteURL")
    UPDATABLE = True
    REPLACE_ON = ("ObjectLockEnabled", "BucketNamePrefix")

    def create(self) -> None:
        lock = str(self.props.get("ObjectLockEnabled", "false")).lower() == "true"
        self.call("create_bucket", Bucket=self.name, **({"ObjectLockEnabledForBucket": True} if lock else {}))
        self.physical_id = self.name
        region = self.region_name
        self.attributes.update(
            Arn=f"arn:aws:s3:::{self.name}",
            DomainName=f"{self.name}.s3.amazonaws.com",
            RegionalDomainName=f"{self.name}.s3.{region}.amazonaws.com",
            DualStackDomainName=f"{self.name}.s3.dualstack.{region}.amazonaws.com",
            WebsiteURL=f"http://{self.name}.s3-website-{region}.amazonaws.com",
        )
        self.update(set(self.props))

    def update(self, changed: set[str]) -> None:
        p, bucket = self.props, self.name
        if "OwnershipControls" in changed and p.get("OwnershipControls"):
            self.call(
                "put_bucket_ownership_controls", Bucket=bucket, OwnershipControls=p["OwnershipControls"]
            )
        if "PublicAccessBlockConfiguration" in changed:
            if p.get("PublicAccessBlockConfiguration"):
                self.call(
                    "put_public_access_block",
                    **self.params(
                        "PutPublicAccessBlock",
                        {"PublicAccessBlockConfiguration": p["PublicAccessBlockConfiguration"]},
                        Bucket=bucket,
                    ),
                )
            else:
                self.call("delete_public_access_block", Bucket=bucket)
        if "BucketEncryption" in changed and p.get("BucketEncryption"):
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault" if k == "ServerSideEncryptionByDefault" else k: v
                    for k, v in rule.items()
                }
                for rule in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            self.call(
                "put_bucket_encryption",
                **self.params(
                    "PutBucketEncryption",
                    {"ServerSideEncryptionConfiguration": {"Rules": rules}},
                    Bucket=bucket,
                ),
            )
        if "VersioningConfiguration" in changed and p.get("VersioningConfiguration"):
            self.call(
                "put_bucket_versioning",
                Bucket=bucket,
                VersioningConfiguration={"Status": p["VersioningConfiguration"]["Status"]},
            )
        if "LifecycleConfiguration" in changed:
            rules = (p.get("LifecycleConfiguration") or {}).get("Rules") or []
            if rules:
                self.call(
                    "put_bucket_lifecycle_configuration",
                    Bucket=bucket,
                    LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in rules]},
                )
            else:
                self.call("delete_bucket_lifecycle", Bucket=bucket)
        if "LoggingConfiguration" in changed:
            self._logging(p.get("LoggingConfiguration"))
        if "NotificationConfiguration" in changed:
            self.call(
                "put_bucket_notification_configuration",
                Bucket=bucket,
                NotificationConfiguration=_notifications(p.get("NotificationConfiguration") or {}),
            )
        if "CorsConfiguration" in changed and p.get("CorsConfiguration"):
            cors = [_cors_rule(r) for r in p["CorsConfiguration"].get("CorsRules", [])]
            self.call("put_bucket_cors", Bucket=bucket, CORSConfiguration={"CORSRules": cors})
        if "Tags" in changed and p.get("Tags"):
            self.call("put_bucket_tagging", Bucket=bucket, Tagging={"TagSet": api.tag_list(p["Tags"])})
        if "IntelligentTieringConfigurations" in changed:
            for config in p.get("IntelligentTieringConfigurations") or []:
                self._intelligent_tiering(config)
        if "ObjectLockConfiguration" in changed and p.get("ObjectLockConfiguration"):
            self.call(
                "put_object_lock_configuration",
                **self.params(
                    "PutObjectLockConfiguration",
                    {"ObjectLockConfiguration": p["ObjectLockConfiguration"]},
                    Bucket=bucket,
                ),
            )

    def _logging(self, config: dict[str, Any] | None) -> None:
        if not config:
            self.call("put_bucket_logging", Bucket=self.name, BucketLoggingStatus={})
            return
        enabled = {
            "TargetBucket": config.get("DestinationBucketName") or self.name,
            "TargetPrefix": config.get("LogFilePrefix", ""),
        }
        try:
            self.call("put_bucket_logging", Bucket=self.name, BucketLoggingStatus={"LoggingEnabled": enabled})
        except Exception as error:
            # moto wants the target's log-delivery policy in place first; the template creates
            # it in the same deployment (S3 itself does not ask for it with ACLs disabled).
            if "InvalidTargetBucketForLogging" not in str(error) or "permissions" not in str(error):
                raise
            from moto.s3.models import s3_backends

            s3_backends[self.account_id]["aws"].buckets[self.name].logging = enabled

    def _intelligent_tiering(self, config: dict[str, Any]) -> None:
        body: dict[str, Any] = {
            "Id": config["Id"],
            "Status": config.get("Status", "Enabled"),
            "Tierings": config.get("Tierings", []),
        }
        if config.get("Prefix") or config.get("TagFilters"):
            body["Filter"] = (
                {"Prefix": config["Prefix"]} if config.get("Prefix") else {"Tag": config["TagFilters"][0]}
            )
        try:
            self.call(
                "put_bucket_intelligent_tiering_configuration",
                Bucket=self.name,
                Id=config["Id"],
                IntelligentTieringConfiguration=body,
            )
        except Exception as error:
            if "NotImplemented" not in str(error) and "not yet implemented" not in str(error).lower():
                raise

    def remove(self) -> None:
        # Straight to moto's backend: through the API, moto would write an access-log object
        # for this very request into the (then possibly already emptied) log bucket.
        from moto.s3.models import s3_backends

        if s3_backends[self.account_id]["aws"].delete_bucket(self.name) is None:
            raise RuntimeError(f"BucketNotEmpty: bucket {self.name} is not empty")


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle rule as the S3 API's ``LifecycleRule``."""
    result: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
    if rule.get("Id"):
        result["ID"] = rule["Id"]
    conditions: dict[str, Any] = {}
    if rule.get("Prefix"):
        conditions["Prefix"] = rule["Prefix"]
    if rule.get("TagFilters"):
        conditions["Tags"] = [{"Key": t["Key"], "Value": t["Value"]} for t in rule["TagFilters"]]
    for size in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
        if rule.get(size) is not None:
            conditions[size] = int(rule[size])
    if len(conditions) > 1 or "Tags" in conditions and len(conditions["Tags"]) > 1:
        result["Filter"] = {"And": conditions}
    elif "Tags" in conditions:
        result["Filter"] = {"Tag": conditions["Tags"][0]}
    else:
        result["Filter"] = conditions or {"Prefix": ""}
    expiration: dict[str, Any] = {}
    if rule.get("ExpirationInDays") is not None:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if rule.get("ExpirationDate"):
        expiration["Date"] = rule["ExpirationDate"]
    if rule.get("ExpiredObjectDeleteMarker") is not None:
        expiration["ExpiredObjectDeleteMarker"] = str(rule["ExpiredObjectDeleteMarker"]).lower() == "true"
    if expiration:
        result["Expiration"] = expiration
    transitions = list(rule.get("Transitions") or []) + (
        [rule["Transition"]] if rule.get("Transition") else []
    )
    if transitions:
        result["Transitions"] = [
            {
                k: v
                for k, v in {
                    "Days": t.get("TransitionInDays"),
                    "Date": t.get("TransitionDate"),
                    "StorageClass": t["StorageClass"],
                }.items()
                if v is not None
            }
            for t in transitions
        ]
    noncurrent = rule.get("NoncurrentVersionExpiration") or (
        {"NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]}
        if rule.get("NoncurrentVersionExpirationInDays")
        else None
    )
    if noncurrent:
        result["NoncurrentVersionExpiration"] = {k: int(v) for k, v in noncurrent.items()}
    noncurrent_transitions = list(rule.get("NoncurrentVersionTransitions") or []) + (
        [rule["NoncurrentVersionTransition"]] if rule.get("NoncurrentVersionTransition") else []
    )
    if noncurrent_transitions:
        result["NoncurrentVersionTransitions"] = [
            {
                k: v
                for k, v in {
                    "NoncurrentDays": t.get("TransitionInDays"),
                    "StorageClass": t["StorageClass"],
                    "NewerNoncurrentVersions": t.get("NewerNoncurrentVersions"),
                }.items()
                if v is not None
            }
            for t in noncurrent_transitions
        ]
    if rule.get("AbortIncompleteMultipartUpload"):
        result["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    return result


def _key_filter(config: dict[str, Any]) -> dict[str, Any]:
    rules = ((config.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    return (
        {"Filter": {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}}
        if rules
        else {}
    )


def _notifications(config: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation ``NotificationConfiguration`` as the S3 API's."""
    result: dict[str, Any] = {}
    if (
        str((config.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled", "false")).lower()
        == "true"
    ):
        result["EventBridgeConfiguration"] = {}
    for source, target, arn_key, cfn_key in (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "LambdaFunctionArn", "Function"),
        ("QueueConfigurations", "QueueConfigurations", "QueueArn", "Queue"),
        ("TopicConfigurations", "TopicConfigurations", "TopicArn", "Topic"),
    ):
        items = [
            {arn_key: c[cfn_key], "Events": [c["Event"]], **_key_filter(c)} for c in config.get(source) or []
        ]
        if items:
            result[target] = items
    return result


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    names = {"Id": "ID", "ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
    return {names.get(k, k): (int(v) if k == "MaxAge" else v) for k, v in rule.items()}


class S3BucketPolicy(_Taught, CloudFormationModel):
    TYPE = "AWS::S3::BucketPolicy"
    SERVICE = "s3"
    UPDATABLE = True
    REPLACE_ON = ("Bucket",)

    def create(self) -> None:
        self.update(set())
        self.physical_id = self.props["Bucket"]

    def update(self, changed: set[str]) -> None:
        self.call(
            "put_bucket_policy", Bucket=self.props["Bucket"], Policy=json.dumps(self.props["PolicyDocument"])
        )

    def remove(self) -> None:
        # Straight to moto's backend, as S3Bucket.remove does: no access-log object for this request.
        from moto.s3.models import s3_backends

        s3_backends[self.account_id]["aws"].delete_bucket_policy(self.physical_id)


class IamManagedPolicy(_Taught, CloudFormationModel):
    """Replaces moto's model (no delete: the roles it was attached to could not be deleted
    either, which stopped the whole stack delete)."""

    TYPE = "AWS::IAM::ManagedPolicy"
    SERVICE = "iam"
    NAME_PROPERTY = "ManagedPolicyName"
    NAME_MAX = 128
    ATTRIBUTES = (
        "PolicyArn",
        "PolicyId",
        "DefaultVersionId",
        "AttachmentCount",
        "IsAttachable",
        "CreateDate",
        "UpdateDate",
    )
    UPDATABLE = True
    REPLACE_ON = ("Path", "Description")
    _KINDS = (("Roles", "role", "RoleName"), ("Users", "user", "UserName"), ("Groups", "group", "GroupName"))

    def create(self) -> None:
        p = self.props
        policy = self.call(
            "create_policy",
            PolicyName=self.name,
            Path=p.get("Path", "/"),
            PolicyDocument=json.dumps(p["PolicyDocument"]),
            Description=p.get("Description", ""),
        )["Policy"]
        self.physical_id = policy["Arn"]
        self._attach({}, p)
        self._attributes()

    def _attach(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        for prop, kind, key in self._KINDS:
            old, new = set(before.get(prop) or []), set(after.get(prop) or [])
            for name in sorted(new - old):
                self.call(f"attach_{kind}_policy", **{key: name}, PolicyArn=self.physical_id)
            for name in sorted(old - new):
                self.call(f"detach_{kind}_policy", **{key: name}, PolicyArn=self.physical_id)

    def _attributes(self) -> None:
        policy = self.call("get_policy", PolicyArn=self.physical_id)["Policy"]
        self.attributes.update(
            PolicyArn=policy["Arn"],
            PolicyId=policy["PolicyId"],
            DefaultVersionId=policy["DefaultVersionId"],
            AttachmentCount=policy.get("AttachmentCount", 0),
            IsAttachable=policy.get("IsAttachable", True),
            CreateDate=str(policy.get("CreateDate", "")),
            UpdateDate=str(policy.get("UpdateDate", "")),
        )
        self._attached = {prop: list(self.props.get(prop) or []) for prop, _, _ in self._KINDS}

    def update(self, changed: set[str]) -> None:
        if "PolicyDocument" in changed:
            versions = self.call("list_policy_versions", PolicyArn=self.physical_id)["Versions"]
            for version in versions:
                if not version["IsDefaultVersion"]:
                    self.call(
                        "delete_policy_version", PolicyArn=self.physical_id, VersionId=version["VersionId"]
                    )
            self.call(
                "create_policy_version",
                PolicyArn=self.physical_id,
                PolicyDocument=json.dumps(self.props["PolicyDocument"]),
                SetAsDefault=True,
            )
        self._attach(self._attached, self.props)
        self._attributes()

    def remove(self) -> None:
        self._attach(self._attached, {})
        for version in self.call("list_policy_versions", PolicyArn=self.physical_id)["Versions"]:
            if not version["IsDefaultVersion"]:
                self.call("delete_policy_version", PolicyArn=self.physical_id, VersionId=version["VersionId"])
        self.call("delete_policy", PolicyArn=self.physical_id)


class LambdaPermission(_Taught, CloudFormationModel):
    """Replaces moto's model (no physical id, no delete, statement without a ``Sid``)."""

    TYPE = "AWS::Lambda::Permission"
    SERVICE = "lambda"
    NAME_MAX = 100

    def create(self) -> None:
        params = self.params("AddPermission", self.props, StatementId=self.name)
        self.call("add_permission", **params)
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("remove_permission", FunctionName=self.props["FunctionName"], StatementId=self.physical_id)


class LambdaEventInvokeConfig(_Taught, CloudFormationModel):
    TYPE = "AWS::Lambda::EventInvokeConfig"
    SERVICE = "lambda"
    UPDATABLE = True
    REPLACE_ON = ("FunctionName", "Qualifier")

    def create(self) -> None:
        self.update(set())
        self.physical_id = f"{self.props['FunctionName']}:{self.props.get('Qualifier', '$LATEST')}"

    def update(self, changed: set[str]) -> None:
        params = self.params("PutFunctionEventInvokeConfig", self.props)
        self.call("put_function_event_invoke_config", **params)

    def remove(self) -> None:
        self.call("delete_function_event_invoke_config", FunctionName=self.props["FunctionName"])


class LogsLogStream(_Taught, CloudFormationModel):
    TYPE = "AWS::Logs::LogStream"
    SERVICE = "logs"
    NAME_PROPERTY = "LogStreamName"

    def create(self) -> None:
        self.call("create_log_stream", logGroupName=self.props["LogGroupName"], logStreamName=self.name)
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_log_stream", logGroupName=self.props["LogGroupName"], logStreamName=self.name)


class LogsMetricFilter(_Taught, CloudFormationModel):
    TYPE = "AWS::Logs::MetricFilter"
    SERVICE = "logs"
    NAME_PROPERTY = "FilterName"
    NAME_MAX = 512
    UPDATABLE = True
    REPLACE_ON = ("LogGroupName",)

    def create(self) -> None:
        self.update(set())
        self.physical_id = self.name

    def update(self, changed: set[str]) -> None:
        if changed:  # moto's PutMetricFilter adds a second filter of the same name: replace it
            self.remove()
        self.call("put_metric_filter", **self.params("PutMetricFilter", self.props, filterName=self.name))

    def remove(self) -> None:
        self.call("delete_metric_filter", logGroupName=self.props["LogGroupName"], filterName=self.name)


class SqsQueuePolicy(_Taught, CloudFormationModel):
    TYPE = "AWS::SQS::QueuePolicy"
    SERVICE = "sqs"
    UPDATABLE = True
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        self._apply(self.props["Queues"], json.dumps(self.props["PolicyDocument"]))
        self.physical_id = self.name
        self.attributes["Id"] = self.name
        self._queues = list(self.props["Queues"])

    def update(self, changed: set[str]) -> None:
        self._apply([q for q in self._queues if q not in self.props["Queues"]], "")
        self.create()

    def remove(self) -> None:
        self._apply(self._queues, "")

    def _apply(self, queues: list[str], policy: str) -> None:
        for url in queues:
            try:
                self.call("set_queue_attributes", QueueUrl=url, Attributes={"Policy": policy})
            except Exception as error:
                if not (policy == "" and _not_found(error)):
                    raise


class SnsTopicPolicy(_Taught, CloudFormationModel):
    TYPE = "AWS::SNS::TopicPolicy"
    SERVICE = "sns"
    UPDATABLE = True
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        for arn in self.props["Topics"]:
            self._set(arn, json.dumps(self.props["PolicyDocument"]))
        self.physical_id = self.name
        self.attributes["Id"] = self.name
        self._topics = list(self.props["Topics"])

    def update(self, changed: set[str]) -> None:
        for arn in self._topics:
            if arn not in self.props["Topics"]:
                self._set(arn, _default_topic_policy(arn))
        self.create()

    def remove(self) -> None:
        for arn in self._topics:
            try:
                self._set(arn, _default_topic_policy(arn))
            except Exception as error:
                if not _not_found(error):
                    raise

    def _set(self, arn: str, policy: str) -> None:
        self.call("set_topic_attributes", TopicArn=arn, AttributeName="Policy", AttributeValue=policy)


def _default_topic_policy(topic_arn: str) -> str:
    account = topic_arn.split(":")[4]
    return json.dumps(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:Publish"],
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
                }
            ],
        }
    )


class SnsSubscription(_Taught, CloudFormationModel):
    TYPE = "AWS::SNS::Subscription"
    SERVICE = "sns"
    ATTRIBUTES = ("Arn",)
    UPDATABLE = True
    REPLACE_ON = ("TopicArn", "Protocol", "Endpoint", "Region")
    _SUBSCRIPTION_ATTRIBUTES = (
        "RawMessageDelivery",
        "FilterPolicy",
        "FilterPolicyScope",
        "RedrivePolicy",
        "DeliveryPolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    )

    def _attributes(self, names: Any) -> dict[str, str]:
        result = {}
        for name in names:
            if name in self.props:
                value = self.props[name]
                if isinstance(value, (dict, list)):
                    value = json.dumps(value)
                elif isinstance(value, bool):
                    value = "true" if value else "false"
                result[name] = str(value)
        return result

    def create(self) -> None:
        response = self.call(
            "subscribe",
            TopicArn=self.props["TopicArn"],
            Protocol=self.props["Protocol"],
            Endpoint=self.props.get("Endpoint", ""),
            Attributes=self._attributes(self._SUBSCRIPTION_ATTRIBUTES),
            ReturnSubscriptionArn=True,
        )
        self.physical_id = response["SubscriptionArn"]
        self.attributes["Arn"] = self.physical_id

    def update(self, changed: set[str]) -> None:
        for name, value in self._attributes(changed & set(self._SUBSCRIPTION_ATTRIBUTES)).items():
            self.call(
                "set_subscription_attributes",
                SubscriptionArn=self.physical_id,
                AttributeName=name,
                AttributeValue=value,
            )

    def remove(self) -> None:
        self.call("unsubscribe", SubscriptionArn=self.physical_id)


# ============================================================== Scheduler, CloudWatch


class SchedulerSchedule(_Taught, CloudFormationModel):
    TYPE = "AWS::Scheduler::Schedule"
    SERVICE = "scheduler"
    NAME_PROPERTY = "Name"
    NAME_MAX = 64
    ATTRIBUTES = ("Arn",)
    UPDATABLE = True
    REPLACE_ON = ("GroupName",)

    def create(self) -> None:
        response = self.call("create_schedule", **self.params("CreateSchedule", self.props, Name=self.name))
        self.physical_id = self.name
        self.attributes["Arn"] = response["ScheduleArn"]

    def update(self, changed: set[str]) -> None:
        self.call("update_schedule", **self.params("UpdateSchedule", self.props, Name=self.name))

    def remove(self) -> None:
        self.call("delete_schedule", Name=self.name, GroupName=self.props.get("GroupName", "default"))


class CloudWatchAlarm(_Taught, CloudFormationModel):
    TYPE = "AWS::CloudWatch::Alarm"
    SERVICE = "cloudwatch"
    NAME_PROPERTY = "AlarmName"
    NAME_MAX = 255
    ATTRIBUTES = ("Arn",)
    UPDATABLE = True

    def create(self) -> None:
        self.update(set())
        self.physical_id = self.name
        alarms = self.call("describe_alarms", AlarmNames=[self.name])["MetricAlarms"]
        self.attributes["Arn"] = alarms[0]["AlarmArn"]

    def update(self, changed: set[str]) -> None:
        self.call("put_metric_alarm", **self.params("PutMetricAlarm", self.props, AlarmName=self.name))

    def remove(self) -> None:
        self.call("delete_alarms", AlarmNames=[self.name])


# ============================================================== Glue


class GlueDatabase(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Database"
    SERVICE = "glue"
    NAME_LOWER = True
    NAME_MAX = 255
    UPDATABLE = True
    REPLACE_ON = ("CatalogId",)

    @classmethod
    def explicit_name(cls, properties: dict[str, Any]) -> str | None:
        return (properties.get("DatabaseInput") or {}).get("Name") or properties.get("DatabaseName")

    def _input(self) -> dict[str, Any]:
        return {**(self.props.get("DatabaseInput") or {}), "Name": self.name}

    def create(self) -> None:
        params = self.params(
            "CreateDatabase", {"CatalogId": self.props.get("CatalogId")}, DatabaseInput=self._input()
        )
        self.call("create_database", **params)
        self.physical_id = self.name

    def update(self, changed: set[str]) -> None:
        self.call(
            "update_database",
            **self.params("UpdateDatabase", {}, Name=self.name, DatabaseInput=self._input()),
        )

    def remove(self) -> None:
        self.call("delete_database", Name=self.name)


class GlueTable(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Table"
    SERVICE = "glue"
    NAME_LOWER = True
    NAME_MAX = 255
    UPDATABLE = True
    REPLACE_ON = ("CatalogId", "DatabaseName")

    @classmethod
    def explicit_name(cls, properties: dict[str, Any]) -> str | None:
        return (properties.get("TableInput") or {}).get("Name")

    def _input(self) -> dict[str, Any]:
        return {**(self.props.get("TableInput") or {}), "Name": self.name}

    def create(self) -> None:
        params = self.params("CreateTable", self.props, TableInput=self._input())
        self.call("create_table", **params)
        self.physical_id = self.name

    def update(self, changed: set[str]) -> None:
        params = self.params("UpdateTable", self.props, TableInput=self._input())
        self.call("update_table", **params)

    def remove(self) -> None:
        self.call("delete_table", DatabaseName=self.props["DatabaseName"], Name=self.name)


class GlueJob(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Job"
    SERVICE = "glue"
    NAME_PROPERTY = "Name"
    NAME_MAX = 255

    def create(self) -> None:
        self.call("create_job", **self.params("CreateJob", self.props, Name=self.name))
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_job", JobName=self.name)


class GlueCrawler(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Crawler"
    SERVICE = "glue"
    NAME_PROPERTY = "Name"
    NAME_MAX = 255

    def create(self) -> None:
        properties = dict(self.props)
        if isinstance(properties.get("Schedule"), dict):  # CloudFormation: {ScheduleExpression}
            properties["Schedule"] = properties["Schedule"].get("ScheduleExpression")
        self.call("create_crawler", **self.params("CreateCrawler", properties, Name=self.name))
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_crawler", Name=self.name)


class GlueSecurityConfiguration(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::SecurityConfiguration"
    SERVICE = "glue"
    NAME_PROPERTY = "Name"
    NAME_MAX = 255

    def create(self) -> None:
        encryption = dict(self.props.get("EncryptionConfiguration") or {})
        if "S3Encryptions" in encryption:  # CloudFormation's name for the API's S3Encryption
            encryption["S3Encryption"] = encryption.pop("S3Encryptions")
        params = self.params(
            "CreateSecurityConfiguration", {}, Name=self.name, EncryptionConfiguration=encryption
        )
        self.call("create_security_configuration", **params)
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_security_configuration", Name=self.name)


class GlueTrigger(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Trigger"
    SERVICE = "glue"
    NAME_PROPERTY = "Name"
    NAME_MAX = 255

    def create(self) -> None:
        self.call("create_trigger", **self.params("CreateTrigger", self.props, Name=self.name))
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_trigger", Name=self.name)


# ============================================================== Kinesis Firehose and Video


class FirehoseDeliveryStream(_Taught, CloudFormationModel):
    TYPE = "AWS::KinesisFirehose::DeliveryStream"
    SERVICE = "firehose"
    NAME_PROPERTY = "DeliveryStreamName"
    NAME_MAX = 64
    ATTRIBUTES = ("Arn",)

    def create(self) -> None:
        params = self.params("CreateDeliveryStream", self.props, DeliveryStreamName=self.name)
        response = self.call("create_delivery_stream", **params)
        self.physical_id = self.name
        self.attributes["Arn"] = response["DeliveryStreamARN"]

    def remove(self) -> None:
        self.call("delete_delivery_stream", DeliveryStreamName=self.name)


class KinesisVideoStream(_Taught, CloudFormationModel):
    TYPE = "AWS::KinesisVideo::Stream"
    SERVICE = "kinesisvideo"
    NAME_PROPERTY = "Name"
    NAME_MAX = 256
    ATTRIBUTES = ("Arn",)

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k != "Name"}
        response = self.call("create_stream", **self.params("CreateStream", properties, StreamName=self.name))
        self.physical_id = self.name
        self.attributes["Arn"] = response["StreamARN"]

    def remove(self) -> None:
        self.call("delete_stream", StreamARN=self.attributes["Arn"])


# ============================================================== DMS


class DmsReplicationSubnetGroup(_Taught, CloudFormationModel):
    TYPE = "AWS::DMS::ReplicationSubnetGroup"
    SERVICE = "dms"
    NAME_PROPERTY = "ReplicationSubnetGroupIdentifier"
    NAME_LOWER = True
    NAME_MAX = 255

    def create(self) -> None:
        params = self.params(
            "CreateReplicationSubnetGroup", self.props, ReplicationSubnetGroupIdentifier=self.name
        )
        self.call("create_replication_subnet_group", **params)
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_replication_subnet_group", ReplicationSubnetGroupIdentifier=self.name)


class DmsReplicationInstance(_Taught, CloudFormationModel):
    TYPE = "AWS::DMS::ReplicationInstance"
    SERVICE = "dms"
    NAME_PROPERTY = "ReplicationInstanceIdentifier"
    NAME_LOWER = True
    NAME_MAX = 63
    ATTRIBUTES = ("Id", "ReplicationInstancePrivateIpAddresses", "ReplicationInstancePublicIpAddresses")

    def create(self) -> None:
        params = self.params("CreateReplicationInstance", self.props, ReplicationInstanceIdentifier=self.name)
        instance = self.call("create_replication_instance", **params)["ReplicationInstance"]
        self.physical_id = instance["ReplicationInstanceArn"]
        self.attributes.update(
            Id=self.physical_id,
            ReplicationInstancePrivateIpAddresses=",".join(
                instance.get("ReplicationInstancePrivateIpAddresses") or []
            ),
            ReplicationInstancePublicIpAddresses=",".join(
                instance.get("ReplicationInstancePublicIpAddresses") or []
            ),
        )

    def remove(self) -> None:
        self.call("delete_replication_instance", ReplicationInstanceArn=self.physical_id)


class DmsEndpoint(_Taught, CloudFormationModel):
    TYPE = "AWS::DMS::Endpoint"
    SERVICE = "dms"
    NAME_PROPERTY = "EndpointIdentifier"
    NAME_LOWER = True
    NAME_MAX = 255
    ATTRIBUTES = ("EndpointArn", "ExternalId")

    def create(self) -> None:
        # PostgreSqlSettings -> PostgreSQLSettings etc.: api_params matches keys case-insensitively.
        endpoint = self.call(
            "create_endpoint", **self.params("CreateEndpoint", self.props, EndpointIdentifier=self.name)
        )["Endpoint"]
        self.physical_id = endpoint["EndpointArn"]
        self.attributes.update(EndpointArn=self.physical_id, ExternalId=endpoint.get("ExternalId", self.name))

    def remove(self) -> None:
        self.call("delete_endpoint", EndpointArn=self.physical_id)


class DmsReplicationTask(_Taught, CloudFormationModel):
    TYPE = "AWS::DMS::ReplicationTask"
    SERVICE = "dms"
    NAME_PROPERTY = "ReplicationTaskIdentifier"
    NAME_LOWER = True
    NAME_MAX = 255
    ATTRIBUTES = ("ReplicationTaskArn",)

    def create(self) -> None:
        params = self.params("CreateReplicationTask", self.props, ReplicationTaskIdentifier=self.name)
        task = self.call("create_replication_task", **params)["ReplicationTask"]
        self.physical_id = task["ReplicationTaskArn"]
        self.attributes["ReplicationTaskArn"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_replication_task", ReplicationTaskArn=self.physical_id)


class DmsReplicationConfig(_Taught, CloudFormationModel):
    """DMS Serverless; the API is added to moto by :mod:`ml_constructs.local.services`."""

    TYPE = "AWS::DMS::ReplicationConfig"
    SERVICE = "dms"
    NAME_PROPERTY = "ReplicationConfigIdentifier"
    NAME_LOWER = True
    NAME_MAX = 255
    ATTRIBUTES = ("ReplicationConfigArn",)
    UPDATABLE = True
    REPLACE_ON = ("ResourceIdentifier",)

    def create(self) -> None:
        params = self.params("CreateReplicationConfig", self.props, ReplicationConfigIdentifier=self.name)
        config = self.call("create_replication_config", **params)["ReplicationConfig"]
        self.physical_id = config["ReplicationConfigArn"]
        self.attributes["ReplicationConfigArn"] = self.physical_id

    def update(self, changed: set[str]) -> None:
        params = self.params("ModifyReplicationConfig", self.props, ReplicationConfigArn=self.physical_id)
        self.call("modify_replication_config", **params)

    def remove(self) -> None:
        self.call("delete_replication_config", ReplicationConfigArn=self.physical_id)


# ============================================================== Secrets Manager, EC2


class SecretsManagerSecret(_Taught, CloudFormationModel):
    TYPE = "AWS::SecretsManager::Secret"
    SERVICE = "secretsmanager"
    NAME_PROPERTY = "Name"
    NAME_MAX = 512
    ATTRIBUTES = ("Id",)
    UPDATABLE = True

    def _secret_string(self) -> str | None:
        generate = self.props.get("GenerateSecretString")
        if not generate:
            return self.props.get("SecretString")
        options = {
            k: v for k, v in generate.items() if k not in ("SecretStringTemplate", "GenerateStringKey")
        }
        password = self.call("get_random_password", **self.params("GetRandomPassword", options))[
            "RandomPassword"
        ]
        if generate.get("SecretStringTemplate") and generate.get("GenerateStringKey"):
            document = json.loads(generate["SecretStringTemplate"])
            document[generate["GenerateStringKey"]] = password
            return json.dumps(document)
        return password

    def create(self) -> None:
        properties = {
            k: v for k, v in self.props.items() if k not in ("SecretString", "GenerateSecretString")
        }
        params = self.params("CreateSecret", properties, Name=self.name, SecretString=self._secret_string())
        arn = self.call("create_secret", **params)["ARN"]
        self.physical_id = arn
        self.attributes["Id"] = arn

    def update(self, changed: set[str]) -> None:
        secret = self._secret_string() if changed & {"SecretString", "GenerateSecretString"} else None
        properties = {k: self.props.get(k) for k in ("Description", "KmsKeyId")}
        self.call(
            "update_secret",
            **self.params("UpdateSecret", properties, SecretId=self.physical_id, SecretString=secret),
        )

    def remove(self) -> None:
        self.call("delete_secret", SecretId=self.physical_id, ForceDeleteWithoutRecovery=True)


def _tag_specifications(resource_type: str, tags: Any) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": api.tag_list(tags)}] if tags else []


class Ec2RouteTable(_Taught, CloudFormationModel):
    """Replaces moto's model, and so do the other EC2 networking types below: moto's had no
    delete, so a stack delete left them behind and then failed on the VPC's dependencies."""

    TYPE = "AWS::EC2::RouteTable"
    SERVICE = "ec2"
    ATTRIBUTES = ("RouteTableId",)

    def create(self) -> None:
        table = self.call(
            "create_route_table",
            VpcId=self.props["VpcId"],
            TagSpecifications=_tag_specifications("route-table", self.props.get("Tags")),
        )["RouteTable"]
        self.physical_id = table["RouteTableId"]
        self.attributes["RouteTableId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_route_table", RouteTableId=self.physical_id)


class Ec2Route(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::Route"
    SERVICE = "ec2"
    ATTRIBUTES = ("CidrBlock",)
    _DESTINATIONS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")

    def create(self) -> None:
        self.call("create_route", **self.params("CreateRoute", self.props))
        destination = next(self.props[k] for k in self._DESTINATIONS if self.props.get(k))
        self.physical_id = f"{self.props['RouteTableId']}|{destination}"
        self.attributes["CidrBlock"] = destination

    def remove(self) -> None:
        destination = {k: self.props[k] for k in self._DESTINATIONS if self.props.get(k)}
        self.call("delete_route", RouteTableId=self.props["RouteTableId"], **destination)


class Ec2InternetGateway(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::InternetGateway"
    SERVICE = "ec2"
    ATTRIBUTES = ("InternetGatewayId",)

    def create(self) -> None:
        specs = _tag_specifications("internet-gateway", self.props.get("Tags"))
        gateway = self.call("create_internet_gateway", TagSpecifications=specs)["InternetGateway"]
        self.physical_id = gateway["InternetGatewayId"]
        self.attributes["InternetGatewayId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_internet_gateway", InternetGatewayId=self.physical_id)


class Ec2VpcGatewayAttachment(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::VPCGatewayAttachment"
    SERVICE = "ec2"
    ATTRIBUTES = ("AttachmentType",)

    def create(self) -> None:
        p = self.props
        if p.get("InternetGatewayId"):
            self.call("attach_internet_gateway", InternetGatewayId=p["InternetGatewayId"], VpcId=p["VpcId"])
            kind = "IGW"
        else:
            self.call("attach_vpn_gateway", VpnGatewayId=p["VpnGatewayId"], VpcId=p["VpcId"])
            kind = "VGW"
        self.physical_id = f"{kind}|{p['VpcId']}"
        self.attributes["AttachmentType"] = kind

    def remove(self) -> None:
        p = self.props
        if p.get("InternetGatewayId"):
            self.call("detach_internet_gateway", InternetGatewayId=p["InternetGatewayId"], VpcId=p["VpcId"])
        else:
            self.call("detach_vpn_gateway", VpnGatewayId=p["VpnGatewayId"], VpcId=p["VpcId"])


class Ec2Eip(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::EIP"
    SERVICE = "ec2"
    ATTRIBUTES = ("AllocationId", "PublicIp")

    def create(self) -> None:
        specs = _tag_specifications("elastic-ip", self.props.get("Tags"))
        address = self.call("allocate_address", Domain="vpc", TagSpecifications=specs)
        self.physical_id = address["PublicIp"]
        self.attributes.update(AllocationId=address["AllocationId"], PublicIp=address["PublicIp"])
        if self.props.get("InstanceId"):
            self.call(
                "associate_address", AllocationId=address["AllocationId"], InstanceId=self.props["InstanceId"]
            )

    def remove(self) -> None:
        self.call("release_address", AllocationId=self.attributes["AllocationId"])


class Ec2NatGateway(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::NatGateway"
    SERVICE = "ec2"
    ATTRIBUTES = ("NatGatewayId",)

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k != "Tags"}
        specs = _tag_specifications("natgateway", self.props.get("Tags"))
        params = self.params("CreateNatGateway", properties, TagSpecifications=specs or None)
        gateway = self.call("create_nat_gateway", **params)["NatGateway"]
        self.physical_id = gateway["NatGatewayId"]
        self.attributes["NatGatewayId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_nat_gateway", NatGatewayId=self.physical_id)


class Ec2FlowLog(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::FlowLog"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k not in ("ResourceId", "Tags")}
        specs = _tag_specifications("vpc-flow-log", self.props.get("Tags"))
        params = self.params(
            "CreateFlowLogs",
            properties,
            ResourceIds=[self.props["ResourceId"]],
            TagSpecifications=specs or None,
        )
        response = self.call("create_flow_logs", **params)
        if not response.get("FlowLogIds"):
            raise RuntimeError(f"no flow log created: {response.get('Unsuccessful')}")
        self.physical_id = response["FlowLogIds"][0]
        self.attributes["Id"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_flow_logs", FlowLogIds=[self.physical_id])


class Ec2VpcEndpoint(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::VPCEndpoint"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id", "CreationTimestamp", "DnsEntries", "NetworkInterfaceIds")
    UPDATABLE = True
    REPLACE_ON = ("ServiceName", "VpcEndpointType", "VpcId")

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k not in ("Tags", "PolicyDocument")}
        policy = self.props.get("PolicyDocument")
        specs = _tag_specifications("vpc-endpoint", self.props.get("Tags"))
        params = self.params(
            "CreateVpcEndpoint",
            properties,
            PolicyDocument=json.dumps(policy) if isinstance(policy, dict) else policy,
            TagSpecifications=specs or None,
        )
        endpoint = self.call("create_vpc_endpoint", **params)["VpcEndpoint"]
        self.physical_id = endpoint["VpcEndpointId"]
        created = endpoint.get("CreationTimestamp")
        self.attributes.update(
            Id=self.physical_id,
            CreationTimestamp=created.isoformat() if hasattr(created, "isoformat") else str(created),
            DnsEntries=[
                f"{e.get('HostedZoneId', '')}:{e.get('DnsName', '')}" for e in endpoint.get("DnsEntries", [])
            ],
            NetworkInterfaceIds=endpoint.get("NetworkInterfaceIds", []),
        )

    def update(self, changed: set[str]) -> None:
        self.remove()
        self.create()

    def remove(self) -> None:
        self.call("delete_vpc_endpoints", VpcEndpointIds=[self.physical_id])


class Ec2SubnetRouteTableAssociation(_Taught, CloudFormationModel):
    """Replaces moto's model (it kept the association in a registry of its own: the route table
    never showed it, and its id was the route table's)."""

    TYPE = "AWS::EC2::SubnetRouteTableAssociation"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        response = self.call(
            "associate_route_table", RouteTableId=self.props["RouteTableId"], SubnetId=self.props["SubnetId"]
        )
        self.physical_id = response["AssociationId"]
        self.attributes["Id"] = self.physical_id

    def remove(self) -> None:
        self.call("disassociate_route_table", AssociationId=self.physical_id)


def _ip_permission(props: dict[str, Any], peer: str) -> dict[str, Any]:
    """One ``IpPermission`` from an ``AWS::EC2::SecurityGroupIngress/Egress`` (peer: Source or
    Destination)."""
    permission: dict[str, Any] = {"IpProtocol": str(props.get("IpProtocol", "-1"))}
    for key in ("FromPort", "ToPort"):
        if key in props:
            permission[key] = int(props[key])
    description = {"Description": props["Description"]} if props.get("Description") else {}
    if props.get("CidrIp"):
        permission["IpRanges"] = [{"CidrIp": props["CidrIp"], **description}]
    if props.get("CidrIpv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": props["CidrIpv6"], **description}]
    if props.get(f"{peer}PrefixListId"):
        permission["PrefixListIds"] = [{"PrefixListId": props[f"{peer}PrefixListId"], **description}]
    group = props.get(f"{peer}SecurityGroupId")
    if group:
        pair = {"GroupId": group, **description}
        if props.get("SourceSecurityGroupOwnerId"):
            pair["UserId"] = str(props["SourceSecurityGroupOwnerId"])
        permission["UserIdGroupPairs"] = [pair]
    elif props.get(f"{peer}SecurityGroupName"):
        permission["UserIdGroupPairs"] = [{"GroupName": props[f"{peer}SecurityGroupName"], **description}]
    return permission


class Ec2SecurityGroupIngress(_Taught, CloudFormationModel):
    """Replaces moto's model (no physical id, no delete)."""

    TYPE = "AWS::EC2::SecurityGroupIngress"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        group = (
            {"GroupId": self.props["GroupId"]}
            if self.props.get("GroupId")
            else {"GroupName": self.props["GroupName"]}
        )
        response = self.call(
            "authorize_security_group_ingress", **group, IpPermissions=[_ip_permission(self.props, "Source")]
        )
        self.physical_id = response["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        self.attributes["Id"] = self.physical_id

    def remove(self) -> None:
        group = (
            {"GroupId": self.props["GroupId"]}
            if self.props.get("GroupId")
            else {"GroupName": self.props["GroupName"]}
        )
        self.call("revoke_security_group_ingress", **group, SecurityGroupRuleIds=[self.physical_id])


class Ec2SecurityGroupEgress(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::SecurityGroupEgress"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        response = self.call(
            "authorize_security_group_egress",
            GroupId=self.props["GroupId"],
            IpPermissions=[_ip_permission(self.props, "Destination")],
        )
        self.physical_id = response["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        self.attributes["Id"] = self.physical_id

    def remove(self) -> None:
        self.call(
            "revoke_security_group_egress",
            GroupId=self.props["GroupId"],
            SecurityGroupRuleIds=[self.physical_id],
        )


# ============================================================== Athena, EMR Serverless


class AthenaWorkGroup(_Taught, CloudFormationModel):
    TYPE = "AWS::Athena::WorkGroup"
    SERVICE = "athena"
    NAME_PROPERTY = "Name"
    NAME_MAX = 128
    ATTRIBUTES = ("CreationTime", "WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion")

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k not in ("Name", "WorkGroupConfiguration")}
        params = self.params(
            "CreateWorkGroup",
            properties,
            Name=self.name,
            Configuration=self.props.get("WorkGroupConfiguration"),
        )
        self.call("create_work_group", **params)
        self.physical_id = self.name
        group = self.call("get_work_group", WorkGroup=self.name)["WorkGroup"]
        created = group.get("CreationTime")
        engine = (group.get("Configuration") or {}).get("EngineVersion") or {}
        self.attributes["CreationTime"] = (
            created.isoformat() if hasattr(created, "isoformat") else str(created)
        )
        self.attributes["WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion"] = engine.get(
            "EffectiveEngineVersion", "Athena engine version 3"
        )

    def remove(self) -> None:
        self.call("delete_work_group", WorkGroup=self.name, RecursiveDeleteOption=True)


class EmrServerlessApplication(_Taught, CloudFormationModel):
    TYPE = "AWS::EMRServerless::Application"
    SERVICE = "emr-serverless"
    NAME_PROPERTY = "Name"
    NAME_MAX = 64
    ATTRIBUTES = ("Arn", "ApplicationId")
    UPDATABLE = True
    REPLACE_ON = ("Type",)

    def _properties(self) -> dict[str, Any]:
        properties = {k: v for k, v in self.props.items() if k not in ("Name", "Type")}
        return properties

    def create(self) -> None:
        params = self.params(
            "CreateApplication",
            self._properties(),
            name=self.name,
            type=str(self.props["Type"]).upper(),
            clientToken=str(uuid.uuid4()),
        )
        response = self.call("create_application", **params)
        self.physical_id = response["applicationId"]
        self.attributes.update(Arn=response["arn"], ApplicationId=response["applicationId"])

    def update(self, changed: set[str]) -> None:
        # Only a CREATED or STOPPED application can be updated: stop it meanwhile.
        state = self.call("get_application", applicationId=self.physical_id)["application"]["state"]
        running = state in ("STARTING", "STARTED")
        if running:
            self.call("stop_application", applicationId=self.physical_id)
        properties = {k: v for k, v in self._properties().items() if k != "Tags"}
        params = self.params(
            "UpdateApplication", properties, applicationId=self.physical_id, clientToken=str(uuid.uuid4())
        )
        self.call("update_application", **params)
        if running:
            self.call("start_application", applicationId=self.physical_id)

    def remove(self) -> None:
        state = self.call("get_application", applicationId=self.physical_id)["application"]["state"]
        if state in ("STARTING", "STARTED"):
            self.call("stop_application", applicationId=self.physical_id)
        self.call("delete_application", applicationId=self.physical_id)


# ============================================================== SageMaker


class SageMakerModelPackageGroup(_Taught, CloudFormationModel):
    TYPE = "AWS::SageMaker::ModelPackageGroup"
    SERVICE = "sagemaker"
    NAME_PROPERTY = "ModelPackageGroupName"
    NAME_MAX = 63
    ATTRIBUTES = ("ModelPackageGroupArn", "CreationTime", "ModelPackageGroupStatus")

    def create(self) -> None:
        params = self.params("CreateModelPackageGroup", self.props, ModelPackageGroupName=self.name)
        arn = self.call("create_model_package_group", **params)["ModelPackageGroupArn"]
        group = self.call("describe_model_package_group", ModelPackageGroupName=self.name)
        created = group.get("CreationTime")
        self.physical_id = arn
        self.attributes.update(
            ModelPackageGroupArn=arn,
            CreationTime=created.isoformat() if hasattr(created, "isoformat") else str(created),
            ModelPackageGroupStatus=group.get("ModelPackageGroupStatus", "Completed"),
        )

    def remove(self) -> None:
        self.call("delete_model_package_group", ModelPackageGroupName=self.name)


class SageMakerDomain(_Taught, CloudFormationModel):
    TYPE = "AWS::SageMaker::Domain"
    SERVICE = "sagemaker"
    NAME_PROPERTY = "DomainName"
    NAME_MAX = 63
    ATTRIBUTES = (
        "DomainArn",
        "DomainId",
        "Url",
        "HomeEfsFileSystemId",
        "SecurityGroupIdForDomainBoundary",
        "SingleSignOnManagedApplicationInstanceId",
        "SingleSignOnApplicationArn",
    )

    def create(self) -> None:
        response = self.call("create_domain", **self.params("CreateDomain", self.props, DomainName=self.name))
        domain_id = response["DomainArn"].rsplit("/", 1)[-1]
        domain = self.call("describe_domain", DomainId=domain_id)
        self.physical_id = domain_id
        self.attributes.update(
            DomainArn=response["DomainArn"],
            DomainId=domain_id,
            Url=response.get("Url") or domain.get("Url", ""),
            HomeEfsFileSystemId=domain.get("HomeEfsFileSystemId", ""),
            SecurityGroupIdForDomainBoundary=domain.get("SecurityGroupIdForDomainBoundary", ""),
            SingleSignOnManagedApplicationInstanceId=domain.get(
                "SingleSignOnManagedApplicationInstanceId", ""
            ),
            SingleSignOnApplicationArn=domain.get("SingleSignOnApplicationArn", ""),
        )

    def remove(self) -> None:
        self.call("delete_domain", DomainId=self.physical_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"})


class SageMakerUserProfile(_Taught, CloudFormationModel):
    """Studio user; the API is added to moto by :mod:`ml_constructs.local.services`."""

    TYPE = "AWS::SageMaker::UserProfile"
    SERVICE = "sagemaker"
    NAME_PROPERTY = "UserProfileName"
    NAME_MAX = 63
    ATTRIBUTES = ("UserProfileArn",)
    UPDATABLE = True
    REPLACE_ON = ("DomainId", "SingleSignOnUserIdentifier", "SingleSignOnUserValue")

    def create(self) -> None:
        params = self.params("CreateUserProfile", self.props, UserProfileName=self.name)
        arn = self.call("create_user_profile", **params)["UserProfileArn"]
        self.physical_id = arn
        self.attributes["UserProfileArn"] = arn

    def update(self, changed: set[str]) -> None:
        params = self.params(
            "UpdateUserProfile",
            {"UserSettings": self.props.get("UserSettings")},
            DomainId=self.props["DomainId"],
            UserProfileName=self.name,
        )
        self.call("update_user_profile", **params)

    def remove(self) -> None:
        self.call("delete_user_profile", DomainId=self.props["DomainId"], UserProfileName=self.name)


# ============================================================== Application Auto Scaling


class ScalableTarget(_Taught, CloudFormationModel):
    TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"
    SERVICE = "application-autoscaling"
    ATTRIBUTES = ("Id",)
    UPDATABLE = True
    REPLACE_ON = ("ResourceId", "ScalableDimension", "ServiceNamespace")

    def _key(self) -> dict[str, str]:
        return {k: self.props[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")}

    def create(self) -> None:
        self.update(set())
        p = self.props
        self.physical_id = f"{p['ResourceId']}|{p['ScalableDimension']}|{p['ServiceNamespace']}"
        self.attributes["Id"] = self.physical_id

    def update(self, changed: set[str]) -> None:
        properties = {k: v for k, v in self.props.items() if k != "ScheduledActions"}
        self.call("register_scalable_target", **self.params("RegisterScalableTarget", properties))
        for action in self.props.get("ScheduledActions") or []:
            self.call("put_scheduled_action", **self.params("PutScheduledAction", action, **self._key()))

    def remove(self) -> None:
        self.call("deregister_scalable_target", **self._key())


class ScalingPolicy(_Taught, CloudFormationModel):
    TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"
    SERVICE = "application-autoscaling"
    ATTRIBUTES = ("Arn",)
    UPDATABLE = True
    REPLACE_ON = ("PolicyName", "ServiceNamespace", "ResourceId", "ScalableDimension", "ScalingTargetId")

    def _key(self) -> dict[str, str]:
        p = self.props
        if p.get("ScalingTargetId"):
            resource_id, dimension, namespace = str(p["ScalingTargetId"]).split("|")
            return {"ResourceId": resource_id, "ScalableDimension": dimension, "ServiceNamespace": namespace}
        return {k: p[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")}

    def create(self) -> None:
        self.update(set())

    def update(self, changed: set[str]) -> None:
        response = self.call(
            "put_scaling_policy", **self.params("PutScalingPolicy", self.props, **self._key())
        )
        self.physical_id = response["PolicyARN"]
        self.attributes["Arn"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_scaling_policy", PolicyName=self.props["PolicyName"], **self._key())


# ============================================================== API Gateway


class ApiGatewayRestApi(_Taught, CloudFormationModel):
    """Replaces moto's model (it dropped the resource policy, binary media types and tags, and had
    no delete)."""

    TYPE = "AWS::ApiGateway::RestApi"
    SERVICE = "apigateway"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("RestApiId", "RootResourceId")
    UPDATABLE = True
    REPLACE_ON = ("Body", "BodyS3Location", "CloneFrom")

    def create(self) -> None:
        p = self.props
        properties = {
            k: v
            for k, v in p.items()
            if k not in ("Name", "ApiKeySourceType", "EndpointConfiguration", "Policy")
        }
        endpoint = p.get("EndpointConfiguration")
        params = self.params(
            "CreateRestApi",
            properties,
            name=self.name,
            apiKeySource=p.get("ApiKeySourceType"),
            endpointConfiguration=endpoint,
            policy=json.dumps(p["Policy"]) if isinstance(p.get("Policy"), dict) else p.get("Policy"),
        )
        api_id = self.call("create_rest_api", **params)["id"]
        root = next(
            r["id"] for r in self.call("get_resources", restApiId=api_id)["items"] if r["path"] == "/"
        )
        self.physical_id = api_id
        self.attributes.update(RestApiId=api_id, RootResourceId=root)

    def update(self, changed: set[str]) -> None:
        operations = []
        if "Description" in changed:
            operations.append(
                {"op": "replace", "path": "/description", "value": self.props.get("Description", "")}
            )
        if "Policy" in changed:
            policy = self.props.get("Policy")
            operations.append(
                {
                    "op": "replace",
                    "path": "/policy",
                    "value": json.dumps(policy) if isinstance(policy, dict) else policy or "",
                }
            )
        if operations:
            self.call("update_rest_api", restApiId=self.physical_id, patchOperations=operations)

    def remove(self) -> None:
        self.call("delete_rest_api", restApiId=self.physical_id)


class ApiGatewayResource(_Taught, CloudFormationModel):
    """Replaces moto's model (no delete: a resource removed from the template stayed)."""

    TYPE = "AWS::ApiGateway::Resource"
    SERVICE = "apigateway"
    ATTRIBUTES = ("ResourceId",)

    def create(self) -> None:
        p = self.props
        found = self.call(
            "create_resource", restApiId=p["RestApiId"], parentId=p["ParentId"], pathPart=p["PathPart"]
        )
        self.physical_id = found["id"]
        self.attributes["ResourceId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_resource", restApiId=self.props["RestApiId"], resourceId=self.physical_id)


class ApiGatewayDeployment(_Taught, CloudFormationModel):
    """Replaces moto's model (no physical id: a Stage's ``DeploymentId`` got a Python object)."""

    TYPE = "AWS::ApiGateway::Deployment"
    SERVICE = "apigateway"
    ATTRIBUTES = ("DeploymentId",)

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k != "StageDescription"}
        response = self.call("create_deployment", **self.params("CreateDeployment", properties))
        self.physical_id = response["id"]
        self.attributes["DeploymentId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_deployment", restApiId=self.props["RestApiId"], deploymentId=self.physical_id)


class ApiGatewayMethod(_Taught, CloudFormationModel):
    """Replaces moto's model (no physical id, no delete, method responses and validators lost)."""

    TYPE = "AWS::ApiGateway::Method"
    SERVICE = "apigateway"

    def _key(self) -> dict[str, str]:
        p = self.props
        return {"restApiId": p["RestApiId"], "resourceId": p["ResourceId"], "httpMethod": p["HttpMethod"]}

    def create(self) -> None:
        key = self._key()
        method = {k: v for k, v in self.props.items() if k not in ("Integration", "MethodResponses")}
        method.setdefault("AuthorizationType", "NONE")
        self.call("put_method", **self.params("PutMethod", method, **key))
        integration = self.props.get("Integration")
        if integration:
            body = {k: v for k, v in integration.items() if k != "IntegrationResponses"}
            self.call("put_integration", **self.params("PutIntegration", body, **key))
            for response in integration.get("IntegrationResponses") or []:
                self.call(
                    "put_integration_response", **self.params("PutIntegrationResponse", response, **key)
                )
        for response in self.props.get("MethodResponses") or []:
            self.call("put_method_response", **self.params("PutMethodResponse", response, **key))
        self.physical_id = "|".join(key.values())

    def remove(self) -> None:
        self.call("delete_method", **self._key())


class ApiGatewayStage(_Taught, CloudFormationModel):
    TYPE = "AWS::ApiGateway::Stage"
    SERVICE = "apigateway"
    NAME_PROPERTY = "StageName"
    NAME_MAX = 128

    def create(self) -> None:
        p = self.props
        params = self.params("CreateStage", p, restApiId=p["RestApiId"], stageName=self.name)
        self.call("create_stage", **params)
        operations = []
        access_log = p.get("AccessLogSetting") or {}
        if access_log.get("DestinationArn"):
            operations.append(
                {
                    "op": "replace",
                    "path": "/accessLogSettings/destinationArn",
                    "value": access_log["DestinationArn"],
                }
            )
        if access_log.get("Format"):
            operations.append(
                {"op": "replace", "path": "/accessLogSettings/format", "value": access_log["Format"]}
            )
        for setting in p.get("MethodSettings") or []:
            path_part = setting.get("ResourcePath", "/*").lstrip("/").replace("/", "~1") or "*"
            prefix = f"/{path_part}/{setting.get('HttpMethod', '*')}"
            for name, path in (
                ("LoggingLevel", "logging/loglevel"),
                ("DataTraceEnabled", "logging/dataTrace"),
                ("MetricsEnabled", "metrics/enabled"),
                ("ThrottlingBurstLimit", "throttling/burstLimit"),
                ("ThrottlingRateLimit", "throttling/rateLimit"),
                ("CachingEnabled", "caching/enabled"),
            ):
                if name in setting:
                    value = setting[name]
                    value = str(value).lower() if isinstance(value, bool) else str(value)
                    operations.append({"op": "replace", "path": f"{prefix}/{path}", "value": value})
        if operations:
            self.call(
                "update_stage", restApiId=p["RestApiId"], stageName=self.name, patchOperations=operations
            )
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_stage", restApiId=self.props["RestApiId"], stageName=self.name)


class ApiGatewayAccount(_Taught, CloudFormationModel):
    TYPE = "AWS::ApiGateway::Account"
    SERVICE = "apigateway"
    ATTRIBUTES = ("Id",)
    UPDATABLE = True

    def create(self) -> None:
        self.update(set())
        self.physical_id = self.name
        self.attributes["Id"] = self.name

    def update(self, changed: set[str]) -> None:
        role = self.props.get("CloudWatchRoleArn")
        if role:
            operations = [{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
            self.call("update_account", patchOperations=operations)

    def remove(self) -> None:
        """The account's API Gateway settings outlive the stack (as on AWS)."""


class ApiGatewayRequestValidator(_Taught, CloudFormationModel):
    TYPE = "AWS::ApiGateway::RequestValidator"
    SERVICE = "apigateway"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("RequestValidatorId",)

    def create(self) -> None:
        params = self.params(
            "CreateRequestValidator", self.props, restApiId=self.props["RestApiId"], name=self.name
        )
        self.physical_id = self.call("create_request_validator", **params)["id"]
        self.attributes["RequestValidatorId"] = self.physical_id

    def remove(self) -> None:
        self.call(
            "delete_request_validator", restApiId=self.props["RestApiId"], requestValidatorId=self.physical_id
        )


# ============================================================== ECR


class EcrRepository(_Taught, CloudFormationModel):
    """Replaces moto's model (its generated names had capitals, which ECR rejects)."""

    TYPE = "AWS::ECR::Repository"
    SERVICE = "ecr"
    NAME_PROPERTY = "RepositoryName"
    NAME_LOWER = True
    NAME_MAX = 256
    ATTRIBUTES = ("Arn", "RepositoryUri")
    UPDATABLE = True
    REPLACE_ON = ("EncryptionConfiguration",)

    def create(self) -> None:
        properties = {
            k: v for k, v in self.props.items() if k not in ("RepositoryPolicyText", "LifecyclePolicy")
        }
        params = self.params("CreateRepository", properties, repositoryName=self.name)
        repository = self.call("create_repository", **params)["repository"]
        self.physical_id = self.name
        self.attributes.update(Arn=repository["repositoryArn"], RepositoryUri=repository["repositoryUri"])
        self.update(set(self.props))

    def update(self, changed: set[str]) -> None:
        p = self.props
        if "RepositoryPolicyText" in changed and p.get("RepositoryPolicyText"):
            text = p["RepositoryPolicyText"]
            self.call(
                "set_repository_policy",
                repositoryName=self.name,
                policyText=text if isinstance(text, str) else json.dumps(text),
            )
        lifecycle = (p.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        if "LifecyclePolicy" in changed and lifecycle:
            self.call("put_lifecycle_policy", repositoryName=self.name, lifecyclePolicyText=lifecycle)
        scanning = p.get("ImageScanningConfiguration")
        if "ImageScanningConfiguration" in changed and scanning and changed != set(p):
            self.call(
                "put_image_scanning_configuration",
                **self.params(
                    "PutImageScanningConfiguration",
                    {"imageScanningConfiguration": scanning},
                    repositoryName=self.name,
                ),
            )

    def remove(self) -> None:
        self.call(
            "delete_repository",
            repositoryName=self.name,
            force=str(self.props.get("EmptyOnDelete", False)).lower() == "true",
        )


# ============================================================== CDK


class CdkMetadata(_Taught, CloudFormationModel):
    """``AWS::CDK::Metadata``: CDK's usage record; CloudFormation keeps it as a resource."""

    TYPE = "AWS::CDK::Metadata"
    UPDATABLE = True

    def create(self) -> None:
        self.physical_id = self.name

    def update(self, changed: set[str]) -> None:
        pass

    def remove(self) -> None:
        pass


TAUGHT: tuple[type[_Taught], ...] = tuple(
    cls for cls in list(globals().values()) if isinstance(cls, type) and issubclass(cls, _Taught) and cls.TYPE
)
"""Every model defined here."""
