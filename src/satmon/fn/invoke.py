"""``satmon fn invoke``: one CloudEvent to a function, in binary or structured mode.

The event comes from a file (a structured-mode JSON event), from ``--data`` (its type
from ``--type``, else the function's example event), or from the function's own
``event.json``. Missing ``id``, ``source`` and ``specversion`` are filled in.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from satmon.errors import SatmonError

EXAMPLE_EVENT = "event.json"
DEFAULT_SOURCE = "/satmon/fn/invoke"
_HEADER_SAFE = set(chr(c) for c in range(0x21, 0x7F)) - {'"', "%"}


class InvokeError(SatmonError):
    """The event cannot be put together (bad file, bad JSON, no type)."""


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        """The answer as a person reads it: status line, headers, blank line, body."""
        lines = [f"HTTP {self.status} {self.reason}", *(f"{k}: {v}" for k, v in self.headers)]
        return "\n".join([*lines, "", self.body])


def compose_event(
    folder: Path, event_file: Path | None, data: str | None, event_type: str | None
) -> dict[str, Any]:
    """The structured-mode event to send (a dict of attributes plus ``data``)."""
    example = folder / EXAMPLE_EVENT
    if event_file is not None:
        event = _read_event(event_file)
    elif data is not None:
        try:
            payload = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InvokeError(f"--data is not JSON: {exc}") from exc
        event = {"data": payload, "datacontenttype": "application/json"}
        if event_type is None and example.exists():
            event_type = _read_event(example).get("type")
    elif example.exists():
        event = _read_event(example)
    else:
        raise InvokeError(f"give --event FILE or --data JSON ({example} does not exist)")
    if event_type is not None:
        event["type"] = event_type
    if not event.get("type"):
        raise InvokeError("the event has no type: add --type")
    event.setdefault("specversion", "1.0")
    event.setdefault("source", DEFAULT_SOURCE)
    event["id"] = event.get("id") or f"invoke-{uuid.uuid4()}"
    return event


def to_request(event: Mapping[str, Any], mode: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of the POST: ``binary`` (``ce-*`` headers) or ``structured``."""
    if mode == "structured":
        return {"Content-Type": "application/cloudevents+json"}, json.dumps(event).encode()
    content_type = str(event.get("datacontenttype") or "application/json")
    headers = {
        f"ce-{name}": encode_header(str(value))
        for name, value in event.items()
        if name not in ("data", "data_base64", "datacontenttype")
    }
    headers["Content-Type"] = content_type
    data = event.get("data")
    if "data_base64" in event:
        import base64

        body = base64.b64decode(event["data_base64"])
    elif isinstance(data, str) and "json" not in content_type:
        body = data.encode()
    else:
        body = b"" if data is None else json.dumps(data).encode()
    return headers, body


def encode_header(value: str) -> str:
    """Percent-encode what the CloudEvents HTTP binding says must be (space, ", %, non-ASCII)."""
    out = []
    for ch in value:
        if ch in _HEADER_SAFE:
            out.append(ch)
        else:
            out.extend(f"%{byte:02X}" for byte in ch.encode())
    return "".join(out)


def send(url: str, headers: Mapping[str, str], body: bytes, timeout_s: float = 30.0) -> Answer:
    """POST the event; connection errors become an :class:`InvokeError` naming the URL."""
    try:
        response = httpx.post(url, headers=dict(headers), content=body, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise InvokeError(f"{url}: {exc} (is the function running? `satmon fn run NAME`)") from exc
    return Answer(
        response.status_code,
        response.reason_phrase,
        list(response.headers.items()),
        response.text,
    )


def _read_event(path: Path) -> dict[str, Any]:
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvokeError(f"{path}: cannot read it: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InvokeError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise InvokeError(f"{path}: a structured-mode CloudEvent is a JSON object")
    return event
