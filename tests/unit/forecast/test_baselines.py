"""Naive baselines on series whose future is known."""

from __future__ import annotations

import numpy as np

from satmon.forecast.baselines import drift, linear_trend, persistence
from satmon.forecast.datasets import WindowSet
from satmon.forecast.headroom import (
    apply_shift_equivariant,
    fit_shift_equivariant,
    per_metric_linear_reference,
)


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


def _windows(series: np.ndarray, group: str) -> WindowSet:
    """Stride-1 windows (20 in, 10 out) of each row of ``series``, all in ``group``."""
    xs, ys = [], []
    for row in series:
        for i in range(0, len(row) - 30 + 1):
            xs.append(row[i : i + 20])
            ys.append(row[i + 20 : i + 30])
    x, y = np.array(xs, dtype=np.float32), np.array(ys, dtype=np.float32)
    return WindowSet(x, y, np.array([group] * len(x)))


def test_headroom_reference_is_the_trend_on_lines_and_persistence_on_walks() -> None:
    """Lines plus white noise: the least-squares line is already the best linear
    forecast, so the fitted reference can only match it; random walks: the last value
    is, so it matches persistence and beats the trend."""
    rng = np.random.default_rng(3)
    t = np.arange(200)
    lines = rng.normal(0, 5, (40, 1)) + rng.normal(0, 0.2, (40, 1)) * t
    lines = lines + rng.normal(0, 1.0, lines.shape)
    walks = np.cumsum(rng.normal(0, 1.0, (40, 200)), axis=1)
    train = WindowSet.concat([_windows(lines[:20], "line"), _windows(walks[:20], "walk")])
    held = WindowSet.concat([_windows(lines[20:], "line"), _windows(walks[20:], "walk")])
    reference = per_metric_linear_reference(train, held)
    assert 0.98 < reference["line"]["ratio_vs_linear_trend"] < 1.01
    assert 0.98 < reference["walk"]["ratio_vs_persistence"] < 1.01
    assert reference["walk"]["ratio_vs_linear_trend"] < 0.9


def test_shift_equivariant_map_moves_with_the_level() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 20))
    y = x[:, -1:] + rng.normal(scale=0.1, size=(500, 10))
    v = fit_shift_equivariant(x, y)
    shifted = apply_shift_equivariant(v, x + 1000.0) - 1000.0
    assert np.allclose(shifted, apply_shift_equivariant(v, x), atol=1e-6)
