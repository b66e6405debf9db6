"""The per-series choice: learned from the series' history only, keeps a model that was
clearly better there, otherwise gives that history's better baseline."""

from __future__ import annotations

import numpy as np
import pytest

from satmon.forecast.baselines import linear_trend, persistence
from satmon.forecast.choice import MARGIN, apply_choice, choose, learn_choice
from satmon.forecast.datasets import windows_from_series


def _line(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 0.3 * np.arange(n) + rng.normal(scale=0.2, size=n)


def test_choose_keeps_the_model_only_when_clearly_better() -> None:
    assert choose(0.9, 1.0, 2.0) == "model"
    assert choose((1 - MARGIN) * 1.0, 1.0, 2.0) == "model"
    assert choose(0.99, 1.0, 2.0) == "persistence"  # better, but not by the margin
    assert choose(1.5, 2.0, 1.0) == "line"
    assert choose(1.0, 1.0, 1.0, margin=0.0) == "model"


def test_a_bad_network_gets_the_better_baseline() -> None:
    history, later = _line(800, 0), _line(800, 1)
    hx, hy = windows_from_series(history)
    picked = learn_choice(hx, hy, linear_trend(hx) + 3.0)  # the network: 3 units off
    assert picked == "line"
    x, y = windows_from_series(later)
    out = apply_choice(picked, x, linear_trend(x) + 3.0)
    better = min(np.abs(persistence(x) - y).mean(), np.abs(linear_trend(x) - y).mean())
    assert np.abs(out - y).mean() == pytest.approx(better)


def test_a_good_network_is_kept() -> None:
    period, n = 10, 800
    wave = np.sin(2 * np.pi * np.arange(n) / period)
    hx, hy = windows_from_series(wave)
    assert learn_choice(hx, hy, hx[:, -period:]) == "model"
    assert np.array_equal(apply_choice("model", hx, hx[:, -period:]), hx[:, -period:])


def test_a_series_without_history_keeps_the_model() -> None:
    empty = np.zeros((0, 20))
    assert learn_choice(empty, np.zeros((0, 10)), np.zeros((0, 10))) == "model"
    hx, _ = windows_from_series(_line(100, 2))
    with pytest.raises(ValueError):
        apply_choice("median", hx, linear_trend(hx))
