"""Reference-app settings read from ``cdk.json`` context, validated before any stack is built."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from aws_cdk import RemovalPolicy
from constructs import Node

PREFIX = "ml:"


@dataclass(frozen=True)
class Settings:
    """Knobs of the reference app: ``cdk.json`` ``context`` keys ``ml:<name>`` (override with
    ``cdk deploy -c ml:<name>=<value>``). Construct arguments are validated again by the
    constructs themselves (instance types against SageMaker's lists, ranges, ...).

    stack_name: CloudFormation stack name.
    destroy_data_on_delete: delete buckets, keys and logs with the stack (throwaway and local
        deployments); default false: data is retained.
    training_instance_type: GPU instance type for training and tuning trials.
    spot_training: managed spot training with checkpoints (up to ~90% cheaper).
    tuning_max_jobs / tuning_max_parallel_jobs: Bayesian tuning budget.
    endpoint_kind: ``instance`` (autoscaled real-time endpoint) or ``serverless``.
    endpoint_instance_type: instance type of the real-time endpoint.
    notebook_instance_type / notebook_idle_minutes: the exploration notebook and its auto-stop.
    orders_secret_name: Secrets Manager secret (host, port, username, password) of the orders
        PostgreSQL database that DMS replicates.
    create_dms_service_roles: create DMS's account-wide service roles (first DMS use in the account).
    etl_engine: which feature job the workflow runs: ``glue`` or ``emr`` (EMR Serverless).
    workflow_schedule: EventBridge schedule expression of the ML workflow, or "" for none.
    local: deploying into the embedded emulator (no bootstrap-version rule).
    """

    stack_name: str = "MlConstructs"
    destroy_data_on_delete: bool = False
    training_instance_type: str = "ml.g5.2xlarge"
    spot_training: bool = True
    tuning_max_jobs: int = 20
    tuning_max_parallel_jobs: int = 2
    endpoint_kind: str = "instance"
    endpoint_instance_type: str = "ml.m5.large"
    notebook_instance_type: str = "ml.t3.medium"
    notebook_idle_minutes: int = 60
    orders_secret_name: str = "ml-constructs/orders-database"
    create_dms_service_roles: bool = False
    etl_engine: str = "glue"
    workflow_schedule: str = "rate(1 day)"
    local: bool = False

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.DESTROY if self.destroy_data_on_delete else RemovalPolicy.RETAIN

    @classmethod
    def from_context(cls, node: Node) -> Settings:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = node.try_get_context(PREFIX + f.name)
            if raw is None:
                continue
            values[f.name] = _coerce(f.name, raw, type(getattr(cls, f.name)))
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if self.endpoint_kind not in ("instance", "serverless"):
            raise _invalid("endpoint_kind", self.endpoint_kind, "instance or serverless")
        if self.etl_engine not in ("glue", "emr"):
            raise _invalid("etl_engine", self.etl_engine, "glue or emr")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", self.stack_name):
            raise _invalid("stack_name", self.stack_name, "a CloudFormation stack name")
        if self.workflow_schedule and not re.fullmatch(r"(rate|cron)\(.+\)", self.workflow_schedule):
            raise _invalid("workflow_schedule", self.workflow_schedule, "rate(...), cron(...) or empty")
        for name, low, high in (("tuning_max_jobs", 1, 500), ("tuning_max_parallel_jobs", 1, 100)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise _invalid(name, value, f"{low}..{high}")


def _invalid(name: str, value: Any, allowed: str) -> ValueError:
    return ValueError(f"cdk.json context: invalid {PREFIX}{name}={value!r}; allowed: {allowed}")


def _coerce(name: str, value: Any, kind: type) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _invalid(name, value, "true or false")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
        raise _invalid(name, value, "a whole number")
    if not isinstance(value, str):
        raise _invalid(name, value, "a string")
    return value
