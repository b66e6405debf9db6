"""VictoriaLogs for the API: asynchronous LogsQL queries over one connection pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import orjson

from satmon.api.problems import Unavailable
from satmon.api.upstream.victoria_http import VictoriaReader
from satmon.clients.victorialogs import time_key

NAME = "VictoriaLogs"


class LogStoreReader(VictoriaReader):
    """Reads only; the LogsQL text comes from ``satmon.clients.logsql``, never a request."""

    name = NAME

    def __init__(self, url: str, timeout_s: float) -> None:
        super().__init__(url, timeout_s, connections=16)

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

    @asynccontextmanager
    async def tail(self, logsql: str, delay_s: float) -> AsyncIterator[AsyncIterator[str]]:
        """Matching records as VictoriaLogs stores them (``/select/logsql/tail``), each a
        JSON line. ``delay_s`` is how far behind now the store reads: a record that
        becomes searchable later than that after its own time is not tailed."""
        request = self._http.build_request(
            "POST",
            "/select/logsql/tail",
            data={"query": logsql, "offset": f"{delay_s:g}s"},
            timeout=httpx.Timeout(None, connect=self._http.timeout.connect),
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise Unavailable(self.name, f"unreachable at {self.url}: {exc}") from exc
        try:
            if response.status_code >= 400:
                text = (await response.aread())[:300].decode(errors="replace")
                if response.status_code >= 500 or response.status_code == 429:
                    raise Unavailable(self.name, f"tail answered {response.status_code}: {text}")
                raise RuntimeError(f"{self.name} refused /select/logsql/tail: {text}")
            yield response.aiter_lines()
        finally:
            await response.aclose()

    async def _post(self, path: str, params: dict[str, Any]) -> bytes:
        return await self._send(self._http.build_request("POST", path, data=params))
