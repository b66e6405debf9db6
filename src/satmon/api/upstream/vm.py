"""VictoriaMetrics for the API: asynchronous reads (export, range and instant queries,
label values) over one keep-alive connection pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from satmon.api.problems import Unavailable
from satmon.clients.vm import Series

NAME = "VictoriaMetrics"


class VictoriaMetricsReader:
    """Reads only; every query text comes from the API's own builders, never a request."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.url,
            timeout=httpx.Timeout(timeout_s * 10, connect=timeout_s),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def export(self, match: str, start_s: float, end_s: float) -> list[Series]:
        """Raw samples (ms timestamps) of every series matching ``match`` in [start, end]."""
        body = await self._get("/api/v1/export", {"match[]": match, "start": start_s, "end": end_s})
        out = []
        for line in body.splitlines():
            if line:
                row = orjson.loads(line)
                out.append(Series(row["metric"], row["values"], row["timestamps"]))
        return out

    async def query_range(
        self, query: str, start_s: float, end_s: float, step_s: float
    ) -> list[dict[str, Any]]:
        params = {"query": query, "start": start_s, "end": end_s, "step": f"{step_s:g}s"}
        result: list[dict[str, Any]] = orjson.loads(await self._get("/api/v1/query_range", params))[
            "data"
        ]["result"]
        return result

    async def query(self, query: str, time_s: float) -> list[dict[str, Any]]:
        body = await self._get("/api/v1/query", {"query": query, "time": time_s})
        result: list[dict[str, Any]] = orjson.loads(body)["data"]["result"]
        return result

    async def label_values(self, label: str, match: str, start_s: float) -> list[str]:
        body = await self._get(
            f"/api/v1/label/{label}/values", {"match[]": match, "start": start_s}
        )
        values: list[str] = orjson.loads(body)["data"]
        return values

    async def ping(self) -> str | None:
        """None when VictoriaMetrics answers /health, else why not."""
        try:
            response = await self._http.get("/health", timeout=2.0)
        except httpx.TransportError as exc:
            return f"unreachable at {self.url}: {exc or type(exc).__name__}"
        return None if response.status_code == 200 else f"/health answered {response.status_code}"

    async def _get(self, path: str, params: Mapping[str, Any]) -> bytes:
        try:
            response = await self._http.get(path, params=params)
        except httpx.TransportError as exc:
            raise Unavailable(
                NAME, f"unreachable at {self.url}: {exc or type(exc).__name__}"
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise Unavailable(NAME, f"answered {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:  # our own query was refused: a bug, not the caller's
            raise RuntimeError(f"VictoriaMetrics refused {path}: {response.text[:300]}")
        return response.content
