"""The snippet the reference stack adds: GPU XGBoost training with spot, Bayesian tuning,
registration of the best model, batch transform. Compliant, and every request valid."""

from __future__ import annotations

from aws_cdk import Duration, Stack

from ml_constructs.ml.batch_transform import BatchTransform
from ml_constructs.ml.hyperparameter_tuning import (
    ContinuousRange,
    HyperparameterTuning,
    IntegerRange,
    Objective,
    ScalingType,
)
from ml_constructs.ml.images import SageMakerImage
from ml_constructs.ml.model_registry import ModelPackageGroup
from ml_constructs.ml.training_job import InputChannel, SpotTraining, TrainingJob
from ml_constructs.store import DataLake
from tests.harness import scenario


def build(stack: Stack):
    lake = DataLake(stack, "Lake")
    # --- snippet for stacks/ml_stack.py (self -> stack, self.lake -> lake) ---
    train = TrainingJob(
        stack,
        "Train",
        lake=lake,
        image=SageMakerImage.built_in("xgboost", "1.7-1"),
        instance_type="ml.g5.2xlarge",
        gpu=True,
        spot=SpotTraining(max_wait=Duration.hours(4)),
        max_runtime=Duration.hours(2),
        hyperparameters={
            "objective": "binary:logistic",
            "eval_metric": "auc",
            "num_round": 200,
            "tree_method": "gpu_hist",
        },
        channels=[
            InputChannel("train", "features/train/", content_type="text/csv"),
            InputChannel("validation", "features/validation/", content_type="text/csv"),
        ],
    )
    models = ModelPackageGroup(stack, "Models")
    tune = HyperparameterTuning(
        stack,
        "Tune",
        training=train,
        objective=Objective.maximize("validation:auc"),
        ranges=[
            ContinuousRange("eta", 0.01, 0.3, ScalingType.LOGARITHMIC),
            IntegerRange("max_depth", 3, 10),
            ContinuousRange("subsample", 0.5, 1.0),
        ],
        max_jobs=20,
        max_parallel_jobs=2,
        model_registry=models,
    )
    score = BatchTransform(
        stack,
        "Score",
        lake=lake,
        instance_type="ml.m5.xlarge",
        input_prefix="features/score/",
        output_prefix="predictions/",
    )
    # --- end of snippet ---
    return train, tune, score, models


def test_reference_snippet_is_compliant_and_valid():
    s = scenario(build)
    assert s.problems == []
    problems = s.state_machine_problems()
    assert len(problems) == 5 and all(v == [] for v in problems.values()), problems
    train, tune, score, _ = s.built
    assert s.request_problems("CreateTrainingJob", train.request()) == []
    assert s.request_problems("CreateHyperParameterTuningJob", tune.request()) == []
    assert s.request_problems("CreateTransformJob", score.request(model_name="best-model")) == []
