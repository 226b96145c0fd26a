"""The shared preamble of the Python snippets in README.md and docs/*.md (tests/test_docs.py runs them).

A snippet is the body of a CDK ``Stack``'s ``__init__``: ``self`` is the stack. It brings its own
imports. The blocks of one page run in order, in one stack, as a reader reads them. A name a
snippet uses without defining it is one of the :data:`GIVEN` below, built (once per page, in a
construct ``Given`` out of the snippet's way) the first time the snippet reads it: your own
stack has these already, and each definition shows what the name stands for.

A block that defines its own classes or functions (a whole app, a test) runs on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template
from constructs import Construct

from ml_constructs import (
    BatchTransform,
    ContinuousRange,
    DatabaseEngine,
    DatabaseIngest,
    DataLake,
    Field,
    FieldType,
    GlueEtlJob,
    HyperparameterTuning,
    IntegerRange,
    ModelEndpoint,
    ModelPackageGroup,
    Objective,
    RecordSchema,
    SageMakerImage,
    StreamIngest,
    TableSelection,
    TrainingJob,
)

GIVEN: dict[str, Callable[[Context], Any]] = {}


def given(build: Callable[[Context], Any]) -> Callable[[Context], Any]:
    GIVEN[build.__name__] = build
    return build


class Context(dict):
    """The names a page's snippets run with: ``self`` (the stack), then :data:`GIVEN` on demand."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(self=stack)
        self.scope = Construct(stack, "Given")

    def __missing__(self, name: str) -> Any:
        if name not in GIVEN:
            raise KeyError(name)  # not given here: Python looks in builtins next
        value = self[name] = GIVEN[name](self)
        return value


def new_context() -> Context:
    return Context(Stack(App(), "Docs"))


def _role(c: Context, name: str) -> iam.Role:
    return iam.Role(c.scope, name, assumed_by=iam.AccountRootPrincipal())


# -- data and network ---------------------------------------------------------------------------
@given
def lake(c: Context) -> DataLake:
    return DataLake(c.scope, "Lake")


@given
def vpc(c: Context) -> ec2.Vpc:
    return ec2.Vpc(c.scope, "Vpc", max_azs=2, nat_gateways=1)


@given
def database(c: Context) -> rds.DatabaseInstance:
    """The source database DMS reads."""
    return rds.DatabaseInstance(
        c.scope,
        "Database",
        engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16),
        vpc=c["vpc"],
        storage_encrypted=True,
    )


@given
def secret(c: Context) -> secretsmanager.ISecret:
    return secretsmanager.Secret.from_secret_name_v2(c.scope, "Secret", "shop/dms")


@given
def SALES_SCHEMA(c: Context) -> RecordSchema:  # noqa: N802 - a constant in the reader's stack
    return RecordSchema.from_fields(
        Field("order_id", FieldType.STRING, max_length=64),
        Field("amount", FieldType.NUMBER, minimum=0),
        Field("ordered_at", FieldType.TIMESTAMP),
    )


@given
def CLICK_SCHEMA(c: Context) -> RecordSchema:  # noqa: N802
    return RecordSchema.from_fields(
        Field("event_id", FieldType.STRING, max_length=64),
        Field("event_type", FieldType.STRING, allowed=("view", "click", "purchase")),
        Field("occurred_at", FieldType.TIMESTAMP),
    )


@given
def clicks(c: Context) -> StreamIngest:
    return StreamIngest(c.scope, "Clicks", lake=c["lake"], schema=c["CLICK_SCHEMA"])


@given
def orders(c: Context) -> DatabaseIngest:
    return DatabaseIngest(
        c.scope,
        "Orders",
        lake=c["lake"],
        engine=DatabaseEngine.POSTGRES,
        credentials=c["secret"],
        database_name="shop",
        tables=TableSelection.include("sales"),
        vpc=c["vpc"],
    )


@given
def features(c: Context) -> GlueEtlJob:
    return GlueEtlJob(c.scope, "Features", lake=c["lake"])


# -- roles and state machines of your own ------------------------------------------------------
for _name in ("my_role", "analyst_role", "ops_role", "producer_role", "inference_role", "edge_role"):
    GIVEN[_name] = lambda c, _n=_name: _role(c, _n)


def _machine(c: Context, name: str) -> sfn.StateMachine:
    start = sfn.Pass(c.scope, f"{name}Start")
    return sfn.StateMachine(c.scope, name, definition_body=sfn.DefinitionBody.from_chainable(start))


GIVEN["machine"] = lambda c: _machine(c, "Machine")
GIVEN["my_state_machine"] = lambda c: _machine(c, "MyStateMachine")


# -- machine learning --------------------------------------------------------------------------
@given
def XGBOOST(c: Context) -> SageMakerImage:  # noqa: N802
    return SageMakerImage.built_in("xgboost", "1.7-1")


GIVEN["image"] = XGBOOST


@given
def train(c: Context) -> TrainingJob:
    return TrainingJob(
        c.scope,
        "Train",
        lake=c["lake"],
        image=c["XGBOOST"],
        instance_type="ml.m5.xlarge",
        hyperparameters={"objective": "binary:logistic", "num_round": 100},
    )


@given
def tune(c: Context) -> HyperparameterTuning:
    return HyperparameterTuning(
        c.scope,
        "Tune",
        training=c["train"],
        objective=Objective.maximize("validation:auc"),
        ranges=[ContinuousRange("eta", 0.01, 0.3), IntegerRange("max_depth", 3, 10)],
    )


@given
def tune_step(c: Context) -> sfn.CustomState:
    return c["tune"].task(c.scope, "TuneStep")


@given
def best_step(c: Context) -> sfn.CustomState:
    return c["tune"].best_training_job_task(c.scope, "BestStep")


@given
def models(c: Context) -> ModelPackageGroup:
    return ModelPackageGroup(c.scope, "Models")


@given
def scoring(c: Context) -> BatchTransform:
    return BatchTransform(c.scope, "Scoring", lake=c["lake"])


@given
def serve(c: Context) -> ModelEndpoint:
    return ModelEndpoint(c.scope, "Serve", lake=c["lake"], image=c["XGBOOST"])


# -- tests of your own stack -------------------------------------------------------------------
GIVEN["stack"] = lambda c: c["self"]


@given
def template(c: Context) -> dict[str, Any]:
    """The stack's synthesized template (what a test of your stack reads)."""
    return Template.from_stack(c["self"]).to_json()
