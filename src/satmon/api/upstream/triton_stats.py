"""Triton as the pipeline page sees it: each model of the repository with its state,
and its inference counts and mean latency, overall and since the previous reading."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from satmon.api.problems import Unavailable

NAME = "Triton"


@dataclass(frozen=True)
class ModelStats:
    name: str
    version: str | None
    state: str  # READY, UNAVAILABLE, LOADING… as Triton says
    reason: str | None
    inferences: int  # successful requests since Triton started
    mean_ms: float | None  # request latency over them (queue + compute)
    queue_ms: float | None
    compute_ms: float | None
    recent_inferences: int | None  # since the previous reading (None: first reading)
    recent_mean_ms: float | None
    recent_window_s: float | None


class TritonStatsReader:
    def __init__(self, url: str, timeout_s: float) -> None:
        self.url = url
        self._http = httpx.AsyncClient(base_url=url, timeout=timeout_s)
        self._previous: dict[str, tuple[float, int, int]] = {}  # name: (when, count, ns)

    async def close(self) -> None:
        await self._http.aclose()

    async def models(self) -> list[ModelStats]:
        index = await self._json("POST", "/v2/repository/index", b"{}")
        out = []
        for entry in sorted(index, key=lambda e: str(e.get("name"))):
            name = str(entry.get("name"))
            stats: dict[str, Any] = {}
            if entry.get("state") == "READY":
                found = await self._json("GET", f"/v2/models/{name}/stats")
                stats = next(iter(found.get("model_stats") or []), {})
            out.append(self._describe(entry, stats))
        return out

    def _describe(self, entry: dict[str, Any], stats: dict[str, Any]) -> ModelStats:
        name = str(entry.get("name"))
        infer = stats.get("inference_stats") or {}
        count = int((infer.get("success") or {}).get("count") or 0)
        total_ns = int((infer.get("success") or {}).get("ns") or 0)
        now = time.monotonic()
        recent_count = recent_mean = window = None
        if name in self._previous and stats:
            when, before_count, before_ns = self._previous[name]
            recent_count = count - before_count
            window = now - when
            if recent_count > 0:
                recent_mean = (total_ns - before_ns) / recent_count / 1e6
        if stats:
            self._previous[name] = (now, count, total_ns)
        return ModelStats(
            name=name,
            version=entry.get("version"),
            state=str(entry.get("state") or "UNKNOWN"),
            reason=entry.get("reason") or None,
            inferences=count,
            mean_ms=_mean_ms(infer.get("success"), count),
            queue_ms=_mean_ms(infer.get("queue"), count),
            compute_ms=_mean_ms(infer.get("compute_infer"), count),
            recent_inferences=recent_count,
            recent_mean_ms=recent_mean,
            recent_window_s=window,
        )

    async def _json(self, method: str, path: str, body: bytes | None = None) -> Any:
        try:
            response = await self._http.request(method, path, content=body)
        except httpx.TransportError as exc:
            raise Unavailable(NAME, f"unreachable at {self.url}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise Unavailable(
                NAME, f"{path} answered {response.status_code}: {response.text[:200]}"
            )
        return orjson.loads(response.content)


def _mean_ms(duration: dict[str, Any] | None, count: int) -> float | None:
    if not duration or not count:
        return None
    return int(duration.get("ns") or 0) / count / 1e6
