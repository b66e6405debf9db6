"""Dead-lettered events → rows of ``dead_letters`` (``satmon.store.dead_letters``).

Two kinds of event arrive from the ``<topic>.dlq`` topics:

- a CloudEvent the dispatcher gave up on: its own attributes, plus the extensions the
  dispatcher added (``knativeerrordest``, ``knativeerrorcode``, ``knativeerrordata``
  base64, ``satmonattempts``, ``satmonreason``, ``satmonorigin``);
- a record that never was a CloudEvent (bad JSON, a missing attribute, a header that is
  not UTF-8), which the KafkaSource wraps as Knative does: type
  ``dev.knative.kafka.event``, id ``partition:<p>/offset:<o>``, every record header an
  extension ``kafkaheader<name>`` (``ce_satmonreason`` → ``kafkaheadercesatmonreason``),
  the record's value as data.

Both become the same row: the original attributes, the reason, the subscriber's last
answer and the body, truncated to ``BODY_MAX_CHARS``. A row is known by the original
source and id, so a redelivered dead letter changes nothing. Where the original had no
id or source, by the wrapper's (the dead letter's own partition and offset), and where a
wrapped record's id or source lost bytes that were not UTF-8 (two bad ids may then read
the same), by the record it came from (``satmonorigin``, topic/partition/offset); either
position is followed by ``@`` and the record's time, which a redelivery keeps and a
topic made anew (offsets from 0 again) does not share. Nothing is ever
refused (a dead letter of a dead letter has nowhere to go); PostgreSQL being down is a
retry.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent

from satmon.contract.dead_letters import DEAD_LETTER_EXTENSIONS
from satmon.contract.events import DLQ_SUFFIX
from satmon.contract.http import valid_time
from satmon.contract.rejections import Rejected
from satmon.store.dead_letters import DeadLetterRow, insert_rows

log = logging.getLogger(__name__)

WRAPPED_TYPE = "dev.knative.kafka.event"
HEADER_PREFIX = "kafkaheader"
ATTRIBUTE_PREFIX = HEADER_PREFIX + "ce"
"""A wrapped record's ``ce_<name>`` header, as an extension (Knative drops the ``_``)."""
BODY_MAX_CHARS = 8192


def store_dead_letters(pool: Any, events: Sequence[CloudEvent]) -> list[Rejected]:
    """Store every event (a redelivered one changes nothing); nothing is rejected."""
    rows = [row_from_event(e) for e in events]
    if rows:
        insert_rows(pool, rows)
    for row in rows:
        log.info(
            "stored dead letter from %s: %s",
            row.original_topic,
            row.reason,
            extra={"event_id": row.event_id, "ce_source": row.source, "ce_type": row.event_type},
        )
    return []


def row_from_event(event: CloudEvent, now: datetime | None = None) -> DeadLetterRow:
    """The row one dead letter describes."""
    attributes = {k: str(v) for k, v in event.get_attributes().items() if v is not None}
    wrapped = attributes.get("type") == WRAPPED_TYPE and any(
        k.startswith(HEADER_PREFIX) for k in attributes
    )
    original, errors, received = _split(attributes, wrapped)
    dead_lettered_at = now or datetime.now(UTC)
    if wrapped and valid_time(attributes.get("time", "")):
        dead_lettered_at = _parse_time(attributes["time"])
    origin = errors.get("satmonorigin") or None
    error_data = _error_data(errors.get("knativeerrordata"))
    body, encoding, size, truncated = body_text(event.get_data())
    source, event_id = _identity(attributes, original, wrapped, origin)
    return DeadLetterRow(
        source=source,
        event_id=event_id,
        original_topic=_original_topic(origin, received),
        origin=origin,
        event_type=original.get("type"),
        subject=original.get("subject"),
        reason=_reason(errors, original, error_data),
        error_code=_int(errors.get("knativeerrorcode")),
        error_dest=errors.get("knativeerrordest"),
        error_data=error_data,
        attempts=_int(errors.get("satmonattempts")),
        attributes=original,
        body=body,
        body_encoding=encoding,
        body_bytes=size,
        body_truncated=truncated,
        event_time=_parse_time(original["time"]) if valid_time(original.get("time", "")) else None,
        dead_lettered_at=dead_lettered_at,
    )


