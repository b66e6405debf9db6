"""Raw samples from VictoriaMetrics' export, per metric, in time order.

Export answers may hold a series in several lines (one per storage part); they are
merged here and sorted by timestamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from satmon.clients.vm import Series
from satmon.contract.events import METRIC_PREFIX


def by_metric(series: Sequence[Series]) -> dict[str, tuple[list[int], list[float]]]:
    """Export lines → {metric: (timestamps ms, values)}, each sorted by time."""
    parts: dict[str, list[Series]] = {}
    for s in series:
        metric = s.labels.get("__name__", "").removeprefix(METRIC_PREFIX)
        parts.setdefault(metric, []).append(s)
    out: dict[str, tuple[list[int], list[float]]] = {}
    for metric, pieces in parts.items():
        if len(pieces) == 1 and _ordered(pieces[0].timestamps):
            out[metric] = (pieces[0].timestamps, pieces[0].values)
            continue
        stamps = np.concatenate([np.asarray(p.timestamps, dtype=np.int64) for p in pieces])
        values = np.concatenate([np.asarray(p.values, dtype=np.float64) for p in pieces])
        order = np.argsort(stamps, kind="stable")
        stamps, values = stamps[order], values[order]
        keep = np.concatenate(([True], np.diff(stamps) != 0))  # one sample per ms
        out[metric] = (stamps[keep].tolist(), values[keep].tolist())
    return out


def selector(metrics: Sequence[str], satellite: str) -> str:
    """Series selector of contract metrics of one (validated) satellite."""
    names = "|".join(METRIC_PREFIX + m for m in metrics)
    return f'{{__name__=~"{names}",satellite_id="{satellite}"}}'


def _ordered(stamps: Sequence[int]) -> bool:
    return all(a < b for a, b in pairwise(stamps))
