"""What reaches the alarm-evaluator, sorted into what it judges: telemetry samples,
completed forecasts (ML anomaly), PingSource ticks (staleness, shelve expiry, the
outbox) — and the events it can never process, with their reason.

Batches arrive as raw bodies (the host's hot path): :func:`from_body` has the compiled
scan (``_telemetry_scan.samples``) read every telemetry event in the contract's plain
shape straight from the bytes, grouped by satellite, and hands the other items to the
Python path. Where the scan is missing or gives up, the body is parsed and
:func:`from_items` answers: plain telemetry is read by the telemetry-writer's own
``fast_sample``, every other item by the reference decoders, which also word the
rejections. Both give the same inputs and rejections for any body (tests compare them).

Telemetry is kept per satellite as :class:`SatelliteSamples`: times and the seven
metrics as columns, the shape the evaluator judges (a metric's whole column at once).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudevents.http import CloudEvent
from orjson import loads

from satmon.contract.events import TYPE_FORECAST_COMPLETED, TYPE_TELEMETRY, EventError
from satmon.contract.forecast import TYPE_PING
from satmon.contract.http import HttpProblem, decode_structured, rejection
from satmon.contract.rejections import Rejected
from satmon.pipeline.alarm_signals import Completion, completion
from satmon.pipeline.telemetry_body import scan_samples
from satmon.pipeline.telemetry_writer import fast_sample, telemetry_from_event

ACCEPTED_TYPES = (TYPE_TELEMETRY, TYPE_FORECAST_COMPLETED, TYPE_PING)


@dataclass(frozen=True, slots=True)
class SatelliteSamples:
    """One satellite's samples of a batch, in arrival order: their own times (ms) and, per
    metric in ``METRICS`` order, the values aligned with them."""

    stamps: tuple[int, ...]
    columns: tuple[tuple[float, ...], ...]

    @property
    def ascending(self) -> bool:
        """Whether every sample is newer than the one before."""
        stamps = self.stamps
        return all(map(operator.lt, stamps, stamps[1:]))

    def only(self, indices: Sequence[int]) -> SatelliteSamples:
        """The samples at these positions."""
        return SatelliteSamples(
            tuple(self.stamps[i] for i in indices),
            tuple(tuple(column[i] for i in indices) for column in self.columns),
        )


@dataclass
class Inputs:
    telemetry: dict[str, SatelliteSamples] = field(default_factory=dict)
    """Per satellite, in the order first seen."""
    completions: list[Completion] = field(default_factory=list)
    ticks: list[datetime | None] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.telemetry or self.completions or self.ticks)


class _Samples:
    """Telemetry samples as they come, one at a time, grouped by satellite."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[list[int], list[tuple[float, ...]]]] = {}

    def add(self, satellite_id: str, ms: int, values: tuple[float, ...]) -> None:
        group = self.rows.get(satellite_id)
        if group is None:
            group = self.rows[satellite_id] = ([], [])
        group[0].append(ms)
        group[1].append(values)

    def grouped(self) -> dict[str, SatelliteSamples]:
        return {
            sat: SatelliteSamples(tuple(stamps), tuple(zip(*rows, strict=True)))
            for sat, (stamps, rows) in self.rows.items()
        }


@dataclass(frozen=True)
class Judging:
    """How completed forecasts are judged (``settings``: ``alarm_anomaly_*``)."""

    anomaly_model: str = "vae_timeseries"
    anomaly_threshold: float = 0.8


def from_body(body: bytes, judging: Judging) -> tuple[Inputs, int, list[dict[str, Any]]] | None:
    """A raw batch body → inputs, the number of items and the ``rejected`` entries, as
    :func:`from_items` answers for the parsed array; None when the compiled scan is
    missing or the body must be parsed as a whole (the caller then parses it).

    The items the scan leaves alone are parsed one by one; should one of them be
    telemetry, its place among the scanned samples matters, so the whole body is then
    left to the parsed path too (it never happens for the contract's own events).
    """
    scanned = scan_samples(body)
    if scanned is None:
        return None
    groups, count, rest = scanned
    inputs = Inputs()
    rejected: list[dict[str, Any]] = []
    samples = _Samples()
    for index, start, end in rest:
        try:
            item = loads(body[start:end])
        except ValueError:
            return None
        take_item(index, item, inputs, samples, rejected, judging)
        if samples.rows:
            return None
    inputs.telemetry = {sat: SatelliteSamples(stamps, columns) for sat, stamps, columns in groups}
    return inputs, count, rejected


def from_items(items: Sequence[Any], judging: Judging) -> tuple[Inputs, list[dict[str, Any]]]:
    """A parsed batch array → inputs and the batch answer's ``rejected`` entries."""
    inputs = Inputs()
    rejected: list[dict[str, Any]] = []
    samples = _Samples()
    for index, item in enumerate(items):
        take_item(index, item, inputs, samples, rejected, judging)
    inputs.telemetry = samples.grouped()
    return inputs, rejected


def take_item(
    index: int,
    item: Any,
    inputs: Inputs,
    samples: _Samples,
    rejected: list[dict[str, Any]],
    judging: Judging,
) -> None:
    """One item of a batch: its sample into ``samples``, another input into ``inputs``, or
    its rejection into ``rejected``."""
    sample = fast_sample(item)
    if sample is not None:
        samples.add(*sample)
        return
    ident = item if isinstance(item, dict) else {}
    try:
        event = decode_structured(item)
    except HttpProblem as exc:
        rejected.append(
            rejection(index, ident.get("id"), ident.get("source"), exc.detail, exc.field)
        )
        return
    try:
        add_event(inputs, samples, event, judging)
    except EventError as exc:
        rejected.append(rejection(index, event["id"], event["source"], str(exc), exc.field))


def from_events(events: Sequence[CloudEvent], judging: Judging) -> tuple[Inputs, list[Rejected]]:
    """Decoded events → inputs and the positions of those that can never be processed."""
    inputs = Inputs()
    rejected: list[Rejected] = []
    samples = _Samples()
    for position, event in enumerate(events):
        try:
            add_event(inputs, samples, event, judging)
        except EventError as exc:
            rejected.append(Rejected(position, str(exc), exc.field))
    inputs.telemetry = samples.grouped()
    return inputs, rejected


def add_event(inputs: Inputs, samples: _Samples, event: CloudEvent, judging: Judging) -> None:
    """Sort one event into ``samples`` (telemetry) or ``inputs``; EventError for a type or
    data it cannot take."""
    kind = event["type"]
    if kind == TYPE_TELEMETRY:
        telemetry = telemetry_from_event(event)
        values = tuple(telemetry.metric_values().values())
        samples.add(telemetry.satellite_id, telemetry.timestamp_ms, values)
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
