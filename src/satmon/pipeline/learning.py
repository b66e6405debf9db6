"""What the forecaster's per-series learning shares: its history, its age, its time budget.

Two parameters of a series are learned from its recent history while its jobs run:
the VAE's anomaly threshold (``thresholds.py``) and each model's forecast choice
(``choices.py``). Both read the same ``LOOKBACK_S`` of the series, so a batch reads it
from VictoriaMetrics once (``SharedHistory``), and both together spend at most
``BUDGET_S`` of a batch's wall time (``LearningBudget``): a job waits for its own
forecast, not for the learning of a fleet that has just come online. What the budget
leaves unlearned is learned by the next batches; until then a series' forecasts are the
model's, without a threshold.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

from satmon.clients.vm import Series, metric_selector

LOOKBACK_S = 2 * 3600.0
"""History a series' parameters are learned from: more than one orbit (about 92 min), so
eclipse entries and exits are in it."""
MAX_AGE_S = 3600.0
"""A learned parameter older than this is learned again."""
MAX_LEARN_PER_CALL = 8
"""Learnings of one kind per batch, whatever the budget."""
BUDGET_S = 0.25
"""Wall time one batch of jobs may spend learning, thresholds and choices together.
One learning (an export of 2 h at 1 Hz, up to 800 windows through Triton) took 43 / 86 /
292 ms (p10 / p50 / p90) in a local stack on two cores, so a batch learns a few, and
the budget adds at most about half a second to a batch's jobs."""


SeriesKey = tuple[str, str]
"""(satellite, metric)."""
Learned = TypeVar("Learned")


class LearningBudget:
    """The learning time left to one batch. Asked before each learning; the first is
    always allowed, so every batch makes progress however slow a learning is."""

    def __init__(
        self, seconds: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._deadline = clock() + (BUDGET_S if seconds is None else seconds)
        self._asked = False

    def allows(self) -> bool:
        first, self._asked = not self._asked, True
        return first or self._clock() < self._deadline


class HistoryStore(Protocol):
    """What learning needs of ``satmon.clients.vm.VictoriaMetrics``."""

    def export(
        self, match: str, start: float | None = None, end: float | None = None
    ) -> list[Series]: ...

    def import_lines(self, body: bytes) -> None: ...


class SharedHistory:
    """A store whose exports are read once per (match, start, end): the learnings of one
    batch share each series' history. Imports pass straight through."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store
        self._exports: dict[tuple[str, float | None, float | None], list[Series]] = {}

    def export(
        self, match: str, start: float | None = None, end: float | None = None
    ) -> list[Series]:
        key = (match, start, end)
        if key not in self._exports:
            self._exports[key] = self._store.export(match, start=start, end=end)
        return self._exports[key]

    def import_lines(self, body: bytes) -> None:
        self._store.import_lines(body)


def recent_values(store: HistoryStore, key: tuple[str, str], now_s: float) -> np.ndarray:
    """The series' values of the ``LOOKBACK_S`` before ``now_s``, oldest first."""
    satellite_id, metric = key
    history = store.export(
        metric_selector(metric, satellite_id), start=now_s - LOOKBACK_S, end=now_s
    )
    return np.asarray(history[0].values if history else [], dtype=np.float64)


def current_or_learned(
    wanted: Sequence[SeriesKey],
    known: dict[SeriesKey, Learned],
    learn: Callable[[SeriesKey], Learned | None],
    line: Callable[[SeriesKey, Learned], bytes],
    store: HistoryStore,
    budget: LearningBudget | None = None,
) -> dict[SeriesKey, Learned]:
    """The ``known`` (stored, current) value of each key in ``wanted``; the keys without
    one are learned and stored (``line``), at most ``MAX_LEARN_PER_CALL`` and while
    ``budget`` allows. A key ``learn`` cannot teach (None) is left without a value."""
    learned = 0
    for key in wanted:
        if key in known or learned >= MAX_LEARN_PER_CALL:
            continue
        if budget is not None and not budget.allows():
            break
        learned += 1
        value = learn(key)
        if value is not None:
            store.import_lines(line(key, value))
            known[key] = value
    return {key: known[key] for key in wanted if key in known}


def stored_values(
    store: HistoryStore, name: str, model_name: str, start: float, end: float
) -> dict[SeriesKey, float]:
    """The newest value of every series' ``name`` parameter for ``model_name`` stored in
    [start, end]."""
    out: dict[SeriesKey, float] = {}
    for s in store.export(f'{{__name__="{name}",model="{model_name}"}}', start=start, end=end):
        sat, metric = s.labels.get("satellite_id"), s.labels.get("metric")
        if sat and metric and s.values:
            out[(sat, metric)] = float(s.values[-1])
    return out


def value_line(name: str, key: SeriesKey, model_name: str, value: float, now_s: float) -> bytes:
    """One /api/v1/import JSON line storing the ``name`` parameter of ``key`` for
    ``model_name`` at ``now_s``."""
    labels: dict[str, Any] = {
        "__name__": name,
        "satellite_id": key[0],
        "metric": key[1],
        "model": model_name,
    }
    row = {"metric": labels, "values": [value], "timestamps": [int(now_s * 1000)]}
    return json.dumps(row).encode() + b"\n"
