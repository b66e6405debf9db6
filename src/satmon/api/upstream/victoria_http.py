"""What the API's readers of the VictoriaMetrics family (VictoriaMetrics, VictoriaLogs)
share: one keep-alive connection pool, a /health ping, and how an answer is judged — a
transport error, 5xx or 429 is the store being unavailable (a 503 naming it), any other
4xx is our own query refused (a bug, not the caller's)."""

from __future__ import annotations

import httpx

from satmon.api.problems import Unavailable
from satmon.clients.responses import release


class VictoriaReader:
    name = "VictoriaMetrics"

    def __init__(self, url: str, timeout_s: float, connections: int) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.url,
            timeout=httpx.Timeout(timeout_s * 10, connect=timeout_s),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            # the stores sit next to the API: compressing answers costs both ends CPU
            headers={"Accept-Encoding": "identity"},
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def ping(self) -> str | None:
        """None when the store answers /health, else why not."""
        try:
            response = await self._http.get("/health", timeout=2.0)
        except httpx.TransportError as exc:
            return f"unreachable at {self.url}: {exc or type(exc).__name__}"
        return None if response.status_code == 200 else f"/health answered {response.status_code}"

    async def _send(self, request: httpx.Request) -> bytes:
        try:
            response = await self._http.send(request)
        except httpx.TransportError as exc:
            raise Unavailable(
                self.name, f"unreachable at {self.url}: {exc or type(exc).__name__}"
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise Unavailable(self.name, f"answered {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:  # our own query was refused: a bug, not the caller's
            path = request.url.path
            raise RuntimeError(f"{self.name} refused {path}: {response.text[:300]}")
        return release(response).content
