"""A backtest combiner after the model: fall back to a baseline where the model's own
recent forecasts were clearly worse than it.

Stateless and causal. It reads a longer history of the series than the model's input:
``WINDOW + HORIZON * backtests`` points ending at the input's end. Backtest ``j``
(``1 ≤ j ≤ backtests``) is the window that ended ``HORIZON * j`` points before the input
end, whose ``HORIZON`` targets are already known (they end at or before the input end,
never after it). The model, persistence and the least-squares line are scored on those
windows; the baseline with the smaller backtest error is the fallback. The live forecast
is the model's unless the model's backtest errors exceed the fallback's with a paired
t-statistic above ``Z`` (and on average), where it is the fallback's forecast. With fewer
than ``MIN_BACKTESTS`` usable backtests (a new series) the forecast is the model's:
today's behaviour.

The rule and its settings were chosen on the NASA training splits and simulated
validation satellites only (``triton/README.md``). Measured there, per-window switching
(pick the candidate with the lowest backtest error, or blend by it) made *more* channels
worse than the better baseline than the model alone, for every ``backtests`` from 1 to
400: a backtest of a few windows is noise next to the ~1 % by which the model is worse
where it is worse. The significance gate is the only rule that did not add any.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from satmon.contract.forecast import HORIZON, WINDOW
from satmon.forecast.baselines import linear_trend, persistence

BACKTESTS = 25
"""Earlier windows scored, each ``HORIZON`` points further back (history of 270 points)."""
MIN_BACKTESTS = 12
"""Fewer usable backtests than this: the model's forecast, unchanged."""
Z = 2.0
"""How clearly (paired t-statistic of the backtest errors) the model must have been worse."""


@dataclass(frozen=True)
class Combined:
    """The combiner's output: ``forecast`` ``[N, H]`` and, per window, whether it fell
    back (``fell_back`` ``[N]``), to which baseline (``baseline`` ``[N]``: 0 persistence,
    1 line) and on how many backtests it decided (``backtests`` ``[N]``)."""

    forecast: np.ndarray
    fell_back: np.ndarray
    baseline: np.ndarray
    backtests: np.ndarray


def history_length(backtests: int = BACKTESTS) -> int:
    return WINDOW + HORIZON * backtests


def backtest_index(length: int, backtests: int = BACKTESTS) -> tuple[np.ndarray, np.ndarray]:
    """Column indices into a history of ``length`` points: inputs ``[1 + k, WINDOW]`` (row 0
    the live window, row ``j`` backtest ``j``) and targets ``[k, HORIZON]`` of backtests
    ``1..k``. Every target index is below ``length``: none lies after the input end."""
    if length < WINDOW + HORIZON * backtests:
        raise ValueError(f"a history of {length} points holds fewer than {backtests} backtests")
    ends = length - HORIZON * np.arange(backtests + 1)  # [1 + k]: one past each input's end
    inputs = ends[:, None] - WINDOW + np.arange(WINDOW)[None, :]
    targets = ends[1:, None] + np.arange(HORIZON)[None, :]
    return inputs, targets


def windows(history: np.ndarray, backtests: int = BACKTESTS) -> np.ndarray:
    """The live window and the backtest windows of each history ``[N, T]`` (NaN where the
    series is shorter, on the left) → ``[N, 1 + k, WINDOW]``, what the model must forecast."""
    h = np.asarray(history, dtype=np.float64)
    inputs, _ = backtest_index(h.shape[1], backtests)
    return h[:, inputs]


