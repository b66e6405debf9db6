"""Naive forecasts every model has to beat: persistence and linear trend."""

from __future__ import annotations

import numpy as np

from satmon.contract.forecast import HORIZON


def persistence(windows: np.ndarray, horizon: int = HORIZON) -> np.ndarray:
    """Repeat the last value: ``windows`` ``[B, L]`` → ``[B, horizon]``."""
    w = np.asarray(windows, dtype=np.float64)
    return np.repeat(w[:, -1:], horizon, axis=1)


def linear_trend(windows: np.ndarray, horizon: int = HORIZON) -> np.ndarray:
    """Least-squares line through the whole window, extrapolated ``horizon`` steps.

    ``windows`` ``[B, L]`` → ``[B, horizon]``; the step is one sample.
    """
    w = np.asarray(windows, dtype=np.float64)
    length = w.shape[1]
    t = np.arange(length, dtype=np.float64)
    t_mean = t.mean()
    tc = t - t_mean
    slope = (w - w.mean(axis=1, keepdims=True)) @ tc / float(tc @ tc)  # [B]
    intercept = w.mean(axis=1) - slope * t_mean  # [B]
    future = np.arange(length, length + horizon, dtype=np.float64)
    return intercept[:, None] + slope[:, None] * future[None, :]


def drift(windows: np.ndarray, horizon: int = HORIZON) -> np.ndarray:
    """Random walk with drift: last value plus the window's mean step per step ahead.

    A weaker linear baseline than ``linear_trend`` (it anchors on the noisy last value);
    reported for context only.
    """
    w = np.asarray(windows, dtype=np.float64)
    step = (w[:, -1] - w[:, 0]) / (w.shape[1] - 1)
    return w[:, -1:] + step[:, None] * np.arange(1, horizon + 1, dtype=np.float64)[None, :]


BASELINES = {"persistence": persistence, "linear_trend": linear_trend, "drift": drift}
"""The baselines every model is judged against; ``persistence`` and ``linear_trend`` are
the ones the goals name."""
