"""Kafka record → CloudEvent envelope, fast enough for tens of thousands of events/s.

A record in Kafka binary mode (``ce_*`` headers, ``content-type``, value = data) is
decoded without the SDK: the attributes come straight from the headers and JSON data is
checked once and spliced, unchanged, into structured / batched bodies. A record without
``ce_*`` headers goes through :func:`satmon.contract.events.from_kafka` (which wraps plain JSON).
A record that cannot form a CloudEvent keeps its bytes and carries ``error``: the
dispatcher dead-letters it instead of delivering it.

The usual record (``ce_*`` headers, JSON data) is read by ``_record_scan.scan`` (C, built
by ``make install``, optional), which returns its attributes and its item of a batch body
in one call, without parsing the data into Python objects; it answers only where it is
sure and leaves every other record to the Python path below, which stays the reference
(tests compare both on the same records).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from satmon.contract.events import from_kafka
from satmon.contract.http.headers import DISALLOWED
from satmon.errors import PermanentError

try:  # orjson parses and encodes several times faster; the stdlib stays the reference
    from orjson import Fragment as _Fragment
    from orjson import dumps as _fast_dumps
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a declared dependency
    _Fragment = None  # type: ignore[assignment,misc]
    _fast_dumps = None  # type: ignore[assignment]
    _fast_loads = None  # type: ignore[assignment]

try:
    from satmon.eventing import _record_scan  # type: ignore[attr-defined]
except ImportError:  # built by `make install` where a C compiler is found
    _record_scan = None

REQUIRED = ("id", "source", "specversion", "type")
Header = tuple[str, str | bytes | None]
_SAFE_HEADER_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F)) - {'"', "%"}
_ATTR_HEADERS: dict[str, str] = {}
"""Record header name → attribute name, for the attribute headers seen so far."""


@dataclass(slots=True)
class Envelope:
    """One consumed record: where it came from, its bytes, and its CloudEvent attributes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[Header]
    timestamp_ms: int = 0
    attrs: dict[str, str] = field(default_factory=dict)
    json_data: bool = True
    error: str | None = None
    data: bytes | None = None  # what goes over HTTP; the original value unless wrapped
    fetched_at: float = 0.0  # epoch s when the dispatcher's fetch returned the record
    item: bytes | None = None  # the event inside a batch body, where the scan wrote it

    def __post_init__(self) -> None:
        if self.data is None:
            self.data = self.value

    @property
    def origin(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"

    def identity(self) -> tuple[str | None, str | None]:
        return self.attrs.get("id"), self.attrs.get("source")


def decode(
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, Any]] | None,
    timestamp_ms: int = 0,
) -> Envelope:
    """Decode one record; never raises (a bad record gets ``error`` set)."""
    raw_headers: list[Header] = headers if type(headers) is list else list(headers or ())
    if _record_scan is not None:
        scanned = _record_scan.scan(raw_headers, value)
        if scanned is not None:
            attrs, item = scanned
            return Envelope(
                topic, partition, offset, key, value, raw_headers, timestamp_ms, attrs, item=item
            )
    env = Envelope(topic, partition, offset, key, value, raw_headers, timestamp_ms)
    try:
        attrs = _attributes(raw_headers)
        env.attrs = attrs
        if not attrs:
            _wrap_plain(env)
            return env
        if not (attrs.get("id") and attrs.get("source") and attrs.get("type")):
            for name in REQUIRED:
                if not attrs.get(name):
                    raise PermanentError(f"missing CloudEvent attribute '{name}'", field=name)
        if attrs.get("specversion") != "1.0":
            if not attrs.get("specversion"):
                raise PermanentError("missing CloudEvent attribute 'specversion'")
            raise PermanentError(f"unsupported specversion {attrs['specversion']!r}")
        check_attribute_text(attrs)
        content_type = attrs.get("datacontenttype")
        if content_type is not None and content_type != "application/json":
            env.json_data = is_json(content_type)
        if env.json_data and value:
            check_json(value)
    except UnicodeDecodeError as exc:
        env.error = f"header is not valid UTF-8: {exc}"
    except ValueError as exc:
        env.error = f"value is not valid JSON: {exc}"
    except PermanentError as exc:
        env.error = str(exc)
    return env


def check_attribute_text(attrs: dict[str, str]) -> None:
    """PermanentError naming the attribute whose value holds a character a CloudEvents
    String may not (a control character, a noncharacter): such an event could not be
    delivered over HTTP as it is, so it is dead-lettered with that reason."""
    for name, text in attrs.items():
        if text.isascii() and text.isprintable():
            continue
        bad = DISALLOWED.search(text)
        if bad:
            raise PermanentError(
                f"attribute '{name}' holds the control character or noncharacter "
                f"U+{ord(bad.group()):04X} at position {bad.start()}; CloudEvents "
                "attribute values are printable text",
                field=name,
            )


