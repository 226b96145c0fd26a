"""What moto 5.2's service APIs lack for the reference app, added to moto's own services.

- SageMaker: ``CreateUserProfile`` / ``DescribeUserProfile`` / ``ListUserProfiles`` /
  ``DeleteUserProfile`` (Studio users), ``DeleteModelPackageGroup``.
- EventBridge: ``TestEventPattern`` (moto had only a stub), with moto's own pattern matcher.
- DMS: ``CreateReplicationConfig`` / ``DescribeReplicationConfigs`` / ``ModifyReplicationConfig``
  / ``DeleteReplicationConfig`` (DMS Serverless).
- S3 bucket policies: moto evaluates them on object requests but ignores the ``Bool``
  operator, so a secure bucket's "deny unless ``aws:SecureTransport``" statement denied every
  request. Statements now apply only when their conditions hold, evaluated against the request
  context of the emulator, which treats its loopback connections as secure transport. (The
  emulator is no security boundary: an unknown condition key makes a statement not apply.)
- Stack deletes: moto tried the resources in no particular order (retrying what failed), so a
  resource could go before the ones that depend on it (a route table before the VPC endpoint
  routing through it). Deletes now run dependents first, as CloudFormation does (``Ref``,
  ``Fn::GetAtt``, ``Fn::Sub`` and ``DependsOn`` are the dependencies), still retrying.
- Stack updates: moto's parser adds ``"Properties": {}`` to the deployed template's resources
  that have none, so the next update saw them all as modified (and replaced them, new names and
  all). The new template gets the same treatment before the two are compared.

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
    _extend_events()
    _fix_bucket_policy_conditions()
    _fix_update_diff()
    _fix_delete_order()
    _extended = True


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


# --- EventBridge ---------------------------------------------------------------------------


def _extend_events() -> None:
    from moto.events.models import EventPattern
    from moto.events.responses import EventsHandler

    def test_event_pattern(self: Any) -> str:
        raw = self._get_param("EventPattern")
        event = json.loads(self._get_param("Event"))
        return json.dumps({"Result": EventPattern(raw, json.loads(raw)).matches_event(event)})

    setattr(EventsHandler, "test_event_pattern", test_event_pattern)  # noqa: B010


# --- S3 bucket policy conditions ---------------------------------------------------------

REQUEST_CONTEXT = {"aws:securetransport": "true"}
"""Condition keys of every request to the emulator (lower case): loopback counts as TLS."""


def conditions_hold(conditions: dict[str, Any] | None) -> bool:
    """Whether an IAM ``Condition`` block holds for :data:`REQUEST_CONTEXT`."""
    from fnmatch import fnmatchcase

    for operator, checks in (conditions or {}).items():
        if_exists = operator.endswith("IfExists")
        name = operator.removesuffix("IfExists")
        for key, expected in checks.items():
            wanted = [str(e) for e in (expected if isinstance(expected, list) else [expected])]
            actual = REQUEST_CONTEXT.get(key.lower())
            if name == "Null":
                if (actual is None) != (wanted[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                if if_exists:
                    continue
                return False
            if name == "Bool":
                holds = actual.lower() in [w.lower() for w in wanted]
            elif name == "StringEquals":
                holds = actual in wanted
            elif name == "StringNotEquals":
                holds = actual not in wanted
            elif name == "StringEqualsIgnoreCase":
                holds = actual.lower() in [w.lower() for w in wanted]
            elif name == "StringLike":
                holds = any(fnmatchcase(actual, w) for w in wanted)
            elif name == "StringNotLike":
                holds = not any(fnmatchcase(actual, w) for w in wanted)
            else:
                return False
            if not holds:
                return False
    return True


def _fix_bucket_policy_conditions() -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        permitted = False
        for statement in statements if isinstance(statements, list) else [statements]:
            if not conditions_hold(statement.get("Condition")):
                continue  # the statement does not apply to this request
            unconditional = {k: v for k, v in statement.items() if k != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    setattr(FakeBucket, "get_permission", get_permission)  # noqa: B010


# --- stack update diff -------------------------------------------------------------------


def _fix_update_diff() -> None:
    from moto.cloudformation.parsing import ResourceMap

    original = ResourceMap.build_resource_diff

    def build_resource_diff(self: Any, other_template: dict[str, Any], parameters: Any = None) -> Any:
        for resource in (other_template.get("Resources") or {}).values():
            if isinstance(resource, dict):
                resource.setdefault("Properties", {})
        return original(self, other_template, parameters)

    setattr(ResourceMap, "build_resource_diff", build_resource_diff)  # noqa: B010


# --- stack delete order --------------------------------------------------------------------


def dependencies(resource: Any, names: set[str]) -> set[str]:
    """The logical ids in ``names`` that ``resource`` (a template resource) depends on."""
    import re

    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Ref" and isinstance(value, str):
                    found.add(value)
                elif key == "Fn::GetAtt":
                    target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                    found.add(target)
                elif key == "Fn::Sub":
                    text = value[0] if isinstance(value, list) else value
                    found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", str(text)))
                    walk(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(resource.get("Properties"))
    depends_on = resource.get("DependsOn") or []
    found.update([depends_on] if isinstance(depends_on, str) else depends_on)
    return found & names


def deletion_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids, each one before everything it depends on (cycles broken arbitrarily)."""
    names = set(resources)
    depends = {name: dependencies(resource, names) - {name} for name, resource in resources.items()}
    creation: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name):
            return  # done, or on the current path (a cycle)
        state[name] = 1
        for dependency in sorted(depends[name]):
            visit(dependency)
        state[name] = 2
        creation.append(name)

    for name in sorted(names):
        visit(name)
    return creation[::-1]


def _fix_delete_order() -> None:
    from moto.cloudformation.parsing import ResourceMap

    def delete(self: Any) -> None:
        remaining = [
            name
            for name in deletion_order(self._resource_json_map)
            if self._resource_json_map[name].get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate")
        ]
        previous = len(remaining) + 1
        last_error: Exception | None = None
        while remaining and len(remaining) < previous:
            previous = len(remaining)
            for name in list(remaining):
                parsed = self._parsed_resources.get(name)
                try:
                    if parsed is not None and not isinstance(parsed, str):
                        self._delete_resource(parsed, self._resource_json_map[name])
                        self._parsed_resources.pop(name, None)
                except Exception as error:  # a dependency violation: try again in the next pass
                    last_error = error
                else:
                    remaining.remove(name)
        if remaining and last_error is not None:
            raise last_error

    setattr(ResourceMap, "delete", delete)  # noqa: B010
