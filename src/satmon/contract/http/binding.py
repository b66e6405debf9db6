"""CloudEvents over HTTP: decode binary, structured and batched mode.

Mode is chosen by ``Content-Type`` (cloudevents/spec ``http-protocol-binding.md``):
``application/cloudevents-batch+json`` → batched, ``application/cloudevents+json`` →
structured, any other → binary (attributes in ``ce-*`` headers, percent-encoded, body =
data; header values as ``headers.attribute_value`` reads them). Decoding errors raise
:class:`HttpProblem` naming the offending field so the answer
(``application/problem+json``) tells the sender what to fix.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudevents.http import CloudEvent

from satmon.contract.http.headers import attribute_value
from satmon.contract.http.problems import HttpProblem

try:  # several times faster than json.loads on a 1,000-event batch
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _fast_loads = None  # type: ignore[assignment]

MODE_BINARY = "binary"
MODE_STRUCTURED = "structured"
MODE_BATCH = "batch"

STRUCTURED_JSON = "application/cloudevents+json"
BATCH_JSON = "application/cloudevents-batch+json"

REQUIRED = ("id", "source", "specversion", "type")
_ATTR_NAME = re.compile(r"^[a-z0-9]{1,40}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_GOOD_NAMES: set[str] = set()
"""Attribute names already checked (names repeat; the check is on the hot path)."""


@dataclass
class Decoded:
    """What one HTTP request carried: its mode and the events (one unless batched)."""

    mode: str
    events: list[CloudEvent] = field(default_factory=list)


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_media(content_type: str | None) -> bool:
    mt = media_type(content_type)
    return mt == "application/json" or mt.endswith("+json") or mt == "text/json"


def decode_request(
    headers: Mapping[str, str], body: bytes, *, accept_batch: bool = True
) -> Decoded:
    """Decode an HTTP request into CloudEvents; raise HttpProblem (400 / 415) when it is not one."""
    headers = {name.lower(): value for name, value in headers.items()}
    content_type = headers.get("content-type")
    mt = media_type(content_type)
    if mt.startswith("application/cloudevents-batch"):
        if not accept_batch:
            raise HttpProblem(415, "batched mode is not accepted here", "Content-Type")
        if mt != BATCH_JSON:
            raise HttpProblem(415, f"unsupported batch format {mt!r}", "Content-Type")
        return Decoded(MODE_BATCH, decode_batch(body))
    if mt.startswith("application/cloudevents"):
        if mt != STRUCTURED_JSON:
            raise HttpProblem(415, f"unsupported structured format {mt!r}", "Content-Type")
        return Decoded(MODE_STRUCTURED, [decode_structured(_load_json(body))])
    return Decoded(MODE_BINARY, [decode_binary(headers, body)])


def decode_binary(headers: Mapping[str, str], body: bytes) -> CloudEvent:
    """Binary mode: ``ce-*`` headers (percent-decoded, strict UTF-8) + body as data."""
    attributes: dict[str, Any] = {}
    for name, value in headers.items():
        lname = name.lower()
        if not lname.startswith("ce-"):
            continue
        attr = lname[3:]
        attributes[attr] = attribute_value(value, f"ce-{attr}")
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if content_type:
        attributes["datacontenttype"] = content_type
    _check_attributes(attributes, prefix="ce-")
    return _event(attributes, _decode_data(body, content_type))


def decode_structured(obj: Any, where: str = "") -> CloudEvent:
    """Structured JSON format: one JSON object with the attributes and ``data``/``data_base64``."""
    if not isinstance(obj, Mapping):
        raise HttpProblem(400, "a structured CloudEvent must be a JSON object", where or "body")
    attributes: dict[str, Any] = {}
    for name, value in obj.items():
        if name in ("data", "data_base64"):
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float | str):
            value = str(value) if not isinstance(value, str) else value
        elif value is None:
            continue
        else:
            raise HttpProblem(400, f"attribute {name!r} must be a string", f"{where}{name}")
        attributes[name] = value
    _check_attributes(attributes, prefix=where)
    if "data" in obj and "data_base64" in obj:
        raise HttpProblem(400, "data and data_base64 are mutually exclusive", f"{where}data")
    data: Any = None
    if "data_base64" in obj:
        raw = obj["data_base64"]
        try:
            data = base64.b64decode(str(raw), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise HttpProblem(
                400, f"data_base64 is not base64: {exc}", f"{where}data_base64"
            ) from exc
    elif "data" in obj:
        data = obj["data"]
    return _event(attributes, data)


def decode_batch(body: bytes) -> list[CloudEvent]:
    """Batched JSON format: a JSON array of structured events (may be empty)."""
    items = _load_json(body)
    if not isinstance(items, list):
        raise HttpProblem(400, "a CloudEvents batch must be a JSON array", "body")
    return [decode_structured(item, where=f"[{i}].") for i, item in enumerate(items)]


def decode_batch_lenient(body: bytes) -> tuple[list[tuple[int, CloudEvent]], list[dict[str, Any]]]:
    """Like ``decode_batch`` but keeps going: (index, event) pairs and rejected entries."""
    items = _load_json(body)
    if not isinstance(items, list):
        raise HttpProblem(400, "a CloudEvents batch must be a JSON array", "body")
    good: list[tuple[int, CloudEvent]] = []
    bad: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:
            good.append((i, decode_structured(item)))
        except HttpProblem as exc:
            ident = item if isinstance(item, Mapping) else {}
            bad.append(rejection(i, ident.get("id"), ident.get("source"), exc.detail, exc.field))
    return good, bad


def rejection(
    index: int, event_id: Any, source: Any, detail: str, field: str | None, status: int = 400
) -> dict[str, Any]:
    """One entry of a batch answer's ``rejected`` list (see pipeline/README.md)."""
    return {
        "index": index,
        "id": event_id if isinstance(event_id, str) else None,
        "source": source if isinstance(source, str) else None,
        "status": status,
        "field": field,
        "detail": detail,
    }


