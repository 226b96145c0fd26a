"""Reference-app settings read from ``cdk.json`` context, validated before any stack is built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy
from constructs import Node


@dataclass(frozen=True)
class Settings:
    """Knobs of the reference app (cdk.json ``context``; override with ``-c key=value``).

    destroy_data_on_delete: delete buckets, keys and logs with the stack (for throwaway and
        local deployments); default false: data is retained.
    """

    stack_name: str = "MlConstructs"
    destroy_data_on_delete: bool = False

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.DESTROY if self.destroy_data_on_delete else RemovalPolicy.RETAIN

    @classmethod
    def from_context(cls, node: Node) -> Settings:
        def get(key: str, default: Any) -> Any:
            value = node.try_get_context(key)
            return default if value is None else value

        return cls(
            stack_name=str(get("ml:stack_name", cls.stack_name)),
            destroy_data_on_delete=_boolean(
                "ml:destroy_data_on_delete", get("ml:destroy_data_on_delete", False)
            ),
        )


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"cdk.json context: invalid {key}={value!r}; allowed: true or false")
