"""Mistakes that used to synthesize and fail later in AWS: each now fails at synth naming the
construct path, the argument, the value and what is allowed (or warns where AWS would accept
it). One file for the whole list so each case reads next to the others."""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_secretsmanager as secretsmanager

from ml_constructs import (
    BatchTransform,
    ContinuousRange,
    DatabaseEngine,
    DatabaseIngest,
    DataLake,
    Field,
    HyperparameterTuning,
    IntegerRange,
    ModelEndpoint,
    Objective,
    ObjectTrigger,
    RecordSchema,
    SageMakerImage,
    ServerlessConfig,
    TableSelection,
    TrainingJob,
)
from ml_constructs.ml.batch_transform import is_jsonpath_filter
from ml_constructs.store.object_trigger import SUPPORTED_SUFFIXES

XGBOOST = SageMakerImage.built_in("xgboost", "1.7-1")
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders-AbCdEf"


def error_of(build) -> str:
    stack = Stack(App(), "Bad")
    with pytest.raises(ValueError) as caught:
        build(stack)
    return str(caught.value)


def training(stack: Stack, **overrides) -> TrainingJob:
    args = dict(
        lake=DataLake(stack, "Lake"),
        image=XGBOOST,
        instance_type="ml.g5.2xlarge",
        gpu=True,
        hyperparameters={"objective": "binary:logistic", "num_round": 100},
    )
    args.update(overrides)
    return TrainingJob(stack, "Train", **args)


def tuning(stack: Stack, **overrides) -> HyperparameterTuning:
    args = dict(
        training=training(stack),
        objective=Objective.maximize("validation:auc"),
        ranges=[ContinuousRange("eta", 0.01, 0.3), IntegerRange("max_depth", 3, 10)],
    )
    args.update(overrides)
    return HyperparameterTuning(stack, "Tune", **args)


# -- tuning: metrics and hyperparameters the built-in algorithm does not have ----------------------
@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"objective": Objective.maximize("validaton:auc")},
            "Bad/Tune: invalid objective.metric_name='validaton:auc'; allowed: a metric the built-in "
            "xgboost computes (did you mean 'validation:auc'?): ",
        ),
        (
            {"objective": Objective.minimize("validation:objective_loss")},
            "(validation:objective_loss is a metric of linear-learner, not xgboost)",
        ),
        (
            {"ranges": [IntegerRange("max_dept", 3, 10)]},
            "Bad/Tune: invalid ranges[max_dept].name='max_dept'; allowed: a hyperparameter of the "
            "built-in xgboost (did you mean 'max_depth'?); tunable: alpha,",
        ),
    ],
)
def test_tuning_refuses_what_the_algorithm_lacks(overrides, expected):
    assert expected in error_of(lambda stack: tuning(stack, **overrides))


def test_tuning_accepts_the_algorithms_metrics_and_warns_on_an_undocumented_tunable():
    stack = Stack(App(), "Ok")
    tune = tuning(
        stack,
        objective=Objective.minimize("validation:ndcg@5"),
        ranges=[IntegerRange("max_depth", 3, 10), IntegerRange("max_leaves", 0, 64)],
    )
    warnings = [m.data for m in tune.node.metadata if m.type == "aws:cdk:warning"]
    assert any("'max_leaves' is a hyperparameter of the built-in xgboost" in str(w) for w in warnings)


def test_tuning_strategy_choices_are_listed_once():
    message = error_of(lambda stack: tuning(stack, strategy="Evolutionary"))
    assert message.endswith("allowed: one of Bayesian, Random, Hyperband, Grid"), message


def test_tuning_max_runtime_message_says_30_days():
    message = error_of(lambda stack: tuning(stack, max_runtime=Duration.days(31)))
    assert "allowed: 120..2592000 seconds (30 days)" in message, message


# -- training: GPU settings on a CPU instance ----------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value"), [("tree_method", "gpu_hist"), ("device", "cuda"), ("device", "cuda:0")]
)
def test_gpu_hyperparameters_on_a_cpu_instance_are_refused(name, value):
    message = error_of(
        lambda stack: training(
            stack, instance_type="ml.m5.xlarge", gpu=False, hyperparameters={"num_round": 10, name: value}
        )
    )
    assert message.startswith(f"Bad/Train: invalid hyperparameters[{name}]='{value}'; allowed: a CPU setting")


def test_gpu_hyperparameters_on_a_gpu_instance_are_fine():
    training(Stack(App(), "Ok"), hyperparameters={"tree_method": "gpu_hist", "device": "cuda"})


# -- batch transform: JSONPath filters ----------------------------------------------------------------
@pytest.mark.parametrize("argument", ["input_filter", "output_filter"])
@pytest.mark.parametrize("value", ["$[1:", "$..x", "$[?(@.a)]", "features", "$.a b"])
def test_batch_filters_must_be_jsonpaths_sagemaker_supports(argument, value):
    message = error_of(
        lambda stack: BatchTransform(stack, "Score", lake=DataLake(stack, "Lake"), **{argument: value})
    )
    assert message.startswith(f"Bad/Score: invalid {argument}={value!r}; allowed: a JSONPath"), message


@pytest.mark.parametrize(
    "value", ["$", "$[1:]", "$[0,-1]", "$[:2]", "$.features", "$['id','score']", "$.a[*]"]
)
def test_supported_jsonpaths_pass(value):
    assert is_jsonpath_filter(value)


