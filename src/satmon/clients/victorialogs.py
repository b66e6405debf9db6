"""VictoriaLogs, the log store: insert JSON lines, query and tail with LogsQL.

Every record satmon ships has ``time``, ``level``, ``component`` (the stream field),
``message`` (VictoriaLogs' ``_msg``), ``line`` (where it was read: a record shipped
twice has the same one) and the fields of ``satmon.logconfig``. Queries are built by
:mod:`satmon.clients.logsql` from validated values, never from a caller's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx
import orjson

from satmon.errors import TransientError

STREAM_FIELDS = "component"
INSERT_PARAMS = {"_stream_fields": STREAM_FIELDS, "_time_field": "time", "_msg_field": "message"}
_START_TIME = re.compile(rb"^process_start_time_seconds (\d+(?:\.\d+)?)$", re.MULTILINE)


class LogStoreUnavailable(TransientError):
    """VictoriaLogs cannot be reached or answered 5xx / 429."""


class VictoriaLogs:
    """A synchronous client (the shipper, ``satmon fn logs``, tests)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=httpx.Timeout(timeout, connect=2.0))

    def close(self) -> None:
        self._http.close()

    def insert(self, body: bytes) -> None:
        """Store newline-separated JSON records; returns once VictoriaLogs accepted them."""
        self._call("POST", "/insert/jsonline", params=INSERT_PARAMS, content=body)

    def query(
        self,
        logsql: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[dict[str, Any]]:
        """Matching records; with ``limit`` the newest ``limit`` (after ``offset``) in
        [start, end), newest first."""
        params: dict[str, Any] = {"query": logsql}
        if start is not None:
            params["start"] = start.isoformat()
        if end is not None:
            params["end"] = end.isoformat()
        if limit is not None:
            params["limit"] = limit
            if offset:
                params["offset"] = offset
        body = self._call("POST", "/select/logsql/query", data=params).content
        rows = [orjson.loads(line) for line in body.splitlines() if line.strip()]
        if limit is not None:
            rows.sort(key=lambda r: time_key(r.get("_time", "")), reverse=True)
        return rows

    def tail(
        self, logsql: str, *, delay_s: float = 1.0, history: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Records as they arrive (``/select/logsql/tail``); ``history`` (``10m``) first."""
        data: dict[str, Any] = {"query": logsql, "offset": f"{delay_s:g}s"}
        if history:
            data["start_offset"] = history
        try:
            with self._http.stream(
                "POST", "/select/logsql/tail", data=data, timeout=httpx.Timeout(None, connect=2.0)
            ) as response:
                _check(response, "/select/logsql/tail", stream=True)
                for line in response.iter_lines():
                    if line.strip():
                        yield orjson.loads(line)
        except httpx.TransportError as exc:
            raise LogStoreUnavailable(f"VictoriaLogs at {self.url}: {exc}") from exc

    def flush(self) -> None:
        """Make every accepted record searchable now (``/internal/force_flush``)."""
        self._call("GET", "/internal/force_flush")

    def started_at(self) -> float | None:
        """The server process's start time (epoch s), to tell that it restarted."""
        match = _START_TIME.search(self._call("GET", "/metrics").content)
        return float(match.group(1)) if match else None

    def healthy(self) -> bool:
        try:
            return self._http.get("/health", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise LogStoreUnavailable(f"VictoriaLogs at {self.url}: {exc}") from exc
        _check(response, path)
        return response


def _check(response: httpx.Response, path: str, stream: bool = False) -> None:
    if response.status_code < 400:
        return
    text = "" if stream else response.text[:300]
    if response.status_code >= 500 or response.status_code == 429:
        raise LogStoreUnavailable(f"VictoriaLogs {path} answered {response.status_code}: {text}")
    raise ValueError(f"VictoriaLogs refused {path} ({response.status_code}): {text}")


def time_key(stamp: str) -> str:
    """An RFC 3339 UTC time (``…:05.73Z``, ``…:05Z``) that sorts as text: 9 fraction digits."""
    head, _, fraction = stamp.rstrip("Z").partition(".")
    return f"{head}.{fraction.ljust(9, '0')[:9]}"


def fields_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored record as satmon names its fields (``_msg`` → ``message``, ``_time`` → ``time``)."""
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    out["time"] = row.get("_time", "")
    out["message"] = row.get("_msg", "")
    return out
