"""Injected sensor anomalies (spike, drift, stuck) and their ground-truth labels.

Anomalies are sensor faults: they change the reported value, never the true state. Each
satellite draws them from its own random stream (separate from the sensor noise), so a
run with anomalies is sample-for-sample identical to the same run without them outside
the labelled windows. A label covers the samples with ``start <= timestamp < end``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from satmon.contract.events import METRICS, format_time

KINDS = ("spike", "drift", "stuck")
ANOMALY_METRICS = ("temperature", "altitude", "velocity", "battery", "solar_power")
DEFAULT_RATE_PER_HOUR = 2.0
# Typical fault size per metric, in the metric's unit (spikes use 1–2×, drifts 0.5–1×).
SCALE = {
    "temperature": 15.0,
    "altitude": 12.0,
    "velocity": 0.06,
    "battery": 0.3,
    "solar_power": 30.0,
}
DRIFT_S = (10 * 60.0, 30 * 60.0)
STUCK_S = (3 * 60.0, 15 * 60.0)


@dataclass(frozen=True)
class AnomalySpec:
    """What to inject: a Poisson rate per satellite-hour, the kinds and the metrics."""

    rate_per_hour: float = DEFAULT_RATE_PER_HOUR
    kinds: tuple[str, ...] = KINDS
    metrics: tuple[str, ...] = ANOMALY_METRICS

    def __post_init__(self) -> None:
        if self.rate_per_hour <= 0:
            raise ValueError("anomaly rate must be > 0 per hour")
        if not self.kinds or set(self.kinds) - set(KINDS):
            raise ValueError(f"anomaly kinds must be among {', '.join(KINDS)}")
        if not self.metrics or set(self.metrics) - set(ANOMALY_METRICS):
            raise ValueError(f"anomaly metrics must be among {', '.join(ANOMALY_METRICS)}")

    @classmethod
    def parse(cls, text: str | None) -> AnomalySpec | None:
        """``"2"`` (rate/h), ``"spike,stuck"`` (kinds) or ``"spike,drift@0.5"``; none/0 → None."""
        text = (text or "").strip().lower()
        if text in ("", "none", "off", "0"):
            return None
        kinds_part, _, rate_part = text.rpartition("@") if "@" in text else ("", "", text)
        try:
            rate = float(rate_part)
        except ValueError:
            kinds_part, rate = rate_part, DEFAULT_RATE_PER_HOUR
        kinds = tuple(k.strip() for k in kinds_part.split(",") if k.strip()) or KINDS
        return cls(rate_per_hour=rate, kinds=kinds)


@dataclass
class Anomaly:
    """One injected fault; ``start``/``end`` are POSIX seconds (UTC), end exclusive."""

    satellite_id: str
    metric: str
    kind: str
    start: float
    end: float
    magnitude: float  # peak offset in the metric's unit (unsigned; 0 for stuck)
    held: float | None = None  # signed offset or stuck reading, fixed at the first sample

    def label(self) -> dict[str, Any]:
        """The ground-truth record written to the labels file."""
        record: dict[str, Any] = {
            "satellite_id": self.satellite_id,
            "metric": self.metric,
            "kind": self.kind,
            "start": format_time(datetime.fromtimestamp(self.start, UTC)),
            "end": format_time(datetime.fromtimestamp(self.end, UTC)),
        }
        if self.kind == "stuck":
            record["value"] = None if self.held is None else round(self.held, 4)
        else:  # offset at the peak, signed once the first sample is seen
            record["magnitude"] = round(self.magnitude if self.held is None else self.held, 4)
        return record


class AnomalyInjector:
    """Schedules one satellite's anomalies and applies them to blocks of samples."""

    def __init__(
        self,
        satellite_id: str,
        rng: np.random.Generator,
        spec: AnomalySpec,
        t0: float,
        step_s: float,
        on_label: Callable[[Anomaly], None] | None = None,
    ) -> None:
        self.satellite_id, self.rng, self.spec, self.step_s = satellite_id, rng, spec, step_s
        self.on_label = on_label
        self.active: list[Anomaly] = []
        self.next_start = t0 + self._gap()

    def apply(self, t: np.ndarray, values: dict[str, np.ndarray]) -> list[Anomaly]:
        """Modify ``values`` in place for sample times ``t``; returns anomalies begun here."""
        started = []
        block_end = float(t[-1]) + self.step_s / 2
        while self.next_start <= block_end:
            anomaly = self._draw(self.next_start)
            self.active.append(anomaly)
            started.append(anomaly)
            self.next_start = anomaly.end + self._gap()
        for anomaly in self.active:
            _apply_one(anomaly, t, values[anomaly.metric])
        self.active = [a for a in self.active if a.end > block_end]
        for anomaly in started:
            if self.on_label:
                self.on_label(anomaly)
        return started

    def _gap(self) -> float:
        return float(self.rng.exponential(3600.0 / self.spec.rate_per_hour))

    def _draw(self, start: float) -> Anomaly:
        kind = str(self.rng.choice(self.spec.kinds))
        metric = str(self.rng.choice(self.spec.metrics))
        if kind == "spike":
            duration = self.step_s * int(self.rng.integers(1, 4))
            magnitude = SCALE[metric] * float(self.rng.uniform(1.0, 2.0))
        elif kind == "drift":
            duration = float(self.rng.uniform(*DRIFT_S))
            magnitude = SCALE[metric] * float(self.rng.uniform(0.5, 1.0))
        else:
            duration = float(self.rng.uniform(*STUCK_S))
            magnitude = 0.0
        return Anomaly(self.satellite_id, metric, kind, start, start + duration, magnitude)


def _apply_one(anomaly: Anomaly, t: np.ndarray, series: np.ndarray) -> None:
    inside = (t >= anomaly.start) & (t < anomaly.end)
    if not inside.any():
        return
    if anomaly.held is None:  # first affected sample: fix the stuck value or the direction
        first = float(series[np.argmax(inside)])
        if anomaly.kind == "stuck":
            anomaly.held = first
        else:
            _, low, high = METRICS[anomaly.metric]
            anomaly.held = anomaly.magnitude if high - first >= first - low else -anomaly.magnitude
    if anomaly.kind == "stuck":
        series[inside] = anomaly.held
    elif anomaly.kind == "spike":
        series[inside] += anomaly.held
    else:
        progress = (t[inside] - anomaly.start) / (anomaly.end - anomaly.start)
        series[inside] += anomaly.held * progress