def test_invocation_timeout_message_says_one_hour():
    message = error_of(
        lambda stack: BatchTransform(
            stack, "Score", lake=DataLake(stack, "Lake"), invocation_timeout=Duration.hours(2)
        )
    )
    assert "allowed: 1..3600 seconds (1 hour)" in message and "28 days" not in message, message


# -- object trigger: key endings the processor cannot read ---------------------------------------------
@pytest.mark.parametrize("suffixes", [[".parquet"], ["csv"], [".csv", ".xlsx"]])
def test_trigger_refuses_suffixes_the_processor_would_quarantine(suffixes):
    schema = RecordSchema.from_fields(Field("id"))
    message = error_of(
        lambda stack: ObjectTrigger(
            stack, "Files", lake=DataLake(stack, "Lake"), schema=schema, suffixes=suffixes
        )
    )
    bad = [s for s in suffixes if not s.endswith(SUPPORTED_SUFFIXES)][0]
    assert message.startswith(f"Bad/Files: invalid suffixes={bad!r}; allowed: key endings the built-in"), (
        message
    )


def test_trigger_supported_suffixes_match_the_runtime():
    from ml_constructs.runtime.object_preprocess import CSV_SUFFIXES, JSON_SUFFIXES

    assert set(SUPPORTED_SUFFIXES) == set(CSV_SUFFIXES + JSON_SUFFIXES)


# -- serverless endpoint with instances ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"instance_type": "ml.g5.xlarge"},
            "invalid instance_type='ml.g5.xlarge'; allowed: None with serverless",
        ),
        ({"instance_count": 2}, "invalid instance_count=2; allowed: None with serverless"),
    ],
)
def test_serverless_endpoint_refuses_gpus_and_counts(overrides, expected):
    message = error_of(
        lambda stack: ModelEndpoint(
            stack,
            "Serve",
            lake=DataLake(stack, "Lake"),
            image=XGBOOST,
            serverless=ServerlessConfig(),
            **overrides,
        )
    )
    assert message.startswith(f"Bad/Serve: {expected}"), message


def test_serverless_endpoint_warns_on_an_ignored_cpu_type():
    stack = Stack(App(), "Ok")
    endpoint = ModelEndpoint(
        stack,
        "Serve",
        lake=DataLake(stack, "Lake"),
        image=XGBOOST,
        serverless=ServerlessConfig(),
        instance_type="ml.m5.large",
    )
    assert any("is ignored" in str(m.data) for m in endpoint.node.metadata if m.type == "aws:cdk:warning")


def test_autoscaling_error_shows_durations_readably():
    from ml_constructs import Autoscaling

    message = error_of(
        lambda stack: ModelEndpoint(
            stack,
            "Serve",
            lake=DataLake(stack, "Lake"),
            image=XGBOOST,
            serverless=ServerlessConfig(),
            autoscaling=Autoscaling(),
        )
    )
    assert "object at 0x" not in message and "scale_out_cooldown=Duration.seconds(60)" in message, message


# -- record schemas -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            Field("channel", allowed="abc"),
            "field 'channel': allowed='abc'; allowed: a tuple or list of values",
        ),
        (Field("channel", required=None), "field 'channel': required=None; allowed: True or False"),
        (
            Field("amount", "float"),
            "field 'amount': type='float' is not a FieldType; allowed: FieldType.STRING",
        ),
    ],
)
def test_schema_field_mistakes_name_the_construct_and_the_field(field, expected):
    schema = RecordSchema.from_fields(Field("id"), field)
    message = error_of(
        lambda stack: ObjectTrigger(stack, "Files", lake=DataLake(stack, "Lake"), schema=schema)
    )
    assert message.startswith("Bad/Files: invalid schema=") and expected in message, message


def test_a_type_string_gets_a_hint():
    assert "did you mean FieldType.NUMBER?" in RecordSchema.from_fields(Field("amount", "float")).problem()
    assert RecordSchema.from_fields(Field("amount", "number")).problem() is None  # a FieldType value


# -- DMS certificate ---------------------------------------------------------------------------------------
def test_certificate_arn_must_be_a_dms_certificate_arn():
    def build(stack):
        DatabaseIngest(
            stack,
            "Db",
            lake=DataLake(stack, "Lake"),
            engine=DatabaseEngine.MYSQL,
            credentials=secretsmanager.Secret.from_secret_complete_arn(stack, "Secret", SECRET),
            tables=TableSelection.include("sales"),
            certificate_arn="not-an-arn",
        )

    message = error_of(build)
    assert message.startswith("Bad/Db: invalid certificate_arn='not-an-arn'; allowed: a DMS certificate ARN")


# -- construct ids and durations -----------------------------------------------------------------------------
def test_an_empty_construct_id_names_the_parent_path():
    message = error_of(lambda stack: DataLake(stack, ""))
    assert message.startswith("Bad/<DataLake>: invalid id=''; allowed: a non-empty construct id"), message


def test_a_negative_duration_fails_in_cdk_before_any_construct():
    """CDK's Duration factories refuse negative amounts themselves (jsii raises at the call), so
    no construct ever receives one; this pins that behaviour."""
    with pytest.raises(RuntimeError, match="Duration amounts cannot be negative"):
        Duration.seconds(-1)