def check_json(value: bytes) -> None:
    """Raise ValueError unless ``value`` is JSON that :func:`json.loads` accepts.

    orjson answers first (fast); what it refuses (NaN, huge numbers, …) is judged by
    the standard library, so the decision is exactly ``json.loads``'. Nesting too deep
    for it (its RecursionError) is a ValueError here, so that such a record is
    dead-lettered instead of stopping the dispatcher.
    """
    if _fast_loads is not None:
        try:
            _fast_loads(value)
            return
        except ValueError:
            pass
    try:
        json.loads(value)
    except RecursionError as exc:
        raise ValueError(f"nesting too deep: {exc}") from None


def decode_message(message: Any, fetched_at: float = 0.0) -> Envelope:
    """A confluent-kafka ``Message`` → :class:`Envelope`."""
    ts_type, ts = message.timestamp()
    env = decode(
        message.topic(),
        message.partition(),
        message.offset(),
        message.key(),
        message.value(),
        message.headers(),
        ts if ts_type else 0,
    )
    env.fetched_at = fetched_at
    return env


def structured_json(env: Envelope) -> bytes:
    """The event in structured JSON format (JSON data spliced in, other data base64)."""
    head = _encode_attrs(env.attrs)
    if not env.data:
        return head
    if env.json_data:
        return head[:-1] + b',"data":' + env.data + b"}"
    encoded = base64.b64encode(env.data)
    return head[:-1] + b',"data_base64":"' + encoded + b'"}'


def batch_json(envs: Iterable[Envelope]) -> bytes:
    """A CloudEvents batch: a JSON array of structured events.

    Events the scan read carry their item already: the array is then only joined. Else
    orjson writes the whole array in one call, the JSON data spliced in unchanged as
    fragments; what it refuses (a lone surrogate in an attribute) takes the path of
    :func:`structured_json`, which gives the same document.
    """
    events = envs if type(envs) is list else list(envs)
    items = [e.item for e in events]
    if None not in items:
        return b"[" + b",".join(items) + b"]"  # type: ignore[arg-type]
    if _Fragment is not None:
        try:
            return _fast_dumps([_batch_item(e) for e in events])
        except TypeError:
            pass
    return b"[" + b",".join(structured_json(e) for e in events) + b"]"


def _batch_item(env: Envelope) -> dict[str, Any]:
    if not env.data:
        return env.attrs
    if env.json_data:
        return {**env.attrs, "data": _Fragment(env.data)}
    return {**env.attrs, "data_base64": base64.b64encode(env.data).decode()}


def binary_http(env: Envelope) -> tuple[dict[str, str], bytes]:
    """HTTP binary mode: ``ce-*`` headers (percent-encoded where needed) and the data."""
    headers = {}
    for name, value in env.attrs.items():
        if name == "datacontenttype":
            headers["Content-Type"] = value
        else:
            headers[f"ce-{name}"] = percent_encode(value)
    return headers, env.data or b""


def percent_encode(value: str) -> str:
    """Encode space, ``"``, ``%``, controls and non-ASCII as the HTTP binding asks."""
    if all(c in _SAFE_HEADER_CHARS for c in value):
        return value
    return quote(value, safe="".join(sorted(_SAFE_HEADER_CHARS)))


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json") or media == "text/json"


def _encode_attrs(attrs: dict[str, str]) -> bytes:
    if _fast_dumps is not None:
        try:
            return _fast_dumps(attrs)
        except TypeError:  # e.g. a lone surrogate; the stdlib escapes it
            pass
    return json.dumps(attrs).encode()


def _attributes(headers: Sequence[Header]) -> dict[str, str]:
    try:  # the usual record: every header an attribute already seen, values bytes
        attrs = {_ATTR_HEADERS[name]: raw.decode() for name, raw in headers}  # type: ignore[union-attr]
    except (KeyError, AttributeError):
        attrs = _attributes_slowly(headers)
    if attrs and not (
        "id" in attrs or "source" in attrs or "type" in attrs or "specversion" in attrs
    ):
        # only a content-type: treat like a plain record
        return {}
    return attrs


def _attributes_slowly(headers: Sequence[Header]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for name, raw in headers:
        attr = _attribute_name(name)
        if attr is not None:
            attrs[attr] = raw.decode() if type(raw) is bytes else _text(raw)
    return attrs


def _attribute_name(header: str) -> str | None:
    """``ce_<name>`` → ``<name>`` (lower-cased), ``content-type`` → ``datacontenttype``."""
    lowered = header.lower()
    attr: str | None = None
    if lowered[:3] == "ce_":
        attr = lowered[3:]
    elif lowered == "content-type":
        attr = "datacontenttype"
    if attr is not None and len(_ATTR_HEADERS) < 1024:
        _ATTR_HEADERS[header] = attr
    return attr


def _wrap_plain(env: Envelope) -> None:
    """No ``ce_*`` headers: let the reference decoder wrap the plain JSON value."""
    try:
        event = from_kafka(env.topic, env.key, env.value, env.headers)
    except PermanentError as exc:
        env.error = str(exc)
        return
    attrs = {k: str(v) for k, v in event.get_attributes().items() if v is not None}
    data = event.get_data()
    env.attrs = attrs
    env.json_data = True
    env.data = json.dumps(data, separators=(",", ":")).encode() if data is not None else b""


def _text(raw: str | bytes | None) -> str:
    if raw is None:
        return ""
    return raw if isinstance(raw, str) else raw.decode("utf-8")
