"""Detection from scores with per-series thresholds, and Orion's event matching."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from satmon.contract.forecast import WINDOW, anomaly_threshold
from satmon.forecast.detection import (
    SMOOTHING_SPANS,
    Detector,
    detect,
    detect_dynamic,
    detect_series,
    dynamic_threshold,
    event_counts,
    prf,
    smooth,
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
    assert (
        Detector("vae_timeseries", "anomaly", "dynamic").name
        == "vae / anomaly score, dynamic threshold"
    )


def test_smoothing_is_an_ewma_that_leaves_missing_steps_missing() -> None:
    scores = np.array([np.nan, np.nan, 1.0, 3.0, np.nan, 3.0])
    out = smooth(scores, 3)  # alpha 0.5
    assert np.isnan(out[:2]).all() and np.isnan(out[4])
    assert out[2] == 1.0 and out[3] == 2.0 and out[5] == 2.5
    np.testing.assert_array_equal(smooth(scores, 1), scores)


def test_the_dynamic_threshold_sets_a_few_high_steps_apart_from_the_noise() -> None:
    rng = np.random.default_rng(1)
    scores = np.abs(rng.standard_normal(5000))
    scores[[1000, 1001, 1002, 3000]] = 20.0
    threshold = dynamic_threshold(scores)
    assert threshold is not None
    assert np.abs(scores[scores < 19]).max() < threshold < 20.0
    # the same stretch in other units sets the same cut
    assert dynamic_threshold(100.0 * scores) == pytest.approx(100.0 * threshold)


def test_the_dynamic_threshold_flags_nothing_in_a_flat_or_empty_stretch() -> None:
    flat = np.full(500, 0.2)
    threshold = dynamic_threshold(flat)
    assert threshold is not None and detect(flat, threshold) == []
    assert dynamic_threshold(np.full(10, np.nan)) is None
    assert detect_dynamic(np.full(10, np.nan), 10) == (None, [])


def test_a_level_shift_is_found_by_the_threshold_the_series_sets_itself(
    vae: torch.nn.Module,
) -> None:
    rng = np.random.default_rng(0)
    series = 0.3 + 0.01 * rng.standard_normal(3000)
    series[2000:2100] += 0.5
    for score in ("anomaly", "forecast"):
        threshold, found = detect_series(vae, series[:10], series, score, "dynamic")
        smoothed = smooth(window_scores(vae, series, score), SMOOTHING_SPANS[score])
        assert threshold == dynamic_threshold(smoothed)
        assert event_counts(found, [(2000, 2099)]) == {"tp": 1, "fp": 0, "fn": 0}, score
    with pytest.raises(ValueError, match="unknown threshold rule"):
        detect_series(vae, series, series, "anomaly", "magic")
