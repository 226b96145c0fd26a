"""HyperparameterTuning: request, tuning + best-model steps, registration, validation, compliance."""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Stack

from ml_constructs.ml.hyperparameter_tuning import (
    CategoricalRange,
    ContinuousRange,
    EarlyStopping,
    HyperbandConfig,
    HyperparameterTuning,
    IntegerRange,
    Objective,
    ScalingType,
    TuningStrategy,
    WarmStart,
)
from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.model_registry import ModelPackageGroup
from ml_constructs.ml.training_job import MetricDefinition, SpotTraining, TrainingJob
from ml_constructs.store import DataLake
from tests.harness import find_state, scenario

RANGES = [
    ContinuousRange("eta", 0.01, 0.3, ScalingType.LOGARITHMIC),
    IntegerRange("max_depth", 3, 10),
    CategoricalRange("grow_policy", ["depthwise", "lossguide"]),
]


def training(stack: Stack, **overrides) -> TrainingJob:
    args = dict(
        lake=DataLake(stack, "Lake"),
        image=SageMakerImage.built_in("xgboost", "1.7-1"),
        instance_type="ml.g5.2xlarge",
        gpu=True,
        spot=SpotTraining(max_wait=Duration.hours(4)),
        hyperparameters={"objective": "binary:logistic", "num_round": 100, "max_depth": 5},
    )
    args.update(overrides)
    return TrainingJob(stack, "Train", **args)


def tuning(stack: Stack, *, train: TrainingJob | None = None, **overrides) -> HyperparameterTuning:
    args = dict(
        training=train or training(stack),
        objective=Objective.maximize("validation:auc"),
        ranges=RANGES,
    )
    args.update(overrides)
    return HyperparameterTuning(stack, "Tune", **args)


@pytest.fixture(scope="module")
def default():
    def build(stack):
        registry = ModelPackageGroup(stack, "Registry")
        return tuning(
            stack, model_registry=registry, warm_start=WarmStart(["parent-tuning-1"]), random_seed=7
        )

    return scenario(build)