def _identity(
    attributes: Mapping[str, str], original: Mapping[str, str], wrapped: bool, origin: str | None
) -> tuple[str, str]:
    """(source, event id) of the row: the original event's where it has them intact."""
    source, event_id = original.get("source"), original.get("id")
    if not (source and event_id):
        return attributes["source"], _at_record_time(attributes["id"], attributes)
    if wrapped and ("\ufffd" in source or "\ufffd" in event_id):  # bytes lost to U+FFFD
        return attributes["source"], _at_record_time(origin or attributes["id"], attributes)
    return source, event_id


def _at_record_time(position: str, attributes: Mapping[str, str]) -> str:
    """A record's position, with its time: offsets start again at 0 in a topic made anew,
    so a position alone could name a dead letter stored before and lose the new one."""
    moment = attributes.get("time")
    return f"{position}@{moment}" if moment else position


def body_text(data: Any) -> tuple[str, str, int, bool]:
    """(text, encoding, full size in bytes, truncated) of an event's data for the table.

    JSON data is kept as compact JSON text; bytes that are UTF-8 as text, others as
    base64. Text loses NUL characters (PostgreSQL text cannot hold them) to U+FFFD.
    """
    if data is None:
        return "", "utf-8", 0, False
    if isinstance(data, bytes | bytearray):
        raw = bytes(data)
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(raw[: BODY_MAX_CHARS * 3 // 4]).decode(), "base64"
            return text, encoding, len(raw), len(raw) > BODY_MAX_CHARS * 3 // 4
        size = len(raw)
    else:
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        encoding, size = "utf-8", len(text.encode("utf-8", errors="replace"))
    truncated = len(text) > BODY_MAX_CHARS
    return clean(text[:BODY_MAX_CHARS]), encoding, size, truncated


def clean(text: str) -> str:
    """Text PostgreSQL can store: no NUL, no lone surrogate."""
    return text.replace("\x00", "\ufffd").encode("utf-8", errors="replace").decode("utf-8")


def _split(
    attributes: Mapping[str, str], wrapped: bool
) -> tuple[dict[str, str], dict[str, str], str | None]:
    """(original attributes, error extensions, the dead-letter topic it was read from)."""
    if wrapped:
        original = {
            k[len(ATTRIBUTE_PREFIX) :]: clean(v)
            for k, v in attributes.items()
            if k.startswith(ATTRIBUTE_PREFIX)
        }
        for k, v in attributes.items():  # other record headers, under their own names
            if k.startswith(HEADER_PREFIX) and not k.startswith(ATTRIBUTE_PREFIX):
                original[f"header:{k[len(HEADER_PREFIX) :]}"] = clean(v)
        if "datacontenttype" in attributes:
            original.setdefault("datacontenttype", attributes["datacontenttype"])
        received = attributes.get("source", "").rpartition("#")[2] or None
    else:
        original = {k: clean(v) for k, v in attributes.items()}
        received = None
    errors = {k: original.pop(k) for k in DEAD_LETTER_EXTENSIONS if k in original}
    return original, errors, received


def _original_topic(origin: str | None, received: str | None) -> str:
    if origin:
        return origin.split("/", 1)[0]
    if received:
        return received.removesuffix(DLQ_SUFFIX)
    return "unknown"


def _reason(errors: Mapping[str, str], original: Mapping[str, str], answer: str | None) -> str:
    """The dispatcher's one line, with the subscriber's own words when it answered with a
    problem (``not retryable: HTTP 400 after 1 attempt(s): data.battery: …``)."""
    if errors.get("satmonreason"):
        base = errors["satmonreason"]
    elif errors.get("knativeerrorcode"):
        base = f"HTTP {errors['knativeerrorcode']} from {errors.get('knativeerrordest', '?')}"
    elif not original:
        return "a record on a dead-letter topic without the dispatcher's error attributes"
    else:
        base = "dead-lettered without a reason"
    detail = _problem_detail(answer)
    return f"{base}: {detail}" if detail and detail not in base else base


def _problem_detail(answer: str | None) -> str | None:
    """``detail`` (naming ``field`` if it does not already) of a problem+json answer."""
    if not answer or not answer.lstrip().startswith("{"):
        return None
    try:
        problem = json.loads(answer)
    except ValueError:
        return None
    if not isinstance(problem, dict) or not isinstance(problem.get("detail"), str):
        return None
    detail, field = problem["detail"], problem.get("field")
    if isinstance(field, str) and field and field not in detail:
        return f"{field}: {detail}"
    return str(detail)


def _error_data(value: str | None) -> str | None:
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return clean(value)
    return clean(raw.decode("utf-8", errors="replace"))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
