"""VictoriaLogs for the API: asynchronous LogsQL queries over one connection pool."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import orjson

from satmon.api.problems import Unavailable
from satmon.clients.victorialogs import time_key

NAME = "VictoriaLogs"


class LogStoreReader:
    """Reads only; the LogsQL text comes from ``satmon.clients.logsql``, never a request."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.url,
            timeout=httpx.Timeout(timeout_s * 10, connect=timeout_s),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def newest(
        self, logsql: str, start: datetime, end: datetime, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """The ``limit`` newest matching records in [start, end) after skipping ``offset``,
        newest first."""
        params = {
            "query": logsql,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "limit": limit,
            "offset": offset,
        }
        body = await self._post("/select/logsql/query", params)
        rows = [orjson.loads(line) for line in body.splitlines() if line.strip()]
        rows.sort(key=lambda r: time_key(r.get("_time", "")), reverse=True)
        return rows

    async def field_values(
        self, logsql: str, field: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """Values of ``field`` among matching records, with their counts (``hits``)."""
        params = {
            "query": logsql,
            "field": field,
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        values: list[dict[str, Any]] = orjson.loads(
            await self._post("/select/logsql/field_values", params)
        )["values"]
        return values

    async def ping(self) -> str | None:
        try:
            response = await self._http.get("/health", timeout=2.0)
        except httpx.TransportError as exc:
            return f"unreachable at {self.url}: {exc or type(exc).__name__}"
        return None if response.status_code == 200 else f"/health answered {response.status_code}"

    async def _post(self, path: str, params: dict[str, Any]) -> bytes:
        try:
            response = await self._http.post(path, data=params)
        except httpx.TransportError as exc:
            raise Unavailable(
                NAME, f"unreachable at {self.url}: {exc or type(exc).__name__}"
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise Unavailable(NAME, f"answered {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:  # our own query was refused: a bug, not the caller's
            raise RuntimeError(f"VictoriaLogs refused {path}: {response.text[:300]}")
        return response.content
