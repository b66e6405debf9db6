"""The telemetry-writer's batch hot path: the request body scanned in compiled code.

:func:`write_batch_body` hands the raw batch to ``_telemetry_scan.scan`` (C, built by
``make install``), which writes the import lines of every event in the contract's plain
shape without a Python object per event and returns the byte spans of the items it left
alone; those take the Python path (``telemetry_writer.take_item``: ``fast_sample``, then
the reference decoders). The answer is the one :func:`telemetry_writer.write_batch_items`
gives for the parsed array, whatever the batch holds (tests compare both). A body the
scan cannot delimit, or an item orjson refuses, returns None: the caller then parses the
whole body as before, so that its error is worded by the reference.

:func:`scan_samples` is the same scan for the alarm-evaluator (``alarm_inputs.from_body``):
the plain events' samples grouped by satellite instead of import lines.

Without a C compiler at install time the module is missing: :data:`COMPILED` is False
and the host takes the parsed path (the same answers at several times the CPU per event).
"""

from __future__ import annotations

from typing import Any

from orjson import loads

from satmon.clients.vm import SERIES_HEADS, ImportLines
from satmon.contract.events import METRICS, TYPE_TELEMETRY
from satmon.pipeline.telemetry_writer import (
    PLAIN_ATTRIBUTES,
    PLAIN_LIMITS,
    TelemetrySink,
    take_item,
)

try:
    from satmon.pipeline import _telemetry_scan  # type: ignore[attr-defined]
except ImportError:  # built by `make install` where a C compiler is found
    _telemetry_scan = None

COMPILED = _telemetry_scan is not None
"""Whether the compiled scan is there (``make install`` builds it where a C compiler is)."""

if _telemetry_scan is not None:
    _telemetry_scan.configure(
        TYPE_TELEMETRY.encode(),
        tuple(a.encode() for a in PLAIN_ATTRIBUTES),
        tuple(m.encode() for m in METRICS),
        SERIES_HEADS,
        PLAIN_LIMITS,
    )


def write_batch_body(sink: TelemetrySink, body: bytes) -> tuple[int, list[dict[str, Any]]] | None:
    """One import of every good event of a raw batch body: (items, rejected entries).

    None when the compiled scan is missing or the body needs parsing as a whole (not an
    array it can delimit, an item orjson refuses); nothing is written then. A
    TransientError from the sink propagates (nothing acknowledged, the batch is retried).
    """
    if _telemetry_scan is None:
        return None
    scanned = _telemetry_scan.scan(body)
    if scanned is None:
        return None
    plain, count, rest = scanned
    rejected: list[dict[str, Any]] = []
    lines = ImportLines()
    for index, start, end in rest:
        try:
            item = loads(body[start:end])
        except ValueError:
            return None
        take_item(index, item, lines, rejected)
    if lines:
        plain += lines.body()
    if plain:
        sink.import_lines(plain)
    return count, rejected


ScannedSamples = tuple[
    list[tuple[str, tuple[int, ...], tuple[tuple[float, ...], ...]]],
    int,
    list[tuple[int, int, int]],
]
"""([(satellite, stamps in ms, the seven metrics' columns)], items, [(index, start, end)])."""


def scan_samples(body: bytes) -> ScannedSamples | None:
    """The samples of a raw batch body's plain telemetry events, per satellite in the order
    first seen, the number of items and the byte spans of the items left to Python; None
    when the compiled scan is missing or the body needs parsing as a whole."""
    samples = getattr(_telemetry_scan, "samples", None)  # an older build lacks it
    if samples is None:
        return None
    scanned: ScannedSamples | None = samples(body)
    return scanned
