"""VictoriaMetrics client: batched JSON-line import, raw export and range queries.

Samples are written with the telemetry's own timestamps (ms). The server runs with
``-dedup.minScrapeInterval=1ms``, so writing the same sample twice (a redelivery)
leaves one sample, which is what makes the telemetry writer idempotent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from orjson import dumps as _dumps

from satmon.clients.responses import release
from satmon.contract.events import METRIC_PREFIX, METRICS, Telemetry
from satmon.errors import PermanentError, TransientError

FIRST_SPAN_S = 60.0
"""``last_points`` looks at the newest minute first (20 samples at 1 Hz fit three times)."""


@dataclass(frozen=True, slots=True)
class Series:
    """One exported series: label set plus parallel value / timestamp (ms) lists."""

    labels: dict[str, str]
    values: list[float]
    timestamps: list[int]


class VictoriaMetrics:
    """Thin synchronous client; one per process (it keeps a connection pool)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    # --- writes ---------------------------------------------------------------------
    def import_lines(self, body: bytes) -> None:
        """POST JSON lines to /api/v1/import; 5xx / connection errors are transient."""
        self._request("POST", "/api/v1/import", "import", content=body)

    def write_telemetry(self, samples: Sequence[Telemetry]) -> int:
        """Write the seven metrics of every sample in one request; returns samples written."""
        if samples:
            self.import_lines(telemetry_import_body(samples))
        return len(samples) * len(METRICS)

    # --- reads ----------------------------------------------------------------------
    def export(
        self, match: str, start: float | None = None, end: float | None = None
    ) -> list[Series]:
        """Raw samples of every series matching ``match`` (times in s or RFC 3339)."""
        params: dict[str, Any] = {"match[]": match}
        if start is not None:
            params["start"] = start
        if end is not None:
            params["end"] = end
        response = self._get("/api/v1/export", params)
        out = []
        for line in response.text.splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(Series(row["metric"], row["values"], row["timestamps"]))
        return out

    def query_range(self, query: str, start: float, end: float, step: str) -> list[dict[str, Any]]:
        response = self._get(
            "/api/v1/query_range", {"query": query, "start": start, "end": end, "step": step}
        )
        result: list[dict[str, Any]] = response.json()["data"]["result"]
        return result

    def query(self, query: str, time: float | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"query": query}
        if time is not None:
            params["time"] = time
        result: list[dict[str, Any]] = self._get("/api/v1/query", params).json()["data"]["result"]
        return result

    def last_points(
        self,
        satellite_id: str,
        metric: str,
        n: int,
        lookback_s: float = 3600.0,
        now_s: float | None = None,
    ) -> Series | None:
        """The newest ``n`` raw samples of one satellite's metric within the lookback.

        Asks for the most recent minute first and widens the range tenfold only while
        it holds fewer than ``n`` samples: the newest ``n`` of a suffix of the lookback
        that has ``n`` are the newest ``n`` of the whole lookback. A 1 Hz series costs
        one export of ~60 samples instead of the hour's 3,600 (the scheduled forecasts
        read hundreds of series each minute, from the VictoriaMetrics that ingests).
        """
        end = now_s if now_s is not None else time.time()
        selector = metric_selector(metric, satellite_id)
        span = min(FIRST_SPAN_S, lookback_s)
        while True:
            series = self.export(selector, start=end - span, end=end)
            if (series and len(series[0].values) >= n) or span >= lookback_s:
                break
            span = min(span * 10, lookback_s)
        if not series:
            return None
        s = series[0]
        return Series(s.labels, s.values[-n:], s.timestamps[-n:])

    def healthy(self) -> bool:
        try:
            return self._http.get("/health", timeout=2.0).status_code == 200
        except httpx.TransportError:
            return False

    def flush_search_cache(self) -> None:
        """Make just-written samples visible to queries at once (tests, benchmarks)."""
        self._get("/internal/force_flush", {})

    def _get(self, path: str, params: Mapping[str, Any]) -> httpx.Response:
        return self._request("GET", path, "query", params=params)

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        """One call; unreachable or 5xx → TransientError (retry), 4xx → PermanentError."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise TransientError(f"VictoriaMetrics unreachable at {self.url}: {exc}") from exc
        if response.status_code >= 500:
            raise TransientError(
                f"VictoriaMetrics answered {response.status_code}: {response.text[:200]}"
            )
        if response.status_code >= 400:
            raise PermanentError(f"VictoriaMetrics refused the {what}: {response.text[:200]}")
        return release(response)


def metric_selector(metric: str, satellite_id: str | None = None) -> str:
    name = metric if metric.startswith(METRIC_PREFIX) else METRIC_PREFIX + metric
    if satellite_id is None:
        return name
    return f'{name}{{satellite_id="{satellite_id}"}}'


def telemetry_import_body(samples: Iterable[Telemetry]) -> bytes:
    """JSON lines for /api/v1/import, one line per series (metric × satellite)."""
    lines = ImportLines()
    for sample in samples:
        lines.add_telemetry(sample)
    return lines.body()


class ImportLines:
    """Samples grouped by satellite → /api/v1/import JSON lines, one per series.

    Grouping makes the body and VictoriaMetrics' parsing several times cheaper than one
    line per sample when a batch holds many samples of each satellite. Repeated
    timestamps are fine (the server dedupes them).
    """

    def __init__(self) -> None:
        self._series: dict[str, tuple[list[int], list[tuple[float, ...]]]] = {}

    def __bool__(self) -> bool:
        return bool(self._series)

    def add(self, satellite: str, timestamp_ms: int, values: tuple[float, ...]) -> None:
        entry = self._series.get(satellite)
        if entry is None:
            entry = self._series[satellite] = ([], [])
        entry[0].append(timestamp_ms)
        entry[1].append(values)

    def add_telemetry(self, sample: Telemetry) -> None:
        values = tuple(float(getattr(sample, name)) for name in METRICS)
        self.add(sample.satellite_id, sample.timestamp_ms, values)

    def body(self) -> bytes:
        lines: list[bytes] = []
        for satellite, (stamps, rows) in self._series.items():
            label = _dumps(satellite)
            tail = b'},"values":%b,"timestamps":' + _dumps(stamps) + b"}\n"
            for head, column in zip(SERIES_HEADS, zip(*rows, strict=True), strict=True):
                lines.append(head + label + tail % _dumps(column))
        return b"".join(lines)


SERIES_HEADS = tuple(
    b'{"metric":{"__name__":"%b","satellite_id":' % (METRIC_PREFIX + m).encode() for m in METRICS
)
"""The start of each metric's import line, up to the satellite id."""
