"""Buckets of real samples: min / max / avg / count per fixed-width slot, computed by
VictoriaMetrics' rollups over exactly each slot's samples (never ``query_range``'s
filled steps: a slot without samples has ``count = 0`` and no min / max / avg).

Slots are aligned to multiples of their width since the epoch and the query is
evaluated at each slot's end, a multiple of its step: VictoriaMetrics then caches the
answer and a range asked again only computes its newest slots (any ``offset`` that is
no multiple of the step would switch that cache off). Slot ``i`` holds the samples with
``start_i < t <= start_i + width``, the rollup window ``[w]`` that ends at
``start_i + w``: VictoriaMetrics' (and Prometheus') own window convention. All four
aggregates come from one ``aggr_over_time`` over the window's samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from satmon.api.samples import selector
from satmon.contract.events import METRIC_PREFIX

AGGREGATES = {
    "min_over_time": "min",
    "max_over_time": "max",
    "avg_over_time": "avg",
    "count_over_time": "count",
}
"""VictoriaMetrics' rollup function → the aggregate it fills."""


@dataclass(frozen=True)
class Slots:
    """``count`` slots of ``width_ms`` from ``first_ms`` (a multiple of the width)."""

    first_ms: int
    width_ms: int
    count: int

    @property
    def starts(self) -> list[int]:
        return [self.first_ms + i * self.width_ms for i in range(self.count)]

    @property
    def query_window_s(self) -> tuple[float, float, float]:
        """(start, end, step) of the range query: evaluated at each slot's end."""
        first_end = self.first_ms + self.width_ms
        last_end = first_end + (self.count - 1) * self.width_ms
        return first_end / 1000, last_end / 1000, self.width_ms / 1000


def slots_for(start_ms: int, end_ms: int, buckets: int) -> Slots:
    """About ``buckets`` slots covering the range: a width of whole seconds when the
    span allows (whole milliseconds below), aligned to multiples of the width. As the
    slots are open on the left, an aligned range's buckets hold (start, end]."""
    span = max(end_ms - start_ms, 1)
    width = math.ceil(span / buckets)
    if width >= 1000:
        width = math.ceil(width / 1000) * 1000
    first = (start_ms // width) * width
    last = ((end_ms - 1) // width) * width
    return Slots(first, width, (last - first) // width + 1)


@dataclass
class BucketColumns:
    """One metric's slots, column-wise, as arrays: min / max / avg are NaN where count is
    0 (``orjson`` with ``OPT_SERIALIZE_NUMPY`` writes NaN as null)."""

    count: np.ndarray
    min: np.ndarray
    max: np.ndarray
    avg: np.ndarray

    @classmethod
    def empty(cls, n: int) -> BucketColumns:
        nan = np.full(n, np.nan)
        return cls(np.zeros(n, dtype=np.int64), nan, nan.copy(), nan.copy())

    @property
    def total(self) -> int:
        return int(self.count.sum())


def bucket_query(metrics: Sequence[str], satellite: str, width_ms: int) -> str:
    """MetricsQL of the four aggregates of every metric, one range query.

    ``metrics`` are contract metric names and ``satellite`` an id that passed the
    contract's pattern and exists: nothing else of a request reaches the text.
    """
    functions = ", ".join(f'"{name}"' for name in AGGREGATES)
    series = selector(metrics, satellite)
    return f"aggr_over_time(({functions}), {series}[{width_ms}ms]) keep_metric_names"


def columns_from(result: Sequence[dict[str, Any]], slots: Slots) -> dict[str, BucketColumns]:
    """VictoriaMetrics' answer → per-metric columns over every slot (gaps filled as 0)."""
    out: dict[str, BucketColumns] = {}
    for series in result:
        labels = series["metric"]
        metric = labels.get("__name__", "").removeprefix(METRIC_PREFIX)
        aggregate = AGGREGATES.get(labels.get("rollup", ""))
        if not metric or aggregate is None or not series["values"]:
            continue
        columns = out.get(metric)
        if columns is None:
            columns = out[metric] = BucketColumns.empty(slots.count)
        stamps, texts = zip(*series["values"], strict=True)  # (s, "value") pairs
        ends_ms = np.array(stamps, dtype=np.float64) * 1000
        index = np.rint((ends_ms - slots.width_ms - slots.first_ms) / slots.width_ms)
        inside = (index >= 0) & (index < slots.count)
        target: np.ndarray = getattr(columns, aggregate)
        target[index[inside].astype(np.int64)] = np.array(texts, dtype=np.float64)[inside]
    for columns in out.values():  # a slot without samples has no figures
        empty = columns.count == 0
        columns.min[empty] = columns.max[empty] = columns.avg[empty] = np.nan
    return out
