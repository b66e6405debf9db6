"""Detection from scores with per-series thresholds, and Orion's event matching."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from satmon.contract.forecast import WINDOW, anomaly_threshold
from satmon.forecast.detection import (
    Detector,
    detect,
    detect_series,
    event_counts,
    prf,
    window_scores,
)
from satmon.forecast.modelio import build_model


def test_a_flagged_score_covers_its_window_and_overlapping_windows_join() -> None:
    scores = np.zeros(200)
    scores[[10, 11, 25, 100]] = 5.0
    assert detect(scores, 1.0, extent=20) == [(0, 25), (81, 100)]
    assert detect(scores, 1.0, extent=1) == [(10, 11), (25, 25), (100, 100)]
    assert detect(scores, 5.0) == []  # passing means above
    assert detect(scores, None) == []
    assert detect(np.full(10, np.nan), 0.0) == []


def test_event_counts_follow_orions_overlap_rule() -> None:
    labelled = [(100, 200), (500, 600), (900, 950)]
    detected = [(150, 160), (190, 250), (300, 310), (940, 1000)]
    assert event_counts(detected, labelled) == {"tp": 2, "fp": 1, "fn": 1}
    assert prf(2, 1, 1) == {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3}
    assert prf(0, 0, 0)["f1"] == 0.0


@pytest.fixture(scope="module")
def vae() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model("vae_timeseries").eval()


def test_scores_line_up_with_the_step_they_belong_to(vae: torch.nn.Module) -> None:
    series = np.sin(np.arange(300) / 7.0)
    anomaly = window_scores(vae, series, "anomaly")
    forecast = window_scores(vae, series, "forecast")
    assert np.isnan(anomaly[: WINDOW - 1]).all() and np.isfinite(anomaly[WINDOW - 1 :]).all()
    assert np.isnan(forecast[:WINDOW]).all() and np.isfinite(forecast[WINDOW:]).all()
    with pytest.raises(ValueError, match="unknown score"):
        window_scores(vae, series, "magic")


def test_a_large_level_shift_is_found_with_the_threshold_of_the_nominal_history(
    vae: torch.nn.Module,
) -> None:
    rng = np.random.default_rng(0)
    nominal = 0.3 + 0.01 * rng.standard_normal(2000)
    series = 0.3 + 0.01 * rng.standard_normal(1000)
    series[600:700] += 0.5
    for score in ("anomaly", "forecast"):
        threshold, found = detect_series(vae, nominal, series, score)
        assert threshold == anomaly_threshold(window_scores(vae, nominal, score))
        assert event_counts(found, [(600, 699)]) == {"tp": 1, "fp": 0, "fn": 0}, score


def test_detector_names() -> None:
    assert Detector("vae_timeseries", "anomaly").name == "vae / anomaly score"
    assert Detector("transformer_timeseries", "forecast").name == "transformer / one-step error"
