"""Naive baselines on series whose future is known."""

from __future__ import annotations

import numpy as np

from satmon.forecast.baselines import drift, linear_trend, persistence


def test_persistence_repeats_the_last_value() -> None:
    w = np.arange(40, dtype=float).reshape(2, 20)
    assert np.array_equal(persistence(w), np.repeat([[19.0], [39.0]], 10, axis=1))


def test_linear_trend_extrapolates_a_line_exactly() -> None:
    t = np.arange(30, dtype=float)
    series = 3.0 - 0.5 * t
    pred = linear_trend(series[None, :20])
    assert np.allclose(pred, series[None, 20:])


def test_linear_trend_of_noisy_line_is_the_least_squares_fit() -> None:
    rng = np.random.default_rng(0)
    w = 2.0 * np.arange(20) + rng.normal(size=20)
    slope, intercept = np.polyfit(np.arange(20), w, 1)
    assert np.allclose(linear_trend(w[None])[0], intercept + slope * np.arange(20, 30))


def test_drift_uses_the_mean_step_from_the_last_value() -> None:
    w = np.array([[0.0] * 19 + [19.0]])
    assert np.allclose(drift(w)[0], 19.0 + np.arange(1, 11))
