"""S3 buckets (every setting CDK's secure buckets use) and bucket policies."""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from .. import api
from ._base import _Taught


class S3Bucket(_Taught, CloudFormationModel):
    """Replaces moto's model, which applied only encryption and tags: versioning, public access
    block, ownership controls, lifecycle rules, access logging, notifications (EventBridge: how
    S3 events reach the app's rules), CORS, intelligent tiering and object lock went missing."""

    TYPE = "AWS::S3::Bucket"
    SERVICE = "s3"
    NAME_PROPERTY = "BucketName"
    UNIQUE_NAME = True
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
