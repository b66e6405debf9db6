"""Per-series anomaly thresholds: learned from recent history, stored, attached to forecasts.

A completed ``vae_timeseries`` forecast carries its window's ``anomaly_score``. Whether
that score is anomalous depends on the series: a battery voltage and a ground track
differ in what their windows usually look like. So each (satellite, metric) gets its own
threshold, learned the way ``satmon models evaluate`` learns one from a NASA channel's
training split: the VAE scores windows of the series' recent history
(``learning.LOOKBACK_S``) and ``contract.forecast.anomaly_threshold`` turns those scores
into a threshold. Thresholds are stored in VictoriaMetrics (``THRESHOLD_METRIC``, one sample
per learning, timestamped), so every forecaster replica and the operation API read the
same ones, and relearned when older than ``MAX_AGE_S``. A batch learns at most
``MAX_LEARN_PER_CALL`` of them within its learning budget (``learning.py``), so a cold
start spreads its cost over a few ticks; until a series has one, its outcomes carry no
threshold.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np

from satmon.contract.forecast import (
    ANOMALY_MODEL,
    MIN_HISTORY_WINDOWS,
    THRESHOLD_METRIC,
    WINDOW,
    anomaly_threshold,
)
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

log = logging.getLogger(__name__)

MAX_WINDOWS = 800
"""Windows scored per learning, evenly strided over the lookback."""
REQUEST_WINDOWS = 256
"""Windows per model request: the models' ``max_batch_size`` (``triton/models/*/config.pbtxt``)."""

ThresholdStore = HistoryStore


class AnomalyModel(Protocol):
    def forecast(
        self, model: str, windows: np.ndarray, period: float | None = None
    ) -> dict[str, np.ndarray]: ...


def thresholds_for(
    keys: Iterable[SeriesKey],
    store: ThresholdStore,
    get_model: Callable[[], AnomalyModel],
    periods: dict[str, float],
    now_s: float | None = None,
    budget: LearningBudget | None = None,
) -> dict[SeriesKey, float]:
    """The current threshold of each (satellite, metric) in ``keys`` that has one,
    learning (and storing) those missing or stale, at most ``MAX_LEARN_PER_CALL`` and
    while ``budget`` allows."""
    now = time.time() if now_s is None else now_s
    return current_or_learned(
        sorted(set(keys)),
        stored_thresholds(store, now - MAX_AGE_S, now),
        lambda key: learn_threshold(store, get_model, key, periods.get(key[1]), now),
        lambda key, value: threshold_line(key, value, now),
        store,
        budget,
    )


def stored_thresholds(store: ThresholdStore, start: float, end: float) -> dict[SeriesKey, float]:
    """The newest stored threshold of every series learned in [start, end]."""
    return stored_values(store, THRESHOLD_METRIC, ANOMALY_MODEL, start, end)


def learn_threshold(
    store: ThresholdStore,
    get_model: Callable[[], AnomalyModel],
    key: SeriesKey,
    period: float | None,
    now_s: float,
) -> float | None:
    """Score the windows of the series' recent history with the VAE and turn the
    scores into its threshold; None when the history is too short to teach one."""
    satellite_id, metric = key
    windows = history_windows(recent_values(store, key, now_s))
    if len(windows) < MIN_HISTORY_WINDOWS:
        return None
    model = get_model()
    scores = [
        model.forecast(ANOMALY_MODEL, windows[i : i + REQUEST_WINDOWS], period=period)[
            "anomaly_score"
        ]
        for i in range(0, len(windows), REQUEST_WINDOWS)
    ]
    value = anomaly_threshold(np.concatenate(scores))
    log.info("learned the anomaly threshold of %s %s: %s", satellite_id, metric, value)
    return value


def history_windows(values: np.ndarray, limit: int = MAX_WINDOWS) -> np.ndarray:
    """At most ``limit`` windows ``[N, 20]`` evenly strided over ``values``."""
    if len(values) < WINDOW:
        return np.zeros((0, WINDOW))
    view = np.lib.stride_tricks.sliding_window_view(values, WINDOW)
    stride = max(1, -(-len(view) // limit))
    return np.ascontiguousarray(view[::stride])


def threshold_line(key: SeriesKey, value: float, now_s: float) -> bytes:
    """One /api/v1/import JSON line storing ``value`` for ``key`` at ``now_s``."""
    return value_line(THRESHOLD_METRIC, key, ANOMALY_MODEL, value, now_s)