def test_request_is_valid(default):
    tune = default.built
    assert default.request_problems("CreateHyperParameterTuningJob", tune.request()) == []
    request = default.resolve(tune.request(job_name="manual-1"))
    config = request["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == "Bayesian"
    assert config["HyperParameterTuningJobObjective"] == {"Type": "Maximize", "MetricName": "validation:auc"}
    assert config["ResourceLimits"] == {"MaxParallelTrainingJobs": 2, "MaxNumberOfTrainingJobs": 20}
    assert config["TrainingJobEarlyStoppingType"] == "Auto"
    assert config["ParameterRanges"]["ContinuousParameterRanges"] == [
        {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.3", "ScalingType": "Logarithmic"}
    ]
    assert config["ParameterRanges"]["CategoricalParameterRanges"][0]["Values"] == ["depthwise", "lossguide"]
    definition = request["TrainingJobDefinition"]
    # the tuned max_depth is not static any more
    assert definition["StaticHyperParameters"] == {"objective": "binary:logistic", "num_round": "100"}
    assert definition["EnableManagedSpotTraining"] is True
    assert request["WarmStartConfig"]["ParentHyperParameterTuningJobs"] == [
        {"HyperParameterTuningJobName": "parent-tuning-1"}
    ]


def test_state_machine_tunes_reads_best_and_registers(default):
    problems = default.state_machine_problems()
    assert problems and all(v == [] for v in problems.values()), problems
    assert any(key.endswith(":CreateModelPackage") for key in problems)
    definition = default.definition("TuneStateMachine")
    tune = find_state(definition, "Tune")
    assert tune["Resource"].endswith(":states:::sagemaker:createHyperParameterTuningJob.sync")
    name = tune["Parameters"]["HyperParameterTuningJobName.$"]
    prefix = name.split("'")[1]
    assert len(prefix) + 8 <= 32  # '<prefix>-' + 8 hex characters
    assert tune["Next"] == "DescribeBest"
    best = find_state(definition, "DescribeBest")
    assert best["Resource"].endswith(":states:::aws-sdk:sagemaker:describeTrainingJob")
    assert best["Parameters"] == {"TrainingJobName.$": "$.tuning.BestTrainingJob.TrainingJobName"}
    assert best["ResultSelector"]["ModelArtifacts.$"] == "$.ModelArtifacts.S3ModelArtifacts"
    register = find_state(definition, "Register")
    assert register["Parameters"]["InferenceSpecification"]["Containers"] == [
        {"ModelDataUrl.$": "$.best.ModelArtifacts", "Image.$": "$.best.TrainingImage"}
    ]
    assert register["Parameters"]["ModelApprovalStatus"] == "PendingManualApproval"


def test_grants(default):
    text = str(default.json["Resources"])
    for action in (
        "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:CreateModelPackage",
        "StepFunctionsGetEventsForSageMakerTuningJobsRule",
    ):
        assert action in text
    default.template.has_resource_properties(
        "AWS::SageMaker::ModelPackageGroup", {"ModelPackageGroupName": "test-registry-b774a839"}
    )


def test_compliance(default):
    assert default.problems == []


def test_strategies():
    stack = Stack(App(), "S")
    train = training(stack)
    grid = HyperparameterTuning(
        stack,
        "Grid",
        training=train,
        objective=Objective.minimize("validation:logloss"),
        ranges=[CategoricalRange("max_depth", [3, 5, 7])],
        strategy="Grid",
        max_jobs=None,
    )
    config = stack.resolve(grid.request())["HyperParameterTuningJobConfig"]
    assert "MaxNumberOfTrainingJobs" not in config["ResourceLimits"]
    hyperband = HyperparameterTuning(
        stack,
        "Hyperband",
        training=train,
        objective=Objective.maximize("validation:auc"),
        ranges=RANGES,
        strategy=TuningStrategy.HYPERBAND,
        hyperband=HyperbandConfig(1, 50),
        max_runtime=Duration.hours(12),
    )
    request = stack.resolve(hyperband.request())
    config = request["HyperParameterTuningJobConfig"]
    assert config["TrainingJobEarlyStoppingType"] == "Off"
    assert config["StrategyConfig"] == {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 50}}
    from ml_constructs.ml.service_model import placeholders, validate_request

    for tune in (grid, hyperband):
        assert (
            validate_request("CreateHyperParameterTuningJob", placeholders(stack.resolve(tune.request())))
            == []
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ranges": []}, "invalid ranges=[]; allowed: at least one hyperparameter range"),
        (
            {"ranges": [IntegerRange("max_depth", 10, 3)]},
            "invalid ranges[max_depth].min_value=10; allowed: <= max_value (3)",
        ),
        ({"ranges": [ContinuousRange("eta", 0.3, 0.01)]}, "min_value=0.3; allowed: <= max_value (0.01)"),
        ({"ranges": [ContinuousRange("eta", 0, 1, ScalingType.LOGARITHMIC)]}, "> 0 with Logarithmic scaling"),
        (
            {"ranges": [IntegerRange("d", 1, 5, ScalingType.REVERSE_LOGARITHMIC)]},
            "Auto, Linear or Logarithmic",
        ),
        ({"ranges": [IntegerRange("d", 1.5, 5)]}, "an integer"),
        (
            {"ranges": [IntegerRange("d", 1, 5), IntegerRange("d", 2, 3)]},
            "each hyperparameter in one range only",
        ),
        ({"ranges": [CategoricalRange("c", [])]}, "1-30 values"),
        ({"strategy": "Evolutionary"}, "invalid strategy='Evolutionary'; allowed: one of Bayesian, Random"),
        ({"strategy": "Grid", "max_jobs": None}, "CategoricalRange only with a Grid search"),
        ({"max_jobs": 0}, "invalid max_jobs=0"),
        ({"max_jobs": 4, "max_parallel_jobs": 5}, "invalid max_parallel_jobs=5; allowed: <= max_jobs (4)"),
        ({"strategy": "Hyperband", "early_stopping": EarlyStopping.AUTO}, "Off with Hyperband"),
        ({"hyperband": HyperbandConfig()}, "only with strategy=Hyperband"),
        ({"warm_start": WarmStart([])}, "1-5 parent tuning jobs"),
        ({"warm_start": WarmStart(["bad_name"])}, "invalid warm_start.parent_jobs='bad_name'"),
        ({"job_name_prefix": "x" * 24}, "1-23 letters"),
        ({"objective": "validation:auc"}, "Objective.maximize"),
    ],
)
def test_bad_arguments(overrides, message):
    stack = Stack(App(), "Bad")
    with pytest.raises(ValueError, match="Bad/Tune: invalid") as error:
        tuning(stack, **overrides)
    assert message in str(error.value)


def test_own_image_objective_must_be_a_metric_definition():
    stack = Stack(App(), "Bad")
    train = training(
        stack,
        image=SageMakerImage.from_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1"),
        metric_definitions=[MetricDefinition("validation:rmse", "rmse=([0-9.]+)")],
    )
    with pytest.raises(ValueError, match="one of the training job's metric_definitions: validation:rmse"):
        tuning(stack, train=train)
