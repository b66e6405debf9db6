"""``satmon models train`` through typer, on a small file dataset into a temporary repo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from satmon.forecast.cli import models_app
from satmon.forecast.modelio import load_weights


@pytest.mark.slow
def test_train_on_a_file_writes_weights_and_metadata(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    series = np.cumsum(rng.normal(size=3000))
    np.save(tmp_path / "walk.npy", series)
    repo = tmp_path / "models"
    result = CliRunner().invoke(
        models_app,
        [
            "train",
            "--model",
            "vae",
            "--data",
            str(tmp_path / "walk.npy"),
            "--epochs",
            "1",
            "--repository",
            str(repo),
        ],
    )
    assert result.exit_code == 0, result.output
    out = repo / "vae_timeseries" / "1"
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["data"] == str(tmp_path / "walk.npy") and meta["seed"] == 0
    assert meta["epochs_run"] == 1 and meta["command"].startswith("satmon models train")
    model = load_weights(out / "weights.pt")
    assert model.predict(__import__("torch").zeros(2, 20))["forecast"].shape == (2, 10)


def test_tune_threshold_and_evaluate_are_commands() -> None:
    result = CliRunner().invoke(models_app, ["--help"])
    assert result.exit_code == 0
    assert "tune-threshold" in result.output and "evaluate" in result.output


def test_unknown_model_is_a_usage_error() -> None:
    result = CliRunner().invoke(models_app, ["train", "--model", "lstm"])
    assert result.exit_code != 0
    assert "expected vae, transformer or all" in result.output


def test_an_unknown_threshold_rule_is_a_usage_error() -> None:
    result = CliRunner().invoke(models_app, ["tune-threshold", "--rule", "magic"])
    assert result.exit_code != 0
    assert "expected nominal or dynamic" in result.output
