"""Statistics of a range from ``/trends/raw`` answers: exact from samples; from buckets,
min / max / mean exact and the standard deviation a lower bound (between buckets only,
said so beside the figure)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Summary:
    metric: str
    unit: str
    count: int
    minimum: float | None
    maximum: float | None
    mean: float | None
    std: float | None
    exact: bool  # False: std from bucket means (a lower bound)


def summarise(series: dict[str, Any], mode: str) -> Summary:
    metric, unit = str(series["metric"]), str(series.get("unit", ""))
    if mode == "samples":
        values = [float(v) for v in series.get("values") or [] if v is not None]
        if not values:
            return Summary(metric, unit, 0, None, None, None, None, True)
        mean = math.fsum(values) / len(values)
        var = math.fsum((v - mean) ** 2 for v in values) / len(values)
        return Summary(
            metric, unit, len(values), min(values), max(values), mean, math.sqrt(var), True
        )
    rows = [
        (int(c), float(lo), float(hi), float(a))
        for c, lo, hi, a in zip(
            series.get("count") or [],
            series.get("min") or [],
            series.get("max") or [],
            series.get("avg") or [],
            strict=False,
        )
        if c and lo is not None and hi is not None and a is not None
    ]
    total = sum(r[0] for r in rows)
    if not total:
        return Summary(metric, unit, 0, None, None, None, None, False)
    mean = math.fsum(c * a for c, _, _, a in rows) / total
    between = math.fsum(c * (a - mean) ** 2 for c, _, _, a in rows) / total
    return Summary(
        metric,
        unit,
        total,
        min(r[1] for r in rows),
        max(r[2] for r in rows),
        mean,
        math.sqrt(between),
        False,
    )


@dataclass(frozen=True)
class ModelError:
    model: str
    points: int
    mae: float | None
    persistence_mae: float | None

    @property
    def ratio(self) -> float | None:
        """MAE over persistence's MAE on the same points (< 1: the model is better)."""
        if self.mae is None or not self.persistence_mae:
            return None
        return self.mae / self.persistence_mae


def model_errors(comparison: dict[str, Any]) -> list[ModelError]:
    return [
        ModelError(
            str(e["model"]).removesuffix("_timeseries"),
            int(e.get("points") or 0),
            e.get("mae"),
            e.get("persistence_mae"),
        )
        for e in comparison.get("errors") or []
    ]