def _check_attributes(attributes: Mapping[str, Any], prefix: str) -> None:
    for name in REQUIRED:
        value = attributes.get(name)
        if not isinstance(value, str) or not value:
            raise HttpProblem(400, f"missing required attribute {name!r}", prefix + name)
    if attributes["specversion"] != "1.0":
        raise HttpProblem(
            400,
            f"unsupported specversion {attributes['specversion']!r} (want 1.0)",
            prefix + "specversion",
        )
    for name in attributes:
        if name not in _GOOD_NAMES:
            if not _ATTR_NAME.match(name):
                raise HttpProblem(400, f"invalid attribute name {name!r}", prefix + name)
            if len(_GOOD_NAMES) < 4096:
                _GOOD_NAMES.add(name)
    time = attributes.get("time")
    if time is not None and not valid_time(str(time)):
        raise HttpProblem(400, f"time {time!r} is not an RFC 3339 timestamp", prefix + "time")


def valid_time(text: str) -> bool:
    """An RFC 3339 timestamp (the ``time`` attribute's rule)."""
    if not _RFC3339.match(text):
        return False
    try:
        datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _decode_data(body: bytes, content_type: str | None) -> Any:
    if not body:
        return None
    if is_json_media(content_type):
        return _load_json(body, field_name="data")
    if media_type(content_type).startswith("text/"):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return body
    return body


def load_json(body: bytes, field_name: str = "body") -> Any:
    """``json.loads`` (orjson first, when it accepts the text it gives the same value);
    HttpProblem 400 when the body is not JSON."""
    if _fast_loads is not None:
        try:
            return _fast_loads(body)
        except ValueError:
            pass  # NaN, huge numbers, …: the standard library decides
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpProblem(400, f"not valid JSON: {exc}", field_name) from exc


_load_json = load_json


def _event(attributes: dict[str, Any], data: Any) -> CloudEvent:
    return CloudEvent(attributes, data)


def refuse_duplicate_members(body: bytes) -> None:
    """HttpProblem 400 when a JSON object in ``body`` names a member twice.

    JSON parsers keep the last of ``{"id": "a", "id": "b"}`` without a word; for an
    event that is an ambiguity the sender should hear about. A body that is not JSON
    is left to the decoder (which says so).
    """

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in pairs:
            if name in out:
                raise HttpProblem(
                    400, f"{name!r} appears twice in one JSON object; send it once", name
                )
            out[name] = value
        return out

    try:
        json.loads(body, object_pairs_hook=unique)
    except (ValueError, UnicodeDecodeError):
        return
