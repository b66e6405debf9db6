"""What reaches the alarm-evaluator, sorted into what it judges: telemetry samples,
completed forecasts (ML anomaly), PingSource ticks (staleness, shelve expiry, the
outbox) — and the events it can never process, with their reason.

Batches arrive as parsed JSON items (the host's fast path): telemetry in the
contract's plain shape is read by the telemetry-writer's own ``fast_sample``; every
other item goes through the reference decoders, which also word the rejections.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudevents.http import CloudEvent

from satmon.contract.events import TYPE_FORECAST_COMPLETED, TYPE_TELEMETRY, EventError
from satmon.contract.forecast import TYPE_PING
from satmon.contract.http import HttpProblem, decode_structured, rejection
from satmon.contract.rejections import Rejected
from satmon.pipeline.alarm_signals import Completion, completion
from satmon.pipeline.telemetry_writer import fast_sample, telemetry_from_event

ACCEPTED_TYPES = (TYPE_TELEMETRY, TYPE_FORECAST_COMPLETED, TYPE_PING)


@dataclass(frozen=True, slots=True)
class Sample:
    """One telemetry sample: satellite, its own time (ms), values in ``METRICS`` order."""

    satellite_id: str
    ms: int
    values: tuple[float, ...]


@dataclass
class Inputs:
    samples: list[Sample] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)
    ticks: list[datetime | None] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.samples or self.completions or self.ticks)


@dataclass(frozen=True)
class Judging:
    """How completed forecasts are judged (``settings``: ``alarm_anomaly_*``)."""

    anomaly_model: str = "vae_timeseries"
    anomaly_threshold: float = 0.8


def from_items(items: Sequence[Any], judging: Judging) -> tuple[Inputs, list[dict[str, Any]]]:
    """A parsed batch array → inputs and the batch answer's ``rejected`` entries."""
    inputs = Inputs()
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        sample = fast_sample(item)
        if sample is not None:
            inputs.samples.append(Sample(*sample))
            continue
        ident = item if isinstance(item, dict) else {}
        try:
            event = decode_structured(item)
        except HttpProblem as exc:
            rejected.append(
                rejection(index, ident.get("id"), ident.get("source"), exc.detail, exc.field)
            )
            continue
        try:
            add_event(inputs, event, judging)
        except EventError as exc:
            rejected.append(rejection(index, event["id"], event["source"], str(exc), exc.field))
    return inputs, rejected


def from_events(events: Sequence[CloudEvent], judging: Judging) -> tuple[Inputs, list[Rejected]]:
    """Decoded events → inputs and the positions of those that can never be processed."""
    inputs = Inputs()
    rejected: list[Rejected] = []
    for position, event in enumerate(events):
        try:
            add_event(inputs, event, judging)
        except EventError as exc:
            rejected.append(Rejected(position, str(exc), exc.field))
    return inputs, rejected


def add_event(inputs: Inputs, event: CloudEvent, judging: Judging) -> None:
    """Sort one event into ``inputs``; EventError for a type or data it cannot take."""
    kind = event["type"]
    if kind == TYPE_TELEMETRY:
        telemetry = telemetry_from_event(event)
        values = tuple(telemetry.metric_values().values())
        inputs.samples.append(Sample(telemetry.satellite_id, telemetry.timestamp_ms, values))
    elif kind == TYPE_FORECAST_COMPLETED:
        judged = completion(event, judging.anomaly_model, judging.anomaly_threshold)
        if judged is not None:
            inputs.completions.append(judged)
    elif kind == TYPE_PING:
        inputs.ticks.append(_time(event))
    else:
        raise EventError(
            f"the alarm-evaluator takes {', '.join(ACCEPTED_TYPES)}; not {kind!r}", field="type"
        )


def _time(event: CloudEvent) -> datetime | None:
    raw = event.get("time")
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
