"""The container's reading of hyperparameters and data, and its metrics, without the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_constructs.local.jobs import xgboost_container as container
from ml_constructs.local.jobs.common import JobError

from .conftest import IMAGE, csv_text, rows


def test_hyperparameters_are_typed_and_gpu_hist_maps_to_a_device() -> None:
    settings = container.parse_hyperparameters(
        {
            "num_round": "10",
            "eta": "0.1",
            "max_depth": "4",
            "objective": "binary:logistic",
            "tree_method": "gpu_hist",
        },
        gpu=(False, "no NVIDIA device"),
    )
    assert settings.num_round == 10
    assert settings.params == {
        "eta": 0.1,
        "max_depth": 4,
        "objective": "binary:logistic",
        "tree_method": "hist",
        "device": "cpu",
    }
    assert any("training on the CPU: no NVIDIA device" in note for note in settings.notes)
    on_gpu = container.parse_hyperparameters({"num_round": "1", "device": "cuda"}, gpu=(True, "present"))
    assert on_gpu.params["device"] == "cuda" and on_gpu.params["objective"] == "reg:squarederror"


def test_the_tuning_objective_is_evaluated_even_without_eval_metric() -> None:
    settings = container.parse_hyperparameters(
        {"num_round": "5", "eval_metric": "logloss", "_tuning_objective_metric": "validation:accuracy"}
    )
    assert settings.params["eval_metric"] == ["logloss"]
    assert settings.custom_metrics == ["accuracy"]


def test_custom_metrics_are_reported_per_channel(tmp_path: Path) -> None:
    for name, seed in (("train", 1), ("validation", 2)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "part-0.csv").write_text(csv_text(rows(600, seed=seed)))
    channels = {name: container.load_channel(tmp_path / name, "text/csv") for name in ("train", "validation")}
    settings = container.parse_hyperparameters(
        {"num_round": "20", "objective": "binary:logistic", "eval_metric": "auc,accuracy,f1"}
    )
    trained = container.train(channels, settings, log=lambda _line: None)
    assert set(trained.metrics) == {
        f"{c}:{m}" for c in ("train", "validation") for m in ("auc", "accuracy", "f1")
    }
    assert 0.75 < trained.metrics["validation:accuracy"] <= 1.0
    predictions = container.predict(trained.booster, ["0.9,0.9,0.1,0.1", "0.01,0.01,0.5,0.5"])
    assert float(predictions[0]) > 0.5 > float(predictions[1])
    assert container.load_model(container.model_tarball(trained.booster)).num_features() == 4


def test_an_empty_file_has_no_delimiter(tmp_path: Path) -> None:
    (tmp_path / "part-0.csv").write_text("1,2,3\n")
    (tmp_path / "part-1.csv").write_text("")
    with pytest.raises(
        JobError, match="Could not determine delimiter on line :\nCould not determine delimiter"
    ):
        container.load_channel(tmp_path, "text/csv")


def test_only_the_built_in_image_runs() -> None:
    assert container.is_built_in_xgboost(IMAGE)
    assert container.is_built_in_xgboost(
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.5-1"
    )
    assert not container.is_built_in_xgboost("123456789012.dkr.ecr.us-east-1.amazonaws.com/my-xgboost:1")
    assert not container.is_built_in_xgboost(None)
