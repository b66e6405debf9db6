"""The committed weights beat persistence on held-out simulated data, deterministically.

Satellites and seeds here are never used in training or early stopping (see
``satmon.forecast.datasets``); the figures are exact for the committed weights.
"""

from __future__ import annotations

import numpy as np
import pytest

from satmon.contract.forecast import MODEL_NAMES
from satmon.forecast.datasets import HELDOUT_SIM, SIM_METRICS, simulated_windows
from satmon.forecast.evaluate import evaluate_windows
from satmon.forecast.modelio import load_model

HELDOUT = HELDOUT_SIM
MAX_RATIO_VS_PERSISTENCE = 0.92
"""Every metric's MAE must be at most 92 % of persistence's (a clear margin)."""


@pytest.fixture(scope="module")
def summary() -> dict:
    models = {name: load_model(name) for name in MODEL_NAMES}
    return evaluate_windows(models, simulated_windows(HELDOUT))["summary"]


@pytest.mark.parametrize("model", MODEL_NAMES)
@pytest.mark.parametrize("metric", SIM_METRICS)
def test_beats_persistence_by_a_clear_margin(summary: dict, model: str, metric: str) -> None:
    ratio = summary[metric][f"ratio_{model}_vs_persistence"]
    assert ratio < MAX_RATIO_VS_PERSISTENCE, f"{model} on {metric}: MAE {ratio:.3f}x persistence"


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_beats_linear_trend_overall(summary: dict, model: str) -> None:
    assert summary["all"][f"ratio_{model}_vs_linear_trend"] < 1.0


def test_evaluation_is_deterministic(summary: dict) -> None:
    again = evaluate_windows(
        {"transformer_timeseries": load_model("transformer_timeseries")}, simulated_windows(HELDOUT)
    )
    assert np.isclose(
        again["summary"]["all"]["mae_transformer_timeseries"],
        summary["all"]["mae_transformer_timeseries"],
        rtol=0,
        atol=0,
    )
