"""What the alarm-evaluator reads besides limits, pure: a satellite's cadence, when its
silence makes it stale, the anomaly score of a completed forecast, and the words of
every alarm message.

- **Staleness**: a satellite is stale once no sample newer than its last one came for
  ``factor`` × its cadence (at least ``min_s``); its alarm is dated to that moment
  (last sample + the allowance), so it does not depend on when a tick noticed it.
  Fresh data returns it to normal.
- **Cadence**: the spacing of a satellite's samples, smoothed (each new spacing counts
  a fifth, and a gap counts at most four cadences, so one outage barely moves it).
- **ML anomaly**: a completed forecast of the anomaly model whose ``anomaly_score``
  passes its threshold raises an ``anomaly`` alarm on that series; the next one under
  the threshold returns it. The threshold is the outcome's own ``anomaly_threshold``
  when it carries one, else the configured default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cloudevents.http import CloudEvent

from satmon.contract.events import METRICS, EventError
from satmon.contract.forecast import parse_outcome
from satmon.contract.limits import LimitSet
from satmon.store.alarm_state import Seen

CADENCE_WEIGHT = 0.2
GAP_CAP = 4.0


@dataclass(frozen=True, slots=True)
class Completion:
    """A completed forecast of the anomaly model, as the evaluator judges it."""

    satellite_id: str
    metric: str
    end_ms: int  # the newest point of the window the model read
    score: float
    threshold: float
    model: str


def cadence(previous: Seen | None, stamps_ms: Sequence[int]) -> float | None:
    """The satellite's sample spacing (s) after these new samples (ascending, fresh)."""
    cad = previous.cadence_s if previous is not None else None
    last = previous.last_ms if previous is not None else None
    for ms in stamps_ms:
        if last is not None and ms > last:
            gap = (ms - last) / 1000.0
            if cad is None:
                cad = gap
            else:
                cad += CADENCE_WEIGHT * (min(gap, GAP_CAP * cad) - cad)
        last = ms
    return cad


def stale_allowance_s(cadence_s: float | None, factor: float, min_s: float) -> float:
    """How long a satellite may stay silent: ``factor`` × cadence, at least ``min_s``."""
    return max(min_s, factor * (cadence_s or 1.0))


def completion(
    event: CloudEvent, anomaly_model: str, default_threshold: float
) -> Completion | None:
    """A ``forecast.completed`` outcome to judge, or None when it is not the anomaly model's
    or has no score (EventError when the data is not an outcome)."""
    outcome = parse_outcome(event)
    data = event.get_data()
    if outcome.model != anomaly_model or outcome.anomaly_score is None:
        return None
    stamps = outcome.input_timestamps or []
    if not stamps:
        raise EventError(
            "a completed forecast needs input_timestamps", field="data.input_timestamps"
        )
    threshold = data.get("anomaly_threshold") if isinstance(data, Mapping) else None
    if not isinstance(threshold, int | float) or isinstance(threshold, bool):
        threshold = default_threshold
    metric = outcome.metric.removeprefix("satellite_")
    if metric not in METRICS:
        raise EventError(f"unknown metric {outcome.metric!r}", field="data.metric")
    return Completion(
        outcome.satellite_id,
        metric,
        int(max(stamps).timestamp() * 1000),
        float(outcome.anomaly_score),
        float(threshold),
        outcome.model,
    )


def limit_message(metric: str, value: float, limits: LimitSet, level: int) -> str:
    unit = METRICS[metric][0]
    colour = "red" if level >= 2 else "yellow"
    low, high = (
        (limits.red_low, limits.red_high) if level >= 2 else (limits.yellow_low, limits.yellow_high)
    )
    if high is not None and value > high:
        return f"{metric} {value:g} {unit} above the {colour} high limit {high:g} {unit}"
    if low is not None and value < low:
        return f"{metric} {value:g} {unit} below the {colour} low limit {low:g} {unit}"
    return f"{metric} {value:g} {unit} beyond the {colour} limits"


def stale_message(
    satellite_id: str, last_ms: int, cadence_s: float | None, allowance_s: float
) -> str:
    last = datetime.fromtimestamp(last_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    every = f"{cadence_s:.3g} s" if cadence_s else "unknown"
    return (
        f"no telemetry from {satellite_id} since {last} UTC: silent for over {allowance_s:.3g} s "
        f"(cadence {every})"
    )


def anomaly_message(c: Completion) -> str:
    end = datetime.fromtimestamp(c.end_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"{c.metric} anomaly score {c.score:.3f} over the threshold {c.threshold:g} "
        f"({c.model}, window ending {end} UTC)"
    )
