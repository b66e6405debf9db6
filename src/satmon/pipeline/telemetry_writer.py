"""Telemetry events → the seven ``satellite_*`` samples each → one VictoriaMetrics import.

Batches take a fast path (:func:`write_batch_items`): the parsed JSON array goes
straight to import lines, no CloudEvent or pydantic object per event. Only events in
the plain, unambiguous shape the contract describes are taken that way (see
:func:`fast_sample`); any other goes through the reference decoders
(``decode_structured`` + the pydantic ``Telemetry``), which also word every rejection.

Idempotent: samples carry the telemetry's own timestamp and VictoriaMetrics runs
with ``-dedup.minScrapeInterval=1ms``, so a redelivered event leaves one sample per
series and timestamp. A schema failure is permanent (400 / rejected in a batch); an
unreachable or failing VictoriaMetrics is transient (raise → 503 → retry).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from cloudevents.http import CloudEvent

from satmon.clients.vm import ImportLines, VictoriaMetrics, telemetry_import_body
from satmon.contract.events import (
    METRICS,
    PHYSICAL_LIMITS,
    TYPE_TELEMETRY,
    EventError,
    Telemetry,
    parse_telemetry,
)
from satmon.contract.http import (
    HttpProblem,
    decode_structured,
    is_json_media,
    rejection,
    valid_time,
)
from satmon.contract.rejections import Rejected, parse_each

# ``satmon.clients.vm`` is imported with the function (before gunicorn forks its workers), not
# on the first batch: it pulls in httpx, about a second of CPU on a busy host, which the first
# events of every worker would otherwise wait for. Importing connects nothing; the client
# itself is created on first use (``satmon.fnhost.clients``).
PRELOADED = (VictoriaMetrics,)


class TelemetrySink(Protocol):
    """What the writer needs of ``satmon.clients.vm.VictoriaMetrics``."""

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
    samples, rejected = parse_each(events, telemetry_from_event)
    if samples:
        write_samples(sink, samples)
    return rejected


def write_batch_items(sink: TelemetrySink, items: Sequence[Any]) -> list[dict[str, Any]]:
    """A parsed batch (the JSON array's items): one import of every good event.

    Returns the ``rejected`` entries of the batch answer (pipeline/README.md), in index
    order, worded exactly as the reference path words them. A TransientError from the
    sink propagates (nothing acknowledged, the batch is retried).
    """
    lines = ImportLines()
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        take_item(index, item, lines, rejected)
    if lines:
        sink.import_lines(lines.body())
    return rejected


def take_item(index: int, item: Any, lines: ImportLines, rejected: list[dict[str, Any]]) -> None:
    """One item of a batch: its sample into ``lines``, or its rejection into ``rejected``."""
    sample = fast_sample(item)
    if sample is not None:
        lines.add(*sample)
        return
    try:
        event = decode_structured(item)
    except HttpProblem as exc:
        ident = item if isinstance(item, dict) else {}
        rejected.append(
            rejection(index, ident.get("id"), ident.get("source"), exc.detail, exc.field)
        )
        return
    try:
        telemetry = telemetry_from_event(event)
    except EventError as exc:
        rejected.append(rejection(index, event["id"], event["source"], str(exc), exc.field))
        return
    lines.add_telemetry(telemetry)


def write_samples(sink: TelemetrySink, samples: Sequence[Telemetry]) -> int:
    """One import request; returns the number of samples (7 per telemetry) written."""
    sink.import_lines(telemetry_import_body(samples))
    return len(samples) * len(METRICS)


# --- the fast path -----------------------------------------------------------------------

Sample = tuple[str, int, tuple[float, ...]]
"""(satellite id, timestamp in ms, the seven metric values in ``METRICS`` order)."""

PLAIN_ATTRIBUTES = (
    "id",
    "source",
    "specversion",
    "type",
    "time",
    "subject",
    "datacontenttype",
    "partitionkey",
)
"""The attributes a plain telemetry event may carry (this order is the compiled scan's)."""
_PLAIN_ATTRIBUTES = frozenset(PLAIN_ATTRIBUTES)
_ITEM_KEYS = _PLAIN_ATTRIBUTES | {"data"}
_DATA_KEYS = frozenset(("satellite_id", "timestamp", *METRICS))
_NUMBER_TYPES = frozenset((int, float))
_FLOAT_ONLY = frozenset((float,))
_metric_values = operator.itemgetter(*METRICS)
_SATELLITE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:Z|([+-])(\d{2}):(\d{2}))",
    re.ASCII,  # \d would also take other scripts' digits, which the reference refuses
)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_INT_LIMIT = 2**53
_COLDEST, _LOWEST, _LEAST_VOLTAGE = (
    PHYSICAL_LIMITS[m][0] for m in ("temperature", "altitude", "battery")
)
_SLOWEST, _FASTEST = PHYSICAL_LIMITS["velocity"]
"""The contract's physical limits the fast path checks too (the reference would refuse)."""
PLAIN_LIMITS = (_COLDEST, _LOWEST, _SLOWEST, _FASTEST, _LEAST_VOLTAGE)
"""The same limits in the order the compiled scan takes them (``telemetry_body``)."""


