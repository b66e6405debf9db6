"""The backtest combiner's pure logic: causal, falls back where the model is bad, keeps
it where it is good, and is today's forecast for a series without history."""

from __future__ import annotations

import numpy as np
import pytest

from satmon.contract.forecast import HORIZON, WINDOW
from satmon.forecast.baselines import linear_trend, persistence
from satmon.forecast.combiner import (
    BACKTESTS,
    MIN_BACKTESTS,
    backtest_index,
    combine,
    history_length,
    series_forecasts,
    windows,
)


def _noisy_line(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 0.3 * np.arange(n) + rng.normal(scale=0.2, size=n)


def _offset(windows_: np.ndarray) -> np.ndarray:
    """A bad network: the line, 5 units off."""
    return linear_trend(windows_) + 5.0


def test_no_backtest_target_lies_after_the_input_end() -> None:
    length = history_length()
    inputs, targets = backtest_index(length)
    assert inputs.shape == (BACKTESTS + 1, WINDOW) and targets.shape == (BACKTESTS, HORIZON)
    assert targets.max() == length - 1  # backtest 1's targets end exactly at the input end
    assert (inputs[0] == np.arange(length - WINDOW, length)).all()  # row 0: the live window
    for j in range(1, BACKTESTS + 1):  # each backtest's targets follow its own input
        assert (targets[j - 1] == inputs[j][-1] + 1 + np.arange(HORIZON)).all()
    with pytest.raises(ValueError):
        backtest_index(length - 1)


def test_points_after_the_input_end_change_nothing() -> None:
    series = _noisy_line(600)
    starts = np.array([100, 300, 500])
    before = series_forecasts(series, starts, _offset)
    for s in starts:
        changed = series.copy()
        changed[s + WINDOW :] = 1e6  # everything after this window's input end
        after = series_forecasts(changed, np.array([s]), _offset)
        row = int(np.flatnonzero(starts == s)[0])
        assert after.fell_back[0] == before.fell_back[row]
        assert np.array_equal(after.forecast[0], before.forecast[row])


def test_the_live_forecast_does_not_decide() -> None:
    history = _noisy_line(history_length())[None, :]
    fc = _offset(windows(history)[0])[None]
    decided = combine(history, fc)
    fc[:, 0] -= 5.0  # the live forecast is now excellent: the backtests still say "bad"
    assert combine(history, fc).fell_back[0] == decided.fell_back[0]


def test_a_bad_network_falls_back_to_the_better_baseline() -> None:
    series = _noisy_line(900, seed=1)
    starts = np.arange(history_length() - WINDOW, len(series) - WINDOW - HORIZON + 1)
    out = series_forecasts(series, starts, _offset)
    assert out.fell_back.all() and (out.baseline == 1).all()  # the line
    x = np.stack([series[s : s + WINDOW] for s in starts])
    y = np.stack([series[s + WINDOW : s + WINDOW + HORIZON] for s in starts])
    assert np.array_equal(out.forecast, linear_trend(x))
    better = min(np.abs(persistence(x) - y).mean(), np.abs(linear_trend(x) - y).mean())
    assert np.abs(out.forecast - y).mean() <= better


def test_a_good_network_is_kept() -> None:
    period = 10
    rng = np.random.default_rng(2)
    series = np.sin(2 * np.pi * np.arange(800) / period) + rng.normal(scale=0.01, size=800)

    def cycle(w: np.ndarray) -> np.ndarray:  # repeats the last cycle: near exact here
        return np.asarray(w[:, -period:], dtype=np.float64)

    starts = np.arange(0, len(series) - WINDOW - HORIZON + 1)
    out = series_forecasts(series, starts, cycle)
    assert not out.fell_back.any()
    x = np.stack([series[s : s + WINDOW] for s in starts])
    assert np.array_equal(out.forecast, cycle(x))


def test_a_new_series_gets_the_model_forecast() -> None:
    series = _noisy_line(WINDOW + HORIZON * (MIN_BACKTESTS - 1) + HORIZON)
    starts = np.arange(0, len(series) - WINDOW - HORIZON + 1)
    out = series_forecasts(series, starts, _offset)
    assert (out.backtests < MIN_BACKTESTS).all() and not out.fell_back.any()
    x = np.stack([series[s : s + WINDOW] for s in starts])
    assert np.array_equal(out.forecast, _offset(x))
    assert out.backtests[0] == 0


def test_a_live_window_with_gaps_is_refused() -> None:
    history = np.full((1, history_length()), np.nan)
    with pytest.raises(ValueError):
        combine(history, np.zeros((1, BACKTESTS + 1, HORIZON)))
