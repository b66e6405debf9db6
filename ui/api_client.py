"""The dashboard's one way into satmon: the operation API over HTTP.

One :class:`ApiClient` per process (keep-alive pool). Every failure becomes an
:class:`ApiError` carrying the API's problem+json ``detail``, so a page can show the
operator the API's own words instead of a stack trace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

API_PREFIX = "/api/v1"


class ApiError(Exception):
    """The API refused (4xx), failed (5xx) or could not be reached (status 0)."""

    def __init__(self, status: int, detail: str, field: str | None = None) -> None:
        super().__init__(f"{status}: {detail}" if status else detail)
        self.status = status
        self.detail = detail
        self.field = field

    @property
    def missing_route(self) -> bool:
        """The API has no such endpoint (an older API than this dashboard)."""
        return self.status in (404, 405)


class ApiClient:
    def __init__(self, base_url: str, timeout_s: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=3.0),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self._send("GET", path, params=_clean(params))

    async def post(self, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self._send("POST", path, json=body, headers=headers)

    async def put(self, path: str, body: Any, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self._send("PUT", path, json=body, headers=headers)

    @asynccontextmanager
    async def stream(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[AsyncIterator[str]]:
        """A streamed GET (server-sent events): yields the body's lines as they come."""
        request = self._http.build_request(
            "GET",
            API_PREFIX + path,
            params=_clean(params),
            headers={"Accept": "text/event-stream"},
            timeout=httpx.Timeout(None, connect=3.0),
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _unreachable(self.base_url, exc) from exc
        try:
            if response.status_code >= 400:
                await response.aread()
                raise _refusal(response)
            yield response.aiter_lines()
        finally:
            await response.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, API_PREFIX + path, **kwargs)
        except httpx.TransportError as exc:
            raise _unreachable(self.base_url, exc) from exc
        if response.status_code >= 400:
            raise _refusal(response)
        if not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.text


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Drop unset parameters; lists stay lists (httpx repeats the key)."""
    return {k: v for k, v in (params or {}).items() if v is not None and v != []}


def _unreachable(base_url: str, exc: Exception) -> ApiError:
    return ApiError(0, f"the operation API at {base_url} cannot be reached ({type(exc).__name__})")


def _refusal(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or response.text[:300] or response.reason_phrase)
    return ApiError(response.status_code, detail, body.get("field"))