def fast_sample(item: Any) -> Sample | None:
    """The sample of a structured telemetry event in the contract's plain shape, else None.

    None means "not sure", never "invalid": the caller then asks the reference decoders.
    Whatever this accepts, ``decode_structured`` + ``telemetry_from_event`` accept too,
    with the same values and the same millisecond timestamp (tests compare both).
    """
    if type(item) is not dict:
        return None
    data = item.get("data")
    if type(data) is not dict or data.keys() != _DATA_KEYS or not item.keys() <= _ITEM_KEYS:
        return None
    if operator.countOf(map(type, item.values()), str) != len(item) - 1:  # every attribute a string
        return None
    if (
        item.get("specversion") != "1.0"
        or item.get("type") != TYPE_TELEMETRY
        or not item.get("id")
        or not item.get("source")
        or item.get("datacontenttype", "application/json") != "application/json"
    ):
        return None
    satellite = data["satellite_id"]
    if type(satellite) is not str or not _known_satellite(satellite):
        return None
    stamp = data["timestamp"]
    ms = _timestamp_ms(stamp) if type(stamp) is str else None
    if ms is None:
        return None
    time = item.get("time")
    if time is not None and time != stamp and not valid_time(time):
        return None
    values: tuple[float, ...] = _metric_values(data)
    types = set(map(type, values))
    if types != _FLOAT_ONLY:  # ints are taken as floats; bool, str, None, … → not sure
        if not types <= _NUMBER_TYPES:
            return None
        if int in types and not all(-_INT_LIMIT <= v <= _INT_LIMIT for v in values):
            return None
        values = tuple(map(float, values))
    temperature, altitude, velocity, battery, solar, latitude, longitude = values
    if not (
        math.isfinite(temperature + altitude + velocity + battery + solar)
        and -90.0 <= latitude <= 90.0
        and -180.0 <= longitude <= 180.0
        and temperature >= _COLDEST
        and altitude >= _LOWEST
        and _SLOWEST <= velocity <= _FASTEST
        and battery >= _LEAST_VOLTAGE
    ):
        return None
    return satellite, ms, values


def _known_satellite(satellite: str) -> bool:
    """Whether the id has the contract's shape; ids seen valid are remembered (a fleet
    reuses a few hundred ids, each checked once)."""
    if satellite in _VALID_SATELLITES:
        return True
    if not _SATELLITE_ID.fullmatch(satellite):
        return False
    if len(_VALID_SATELLITES) >= 65536:
        _VALID_SATELLITES.clear()
    _VALID_SATELLITES.add(satellite)
    return True


_VALID_SATELLITES: set[str] = set()


def _timestamp_ms(text: str) -> int | None:
    """RFC 3339 with an upper-case ``T`` and ``Z`` or ±HH:MM offset → ms, as
    ``Telemetry.timestamp_ms`` computes it (float seconds × 1000, truncated).

    The shape producers send (``YYYY-MM-DDTHH:MM:SS.fffZ``) is read in pieces: the
    minute (``YYYY-MM-DDTHH:MM``, shared by every event of that minute) is parsed once
    by the general path below and remembered, then only seconds and milliseconds are
    read per event.
    """
    if len(text) == 24 and text[23] == "Z" and text[19] == "." and text[16] == ":":
        minute = _MINUTES.get(text[:16])
        if minute is None:
            minute = _minute_seconds(text[:16])
        second, fraction = text[17:19], text[20:23]
        if (
            minute >= 0
            and (second + fraction).isascii()
            and second.isdigit()
            and fraction.isdigit()
            and second <= "59"
        ):
            micros = (minute + int(second)) * 1_000_000 + int(fraction) * 1000
            return int(micros / 1_000_000 * 1000)
    return _timestamp_ms_general(text)


_MINUTES: dict[str, int] = {}
"""``YYYY-MM-DDTHH:MM`` → epoch seconds of that minute, -1 when it is not valid."""


def _minute_seconds(head: str) -> int:
    ms = _timestamp_ms_general(head + ":00Z")
    seconds = -1 if ms is None else ms // 1000
    if len(_MINUTES) >= 4096:
        _MINUTES.clear()
    _MINUTES[head] = seconds
    return seconds


def _timestamp_ms_general(text: str) -> int | None:
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    if not ("1971" <= year <= "9998" and hour <= "23" and minute <= "59" and second <= "59"):
        return None
    try:
        days = date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
    seconds = days * 86400 + int(hour) * 3600 + int(minute) * 60 + int(second)
    if sign is not None:
        if off_h > "23" or off_m > "59":
            return None
        offset = int(off_h) * 3600 + int(off_m) * 60
        seconds -= offset if sign == "+" else -offset
    micros = seconds * 1_000_000 + (int(fraction.ljust(6, "0")) if fraction else 0)
    return int(micros / 1_000_000 * 1000)
