"""Telemetry events → the seven ``satellite_*`` samples each → one VictoriaMetrics import.

Idempotent: samples carry the telemetry's own timestamp and VictoriaMetrics runs
with ``-dedup.minScrapeInterval=1ms``, so a redelivered event leaves one sample per
series and timestamp. A schema failure is permanent (400 / rejected in a batch); an
unreachable or failing VictoriaMetrics is transient (raise → 503 → retry).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

from cloudevents.http import CloudEvent

from satmon.events import (
    METRIC_PREFIX,
    METRICS,
    TYPE_TELEMETRY,
    EventError,
    Telemetry,
    parse_telemetry,
)
from satmon.pipeline.cloudevent_http import is_json_media
from satmon.pipeline.host import Rejected


class TelemetrySink(Protocol):
    """What the writer needs of ``satmon.vm.VictoriaMetrics``."""

    def import_lines(self, body: bytes) -> None: ...


def telemetry_from_event(event: CloudEvent) -> Telemetry:
    """The validated sample of one telemetry event; EventError names the field at fault."""
    if event["type"] != TYPE_TELEMETRY:
        raise EventError(f"expected {TYPE_TELEMETRY}, got {event['type']!r}", field="type")
    content_type = event.get("datacontenttype")
    if content_type and not is_json_media(content_type):
        raise EventError(
            f"telemetry data must be JSON, not {content_type!r}", field="datacontenttype"
        )
    return parse_telemetry(event.get_data())


def write_event(sink: TelemetrySink, event: CloudEvent) -> int:
    """One event: raises EventError (permanent) or TransientError; returns samples written."""
    return write_samples(sink, [telemetry_from_event(event)])


def write_events(sink: TelemetrySink, events: Sequence[CloudEvent]) -> list[Rejected]:
    """A batch: write every valid event in one import, return the invalid ones.

    A TransientError from the sink propagates: nothing of the batch is acknowledged and
    the whole batch is redelivered (rewriting the good samples is harmless).
    """
    samples: list[Telemetry] = []
    rejected: list[Rejected] = []
    for position, event in enumerate(events):
        try:
            samples.append(telemetry_from_event(event))
        except EventError as exc:
            rejected.append(Rejected(position, str(exc), exc.field))
    if samples:
        write_samples(sink, samples)
    return rejected


def write_samples(sink: TelemetrySink, samples: Sequence[Telemetry]) -> int:
    """One import request; returns the number of samples (7 per telemetry) written."""
    sink.import_lines(import_body(samples))
    return len(samples) * len(METRICS)


def import_body(samples: Sequence[Telemetry]) -> bytes:
    """JSON lines for /api/v1/import, one line per series (metric × satellite) of the batch.

    Grouping a batch's samples by series makes the body and VictoriaMetrics' parsing
    several times cheaper than one line per sample when a batch holds many samples
    of each satellite. Repeated timestamps are fine (the server dedupes them).
    """
    by_sat: dict[str, tuple[list[int], list[Telemetry]]] = {}
    for sample in samples:
        entry = by_sat.setdefault(sample.satellite_id, ([], []))
        entry[0].append(sample.timestamp_ms)
        entry[1].append(sample)
    lines: list[str] = []
    for sat, (stamps, group) in by_sat.items():
        sat_json = json.dumps(sat)
        stamps_json = json.dumps(stamps)
        for metric in METRICS:
            values = json.dumps([float(getattr(s, metric)) for s in group])
            lines.append(
                f'{{"metric":{{"__name__":"{METRIC_PREFIX}{metric}","satellite_id":{sat_json}}},'
                f'"values":{values},"timestamps":{stamps_json}}}\n'
            )
    return "".join(lines).encode()
