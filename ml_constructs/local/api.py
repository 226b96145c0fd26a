"""Calls into the emulator's own service APIs, shaped by botocore's service models.

The taught CloudFormation models (:mod:`ml_constructs.local.models`) work like CloudFormation
itself: they turn a resource's properties into the service's API request and call that API on
the emulator, so every resource is created, validated and stored by moto's own service backend
and shows up in that service's API afterwards.

:func:`api_params` does the translation generically from botocore's input shape of the
operation: CloudFormation's PascalCase keys match API members case-insensitively (``Type`` ->
``type`` for the lowerCamel APIs), properties the API does not know are dropped, ``[{Key, Value}]``
tag lists become maps and back, JSON objects become JSON strings where the API wants a string,
and numbers and booleans given as strings are coerced.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"

_lock = threading.Lock()
_endpoint: str | None = None
_clients: dict[tuple[str, str, str | None], Any] = {}


def set_endpoint(url: str | None) -> None:
    """Where the models reach the service APIs: the in-process server's URL, or ``None`` under
    ``moto.mock_aws`` (calls are then intercepted in-process)."""
    global _endpoint
    with _lock:
        _endpoint = url


def endpoint() -> str | None:
    return _endpoint


def client(service: str, region: str = REGION) -> Any:
    """A boto3 client for ``service`` on the emulator (cached; clients are thread-safe)."""
    key = (service, region, _endpoint)
    with _lock:
        found = _clients.get(key)
        if found is None:
            import boto3
            from botocore.config import Config

            session = boto3.session.Session(
                aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=region
            )
            found = session.client(
                service,
                endpoint_url=_endpoint,
                config=Config(
                    retries={"max_attempts": 1, "mode": "standard"},
                    s3={"addressing_style": "path"},
                    connect_timeout=10,
                    read_timeout=120,
                ),
            )
            _clients[key] = found
        return found


def api_params(api: Any, operation: str, properties: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """``properties`` (and ``extra``, which wins) as the request of ``operation`` on client ``api``."""
    shape = api.meta.service_model.operation_model(operation).input_shape
    merged = dict(properties)
    merged.update({k: v for k, v in extra.items() if v is not None})
    return convert(merged, shape)


def convert(value: Any, shape: Any) -> Any:
    """``value`` reshaped for botocore ``shape`` (see the module docstring)."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            return value
        members = {name.lower(): name for name in shape.members}
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = members.get(str(key).lower())
            if name is None or item is None:
                continue
            result[name] = convert(item, shape.members[name])
        return result
    if kind == "list":
        if _is_tag_shape(shape.member) and isinstance(value, (Mapping, list)):
            keys = _tag_member_names(shape.member)
            pairs = value.items() if isinstance(value, Mapping) else _pairs(value)
            if pairs is not None:
                return [{keys[0]: str(k), keys[1]: str(v)} for k, v in pairs]
        if not isinstance(value, list):
            value = [value]
        return [convert(item, shape.member) for item in value]
    if kind == "map":
        if isinstance(value, list):
            mapped = {}
            for item in value:
                if isinstance(item, Mapping) and "Key" in item:
                    mapped[item["Key"]] = item.get("Value")
            value = mapped
        if not isinstance(value, Mapping):
            return value
        return {str(k): convert(v, shape.value) for k, v in value.items()}
    if kind == "string":
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)
    if kind in ("integer", "long"):
        return int(value) if isinstance(value, (str, float)) else value
    if kind in ("double", "float"):
        return float(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else value
    if kind == "boolean":
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)
    if kind == "blob" and isinstance(value, str):
        return value.encode()
    return value


def _is_tag_shape(shape: Any) -> bool:
    return shape.type_name == "structure" and len(_tag_member_names(shape)) == 2


def _tag_member_names(shape: Any) -> tuple[str, ...]:
    """The (key, value) member names of a tag structure: Key/Value, TagKey/TagValue ..."""
    names = {m.lower(): m for m in shape.members}
    if "key" in names and "value" in names:
        return names["key"], names["value"]
    if len(shape.members) != 2:
        return ()
    key = next((m for m in shape.members if m.lower().endswith("key")), None)
    value = next((m for m in shape.members if m.lower().endswith("value")), None)
    return (key, value) if key and value else ()


def _pairs(items: list[Any]) -> list[tuple[Any, Any]] | None:
    """``[{Key, Value}]`` as (key, value) pairs; None when the items are not of that form."""
    if all(isinstance(i, Mapping) and "Key" in i for i in items):
        return [(i["Key"], i.get("Value", "")) for i in items]
    return None


def tag_list(tags: Any) -> list[dict[str, str]]:
    """CloudFormation tags (a ``[{Key, Value}]`` list or a map) as a ``[{Key, Value}]`` list."""
    if isinstance(tags, Mapping):
        return [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]
    return [{"Key": str(t["Key"]), "Value": str(t.get("Value", ""))} for t in tags or []]


def tag_map(tags: Any) -> dict[str, str]:
    """CloudFormation tags (a ``[{Key, Value}]`` list or a map) as a map."""
    return {t["Key"]: t["Value"] for t in tag_list(tags)}
