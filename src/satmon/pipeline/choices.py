"""Per-series forecast choices: learned from recent history, stored, applied to forecasts.

Where a model has not clearly beaten persistence and the least-squares line on a series,
the series gets the better of those two instead (``satmon.forecast.choice``, the rule
``satmon models evaluate --choice`` scores: there a NASA channel learns it from its
training split). Each (satellite, metric, model) learns its choice the way its anomaly
threshold is learned (``thresholds.py``): the model forecasts windows of the series'
recent history (``learning.LOOKBACK_S``, read once for both) whose next ``HORIZON``
points are known, the three MAEs decide. Choices are stored in VictoriaMetrics
(``CHOICE_METRIC``: 0 model, 1 persistence, 2 line, one sample per learning), read back
by every replica, relearned when older than ``MAX_AGE_S``; a batch learns at most
``MAX_LEARN_PER_CALL`` per model within its learning budget. Until a series has one, or
if learning fails, its forecasts are the model's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import numpy as np

from satmon.contract.forecast import HORIZON, MIN_HISTORY_WINDOWS, WINDOW
from satmon.forecast.choice import CHOICES, apply_choice, learn_choice
from satmon.pipeline.learning import (
    MAX_AGE_S,
    HistoryStore,
    LearningBudget,
    SeriesKey,
    current_or_learned,
    recent_values,
    stored_values,
    value_line,
)
from satmon.pipeline.thresholds import REQUEST_WINDOWS, AnomalyModel

log = logging.getLogger(__name__)

CHOICE_METRIC = "satmon_forecast_choice"
MAX_WINDOWS = 800
"""History windows (input and known targets) per learning, evenly strided."""


def choices_for(
    keys: Iterable[SeriesKey],
    model_name: str,
    store: HistoryStore,
    get_model: Callable[[], AnomalyModel],
    periods: dict[str, float],
    now_s: float | None = None,
    budget: LearningBudget | None = None,
) -> dict[SeriesKey, str]:
    """The current choice of each (satellite, metric) in ``keys`` for ``model_name`` that
    has one, learning (and storing) those missing or stale, at most
    ``MAX_LEARN_PER_CALL`` and while ``budget`` allows."""
    now = time.time() if now_s is None else now_s
    return current_or_learned(
        sorted(set(keys)),
        stored_choices(store, model_name, now - MAX_AGE_S, now),
        lambda key: learn_series_choice(
            store, get_model, key, model_name, periods.get(key[1]), now
        ),
        lambda key, picked: choice_line(key, model_name, picked, now),
        store,
        budget,
    )


def stored_choices(
    store: HistoryStore, model_name: str, start: float, end: float
) -> dict[SeriesKey, str]:
    """The newest stored choice of every series for ``model_name`` learned in [start, end]."""
    stored = stored_values(store, CHOICE_METRIC, model_name, start, end)
    return {key: CHOICES[int(index)] for key, index in stored.items() if 0 <= index < len(CHOICES)}


def learn_series_choice(
    store: HistoryStore,
    get_model: Callable[[], AnomalyModel],
    key: SeriesKey,
    model_name: str,
    period: float | None,
    now_s: float,
) -> str | None:
    """The choice from the windows of the series' recent history; None when the history
    is too short to teach one."""
    satellite_id, metric = key
    spans = history_spans(recent_values(store, key, now_s), period)
    if len(spans) < MIN_HISTORY_WINDOWS:
        return None
    x, y = spans[:, :WINDOW], spans[:, WINDOW:]
    model = get_model()
    forecasts = np.concatenate(
        [
            model.forecast(model_name, x[i : i + REQUEST_WINDOWS])["forecast"]
            for i in range(0, len(x), REQUEST_WINDOWS)
        ]
    )
    picked = learn_choice(x, y, forecasts)
    log.info(
        "learned the forecast choice of %s %s %s: %s", satellite_id, metric, model_name, picked
    )
    return picked


def history_spans(
    values: np.ndarray, period: float | None = None, limit: int = MAX_WINDOWS
) -> np.ndarray:
    """At most ``limit`` spans of ``WINDOW + HORIZON`` points ``[N, 30]``, evenly strided
    over ``values``; a wrapped angle (``period``) is unwrapped within each span."""
    total = WINDOW + HORIZON
    if len(values) < total:
        return np.zeros((0, total))
    view = np.lib.stride_tricks.sliding_window_view(values, total)
    stride = max(1, -(-len(view) // limit))
    spans = np.array(view[::stride], dtype=np.float64)
    return np.unwrap(spans, period=period, axis=1) if period is not None else spans


def apply_choices(
    outputs: dict[str, np.ndarray],
    windows: np.ndarray,
    picked: list[str],
    period: float | None = None,
) -> dict[str, np.ndarray]:
    """``outputs`` of a batch of raw ``windows`` ``[B, 20]`` with each row's forecast
    replaced by its series' choice (``picked[row]``); ``lower`` / ``upper`` move with the
    forecast. Rows that keep the model are unchanged; ``outputs`` itself is not modified."""
    rows = [i for i, p in enumerate(picked) if p != "model"]
    if not rows:
        return outputs
    x = np.asarray(windows, dtype=np.float64)
    if period is not None:
        x = np.unwrap(x, period=period, axis=1)
    out = {k: np.array(v, copy=True) for k, v in outputs.items()}
    model_fc = np.asarray(outputs["forecast"], dtype=np.float64)
    for i in rows:
        chosen = apply_choice(picked[i], x[i : i + 1], model_fc[i : i + 1])[0]
        if period is not None:
            chosen = np.mod(chosen + period / 2.0, period) - period / 2.0
        shift = _angle_delta(chosen - model_fc[i], period)
        out["forecast"][i] = chosen
        for name in ("lower", "upper"):
            if name in out:
                out[name][i] = np.asarray(outputs[name][i], dtype=np.float64) + shift
    return out


def _angle_delta(delta: np.ndarray, period: float | None) -> np.ndarray:
    if period is None:
        return delta
    return np.mod(delta + period / 2.0, period) - period / 2.0


def choice_line(key: SeriesKey, model_name: str, picked: str, now_s: float) -> bytes:
    """One /api/v1/import JSON line storing ``picked`` for ``key`` at ``now_s``."""
    return value_line(CHOICE_METRIC, key, model_name, CHOICES.index(picked), now_s)
