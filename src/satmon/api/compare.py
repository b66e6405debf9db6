"""Raw vs forecast: each forecast point against the sample at its timestamp, with MAE /
RMSE per model and for persistence (the job's last input carried forward), the
baseline a forecast has to beat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from satmon.api.ranges import epoch_ms as _ms

DEFAULT_TOLERANCE_MS = 500


@dataclass
class Errors:
    points: int
    mae: float | None
    rmse: float | None

    @classmethod
    def of(cls, predicted: Sequence[float], actual: Sequence[float]) -> Errors:
        if not predicted:
            return cls(0, None, None)
        diff = np.asarray(predicted, dtype=np.float64) - np.asarray(actual, dtype=np.float64)
        return cls(len(diff), float(np.mean(np.abs(diff))), float(np.sqrt(np.mean(diff**2))))


@dataclass
class Aligned:
    """Column-wise: one entry per forecast timestamp (ms)."""

    timestamps: list[int]
    actual: list[float | None]
    forecasts: dict[str, list[float | None]]
    persistence: list[float | None]
    errors: dict[str, tuple[Errors, Errors]] = field(default_factory=dict)
    """model → (its errors, persistence's over the same points)"""
    baseline: Errors = field(default_factory=lambda: Errors(0, None, None))


def align(
    rows: Sequence[tuple[Any, ...]], stamps: Sequence[int], values: Sequence[float]
) -> Aligned:
    """``rows``: ``store.latest_forecasts.forecast_points`` (model, ts, value, _, _, _,
    requested_at, last input); ``stamps`` / ``values``: the raw samples, sorted by time."""
    raw_t = np.asarray(stamps, dtype=np.int64)
    tolerance = _tolerance(raw_t)
    times = sorted({_ms(r[1]) for r in rows})
    index = {t: i for i, t in enumerate(times)}
    actual = [_sample_at(raw_t, values, t, tolerance) for t in times]
    models = sorted({r[0] for r in rows})
    forecasts: dict[str, list[float | None]] = {m: [None] * len(times) for m in models}
    carried: dict[str, list[float | None]] = {m: [None] * len(times) for m in models}
    persistence: list[float | None] = [None] * len(times)
    newest: list[Any] = [None] * len(times)
    for model, ts, value, _lo, _hi, _job, requested_at, last_input in rows:
        i = index[_ms(ts)]
        forecasts[model][i] = value
        carried[model][i] = last_input
        if newest[i] is None or requested_at > newest[i]:
            newest[i], persistence[i] = requested_at, last_input
    out = Aligned(times, actual, forecasts, persistence)
    for model in models:
        pairs = [
            (f, p, a)
            for f, p, a in zip(forecasts[model], carried[model], actual, strict=True)
            if f is not None and a is not None and p is not None
        ]
        out.errors[model] = (
            Errors.of([f for f, _, _ in pairs], [a for _, _, a in pairs]),
            Errors.of([p for _, p, _ in pairs], [a for _, _, a in pairs]),
        )
    base = [
        (p, a) for p, a in zip(persistence, actual, strict=True) if p is not None and a is not None
    ]
    out.baseline = Errors.of([p for p, _ in base], [a for _, a in base])
    return out


def _tolerance(raw_t: np.ndarray) -> int:
    """Half the median sample interval: a forecast timestamp matches the nearest sample."""
    if len(raw_t) < 2:
        return DEFAULT_TOLERANCE_MS
    return max(int(np.median(np.diff(raw_t)) // 2), 1)


def _sample_at(raw_t: np.ndarray, values: Sequence[float], t: int, tolerance: int) -> float | None:
    """The sample nearest ``t`` within ``tolerance`` ms (the earlier one on a tie)."""
    i = int(np.searchsorted(raw_t, t))
    near = [j for j in (i - 1, i) if 0 <= j < len(raw_t)]
    if not near:
        return None
    best = min(near, key=lambda j: abs(int(raw_t[j]) - t))
    return float(values[best]) if abs(int(raw_t[best]) - t) <= tolerance else None