def combine(
    history: np.ndarray,
    model_forecasts: np.ndarray,
    backtests: int = BACKTESTS,
    z: float = Z,
    min_backtests: int = MIN_BACKTESTS,
) -> Combined:
    """Histories ``[N, T]`` (NaN-padded on the left) and the model's forecasts of their
    ``windows`` ``[N, 1 + k, H]`` (row 0 the live window; rows of windows that hold NaN
    are ignored) → the combined forecast of each live window."""
    h = np.asarray(history, dtype=np.float64)
    fc = np.asarray(model_forecasts, dtype=np.float64)
    n = len(h)
    inputs, targets = backtest_index(h.shape[1], backtests)
    x = h[:, inputs]  # [N, 1 + k, W]
    valid = np.isfinite(x).all(axis=2)[:, 1:]  # [N, k]
    if not np.isfinite(x[:, 0]).all():
        raise ValueError("every live window must be complete")
    flat = np.nan_to_num(x.reshape(-1, WINDOW))
    base = np.stack([persistence(flat), linear_trend(flat)], axis=1)  # [N*(1+k), 2, H]
    base = base.reshape(n, backtests + 1, 2, HORIZON)
    y = np.nan_to_num(h[:, targets])  # [N, k, H]
    err_model = np.abs(np.nan_to_num(fc[:, 1:]) - y).mean(axis=2)  # [N, k]
    err_base = np.abs(base[:, 1:] - y[:, :, None, :]).mean(axis=3)  # [N, k, 2]
    count = valid.sum(axis=1)
    safe = np.maximum(count, 1)
    mean_base = np.where(valid[:, :, None], err_base, 0.0).sum(axis=1) / safe[:, None]  # [N, 2]
    which = mean_base.argmin(axis=1)  # ties: persistence
    diff = err_model - np.take_along_axis(err_base, which[:, None, None], axis=2)[:, :, 0]
    diff = np.where(valid, diff, 0.0)
    mean = diff.sum(axis=1) / safe
    var = np.where(valid, (diff - mean[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(count - 1, 1)
    se = np.sqrt(var / safe)
    fell_back = (count >= min_backtests) & (mean > 0) & (mean > z * se)
    fallback = base[np.arange(n), 0, which]  # [N, H]
    forecast = np.where(fell_back[:, None], fallback, fc[:, 0])
    return Combined(forecast, fell_back, which, count)


def series_forecasts(
    series: np.ndarray,
    starts: np.ndarray,
    run: Callable[[np.ndarray], np.ndarray],
    backtests: int = BACKTESTS,
    z: float = Z,
    min_backtests: int = MIN_BACKTESTS,
) -> Combined:
    """The combiner over windows of one series that start at ``starts`` (the evaluation's
    path): each window's history is the series before it, NaN-padded; ``run`` forecasts raw
    windows ``[M, WINDOW]`` → ``[M, H]``. Every window the model must see is run once."""
    s = np.asarray(series, dtype=np.float64)
    starts = np.asarray(starts, dtype=np.int64)
    needed = np.unique(_lagged(starts, backtests))
    needed = needed[needed >= 0]
    predicted = np.zeros((max(len(s) - WINDOW + 1, 0), HORIZON))
    if len(needed):
        from_series = np.lib.stride_tricks.sliding_window_view(s, WINDOW)
        predicted[needed] = run(np.ascontiguousarray(from_series[needed]))
    return combine_series(s, starts, predicted, backtests, z, min_backtests)


def combine_series(
    series: np.ndarray,
    starts: np.ndarray,
    predicted: np.ndarray,
    backtests: int = BACKTESTS,
    z: float = Z,
    min_backtests: int = MIN_BACKTESTS,
) -> Combined:
    """``series_forecasts`` with the model's forecasts already made: ``predicted[i]`` is
    the forecast of the window that starts at ``i`` (needed for ``starts`` and each start
    ``HORIZON * j`` before them)."""
    s = np.asarray(series, dtype=np.float64)
    length = history_length(backtests)
    padded = np.concatenate([np.full(length - WINDOW, np.nan), s])
    # the window that starts at i in the series is the history that ends at i + WINDOW
    history = padded[starts[:, None] + np.arange(length)[None, :]]  # [N, T]
    lagged = _lagged(starts, backtests)
    forecasts = predicted[np.maximum(lagged, 0)]  # the rows of missing windows are ignored
    return combine(history, forecasts, backtests, z, min_backtests)


def _lagged(starts: np.ndarray, backtests: int) -> np.ndarray:
    """``[N, 1 + k]``: each start and the starts of its backtests (negative: none)."""
    return starts[:, None] - HORIZON * np.arange(backtests + 1)[None, :]
