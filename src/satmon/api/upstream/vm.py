"""VictoriaMetrics for the API: asynchronous reads (export, range and instant queries,
label values) over one keep-alive connection pool."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from satmon.api.upstream.victoria_http import VictoriaReader
from satmon.clients.vm import Series

NAME = "VictoriaMetrics"


class VictoriaMetricsReader(VictoriaReader):
    """Reads only; every query text comes from the API's own builders, never a request."""

    name = NAME

    def __init__(self, url: str, timeout_s: float) -> None:
        super().__init__(url, timeout_s, connections=32)

    async def export(self, match: str, start_s: float, end_s: float) -> list[Series]:
        """Raw samples (ms timestamps) of every series matching ``match`` in [start, end]."""
        body = await self._get("/api/v1/export", {"match[]": match, "start": start_s, "end": end_s})
        return parse_export(body)

    async def export_lines(self, match: str, start_s: float, end_s: float) -> bytes:
        """The export answer's JSON lines as they came (uncompressed on the wire, as every
        answer of this reader: see ``VictoriaReader``)."""
        return await self._get("/api/v1/export", {"match[]": match, "start": start_s, "end": end_s})

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

    async def _get(self, path: str, params: Mapping[str, Any]) -> bytes:
        return await self._send(self._http.build_request("GET", path, params=params))


def parse_export(body: bytes) -> list[Series]:
    """Export JSON lines → one :class:`Series` a line."""
    out = []
    for line in body.splitlines():
        if line:
            row = orjson.loads(line)
            out.append(Series(row["metric"], row["values"], row["timestamps"]))
    return out
