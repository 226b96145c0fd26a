"""Reference-app settings read from ``cdk.json`` context, validated before any stack is built."""

from __future__ import annotations

import difflib
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
    orders_secret_key_arn: the customer-managed KMS key the orders secret is encrypted with, if
        not the AWS managed one ("" for aws/secretsmanager): DMS is granted kms:Decrypt on it.
    create_dms_service_roles: create DMS's account-wide service roles (first DMS use in the account).
    etl_engine: which feature job the workflow runs: ``glue`` or ``emr`` (EMR Serverless).
    workflow_schedule: EventBridge schedule expression of the ML workflow, or "" for none.
    model_approval: what happens to a model that passes the quality gate: ``automatic``
        (registered Approved and deployed) or ``manual`` (registered pending approval; approving
        it in the SageMaker Model Registry deploys it).
    quality_gate_margin: how much better (validation AUC) a new model must be than the
        production one to be deployed (default 0: any improvement).
    alarm_email: e-mail address subscribed to the operations topic that every alarm, DMS
        failure event and workflow notice goes to ("" for none: subscribe later).
    alarm_topic_arn: an existing SNS topic to use as the operations topic instead of a new one
        ("" for a new one); its policies must let CloudWatch and EventBridge publish.
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
    orders_secret_key_arn: str = ""
    create_dms_service_roles: bool = False
    etl_engine: str = "glue"
    workflow_schedule: str = "rate(1 day)"
    model_approval: str = "automatic"
    quality_gate_margin: float = 0.0
    alarm_email: str = ""
    alarm_topic_arn: str = ""
    local: bool = False

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.DESTROY if self.destroy_data_on_delete else RemovalPolicy.RETAIN

    @classmethod
    def from_context(cls, node: Node) -> Settings:
        values: dict[str, Any] = {}
        known = [f.name for f in fields(cls)]
        for key in sorted(node.get_all_context()):
            name = key[len(PREFIX) :] if key.startswith(PREFIX) else None
            if name is not None and name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {PREFIX}{close[0]}? " if close else ""
                raise ValueError(
                    f"cdk.json context: unknown key {key!r}; {hint}known keys: "
                    + ", ".join(PREFIX + k for k in known)
                )
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
        if self.model_approval not in ("automatic", "manual"):
            raise _invalid("model_approval", self.model_approval, "automatic or manual")
        if not 0 <= self.quality_gate_margin < 1:
            raise _invalid("quality_gate_margin", self.quality_gate_margin, "a number in [0, 1) (AUC units)")
        if self.etl_engine not in ("glue", "emr"):
            raise _invalid("etl_engine", self.etl_engine, "glue or emr")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", self.stack_name):
            raise _invalid("stack_name", self.stack_name, "a CloudFormation stack name")
        if self.workflow_schedule and not re.fullmatch(r"(rate|cron)\(.+\)", self.workflow_schedule):
            raise _invalid("workflow_schedule", self.workflow_schedule, "rate(...), cron(...) or empty")
        if not self.orders_secret_name.strip():
            raise _invalid("orders_secret_name", self.orders_secret_name, "a Secrets Manager secret name")
        if self.orders_secret_key_arn and not re.fullmatch(
            r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+", self.orders_secret_key_arn
        ):
            raise _invalid("orders_secret_key_arn", self.orders_secret_key_arn, "a KMS key ARN, or empty")
        if self.alarm_email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", self.alarm_email):
            raise _invalid(
                "alarm_email", self.alarm_email, "an e-mail address like ops@example.com, or empty"
            )
        if self.alarm_topic_arn and not re.fullmatch(
            r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?", self.alarm_topic_arn
        ):
            raise _invalid("alarm_topic_arn", self.alarm_topic_arn, "an SNS topic ARN, or empty")
        if self.alarm_topic_arn.endswith(".fifo"):
            raise _invalid(
                "alarm_topic_arn", self.alarm_topic_arn, "a standard topic (alarms cannot use FIFO)"
            )
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
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
            return float(value)
        raise _invalid(name, value, "a number")
    if not isinstance(value, str):
        raise _invalid(name, value, "a string")
    return value
