"""What moto 5.2's service APIs lack for the reference app, added to moto's own services.

- SageMaker: ``CreateUserProfile`` / ``DescribeUserProfile`` / ``ListUserProfiles`` /
  ``DeleteUserProfile`` (Studio users), ``DeleteModelPackageGroup``.
- DMS: ``CreateReplicationConfig`` / ``DescribeReplicationConfigs`` / ``ModifyReplicationConfig``
  / ``DeleteReplicationConfig`` (DMS Serverless).
- Application Auto Scaling: ``DescribeScalingPolicies`` honours ``PolicyNames`` (moto ignored it
  and answered every policy of the namespace).

CloudFormation's own behaviour lives in :mod:`.cloudformation`, S3's bucket-policy conditions in
:mod:`.s3`, EventBridge's pattern matching in :mod:`.events`.

The state lives on moto's backend objects (so ``moto.core.models`` resets clear it) and the
requests go through moto's response classes like any other action. :func:`extend` is idempotent.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

_extended = False


def extend() -> None:
    """Add the missing actions and fixes to moto (once per process)."""
    global _extended
    if _extended:
        return
    _extend_sagemaker()
    _extend_dms()
    _fix_scaling_policy_names()
    _extended = True


def _fix_scaling_policy_names() -> None:
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    original = ApplicationAutoScalingResponse.describe_scaling_policies

    def describe_scaling_policies(self: Any) -> str:
        answer = json.loads(original(self))
        names = self._get_param("PolicyNames")
        if names:
            answer["ScalingPolicies"] = [p for p in answer["ScalingPolicies"] if p.get("PolicyName") in names]
        return json.dumps(answer)

    setattr(ApplicationAutoScalingResponse, "describe_scaling_policies", describe_scaling_policies)  # noqa: B010


# --- SageMaker ---------------------------------------------------------------------------


def _user_profiles(backend: Any) -> dict[tuple[str, str], dict[str, Any]]:
    if not hasattr(backend, "ml_user_profiles"):
        backend.ml_user_profiles = {}
    return backend.ml_user_profiles


def _extend_sagemaker() -> None:
    from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemaker.utils import arn_formatter

    def create_user_profile(self: Any) -> str:
        domain_id = self._get_param("DomainId")
        name = self._get_param("UserProfileName")
        backend = self.sagemaker_backend
        if domain_id not in backend.domains:
            raise ValidationError(message=f"Could not find domain '{domain_id}'.")
        profiles = _user_profiles(backend)
        if (domain_id, name) in profiles:
            raise ResourceInUseException(message=f"Resource Already Exists: UserProfile {name}")
        now = time.time()
        arn = arn_formatter("user-profile", f"{domain_id}/{name}", self.current_account, self.region)
        profiles[(domain_id, name)] = {
            "DomainId": domain_id,
            "UserProfileArn": arn,
            "UserProfileName": name,
            "HomeEfsFileSystemUid": str(200000 + len(profiles)),
            "Status": "InService",
            "CreationTime": now,
            "LastModifiedTime": now,
            "SingleSignOnUserIdentifier": self._get_param("SingleSignOnUserIdentifier"),
            "SingleSignOnUserValue": self._get_param("SingleSignOnUserValue"),
            "UserSettings": self._get_param("UserSettings") or {},
        }
        return json.dumps({"UserProfileArn": arn})

    def _find(self: Any) -> dict[str, Any]:
        key = (self._get_param("DomainId"), self._get_param("UserProfileName"))
        found = _user_profiles(self.sagemaker_backend).get(key)
        if found is None:
            raise ResourceNotFound(message=f"User profile {key[1]} does not exist in domain {key[0]}")
        return found

    def describe_user_profile(self: Any) -> str:
        return json.dumps({k: v for k, v in _find(self).items() if v is not None})

    def update_user_profile(self: Any) -> str:
        profile = _find(self)
        if self._get_param("UserSettings") is not None:
            profile["UserSettings"] = self._get_param("UserSettings")
        profile["LastModifiedTime"] = time.time()
        return json.dumps({"UserProfileArn": profile["UserProfileArn"]})

    def delete_user_profile(self: Any) -> str:
        profile = _find(self)
        del _user_profiles(self.sagemaker_backend)[(profile["DomainId"], profile["UserProfileName"])]
        return "{}"

    def list_user_profiles(self: Any) -> str:
        domain = self._get_param("DomainIdEquals")
        items = [
            {k: p[k] for k in ("DomainId", "UserProfileName", "Status", "CreationTime", "LastModifiedTime")}
            for p in _user_profiles(self.sagemaker_backend).values()
            if domain in (None, p["DomainId"])
        ]
        return json.dumps({"UserProfiles": items})

    def delete_model_package_group(self: Any) -> str:
        name = self._get_param("ModelPackageGroupName")
        groups = self.sagemaker_backend.model_package_groups
        if name not in groups:
            raise ValidationError(message=f"ModelPackageGroup {name} does not exist.")
        del groups[name]
        return "{}"

    for method in (
        create_user_profile,
        describe_user_profile,
        update_user_profile,
        delete_user_profile,
        list_user_profiles,
        delete_model_package_group,
    ):
        setattr(SageMakerResponse, method.__name__, method)


# --- DMS Serverless ----------------------------------------------------------------------


def _replication_configs(backend: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, "ml_replication_configs"):
        backend.ml_replication_configs = {}
    return backend.ml_replication_configs


def _extend_dms() -> None:
    from moto.dms.exceptions import ResourceAlreadyExistsFault, ResourceNotFoundFault
    from moto.dms.responses import DatabaseMigrationServiceResponse

    def _params(self: Any) -> dict[str, Any]:
        return json.loads(self.body or "{}")

    def _check_endpoint(self: Any, arn: str | None) -> None:
        known = {getattr(e, "endpoint_arn", None) for e in self.dms_backend.endpoints.values()}
        if arn and arn not in known:
            raise ResourceNotFoundFault(f"Endpoint {arn} not found")

    def create_replication_config(self: Any) -> str:
        params = _params(self)
        identifier = params["ReplicationConfigIdentifier"]
        configs = _replication_configs(self.dms_backend)
        if any(c["ReplicationConfigIdentifier"] == identifier for c in configs.values()):
            raise ResourceAlreadyExistsFault(f"ReplicationConfig {identifier} already exists")
        _check_endpoint(self, params.get("SourceEndpointArn"))
        _check_endpoint(self, params.get("TargetEndpointArn"))
        resource_id = params.get("ResourceIdentifier") or uuid.uuid4().hex[:26].upper()
        arn = f"arn:aws:dms:{self.region}:{self.current_account}:replication-config:{resource_id}"
        now = time.time()
        config = {
            "ReplicationConfigIdentifier": identifier,
            "ReplicationConfigArn": arn,
            "SourceEndpointArn": params.get("SourceEndpointArn"),
            "TargetEndpointArn": params.get("TargetEndpointArn"),
            "ReplicationType": params.get("ReplicationType"),
            "ComputeConfig": params.get("ComputeConfig") or {},
            "ReplicationSettings": params.get("ReplicationSettings"),
            "SupplementalSettings": params.get("SupplementalSettings"),
            "TableMappings": params.get("TableMappings"),
            "ReplicationConfigCreateTime": now,
            "ReplicationConfigUpdateTime": now,
        }
        configs[arn] = config
        if params.get("Tags"):
            self.dms_backend.tagger.tag_resource(arn, params["Tags"])
        return json.dumps({"ReplicationConfig": _clean(config)})

    def _get(self: Any, arn: str) -> dict[str, Any]:
        found = _replication_configs(self.dms_backend).get(arn)
        if found is None:
            raise ResourceNotFoundFault(f"ReplicationConfig {arn} not found")
        return found

    def describe_replication_configs(self: Any) -> str:
        filters = {f["Name"]: f["Values"] for f in _params(self).get("Filters", [])}
        result = []
        for config in _replication_configs(self.dms_backend).values():
            if "replication-config-arn" in filters and (
                config["ReplicationConfigArn"] not in filters["replication-config-arn"]
            ):
                continue
            if "replication-config-id" in filters and (
                config["ReplicationConfigIdentifier"] not in filters["replication-config-id"]
            ):
                continue
            result.append(_clean(config))
        if filters and not result:
            raise ResourceNotFoundFault("No replication config matches the filters")
        return json.dumps({"ReplicationConfigs": result})

    def modify_replication_config(self: Any) -> str:
        params = _params(self)
        config = _get(self, params["ReplicationConfigArn"])
        for key in (
            "ReplicationConfigIdentifier",
            "ReplicationType",
            "TableMappings",
            "ReplicationSettings",
            "SupplementalSettings",
            "ComputeConfig",
            "SourceEndpointArn",
            "TargetEndpointArn",
        ):
            if key in params:
                config[key] = params[key]
        config["ReplicationConfigUpdateTime"] = time.time()
        return json.dumps({"ReplicationConfig": _clean(config)})

    def delete_replication_config(self: Any) -> str:
        arn = _params(self)["ReplicationConfigArn"]
        config = _get(self, arn)
        del _replication_configs(self.dms_backend)[arn]
        return json.dumps({"ReplicationConfig": _clean(config)})

    for method in (
        create_replication_config,
        describe_replication_configs,
        modify_replication_config,
        delete_replication_config,
    ):
        setattr(DatabaseMigrationServiceResponse, method.__name__, method)


def _clean(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}
