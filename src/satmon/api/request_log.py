"""A request id for every API request: bound to its log records, sent back in
``X-Request-Id``, named by a 500's problem (``contract.http.request_id_from``: the
caller's own id when it is a sane token, else a new one)."""

from __future__ import annotations

from typing import Any

from satmon.contract.http import request_id_from
from satmon.logconfig import bind_ids, logging_enabled, unbind_ids

HEADER = b"x-request-id"


class RequestIds:
    """Pure ASGI middleware (no body buffering: streamed answers stay streamed)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.enabled = logging_enabled()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", ()) if k == HEADER), b"")
        request_id = request_id_from({"x-request-id": given.decode("latin-1")})
        encoded = request_id.encode()

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (HEADER, encoded)]
            await send(message)

        token = bind_ids(request_id=request_id) if self.enabled else None
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if token is not None:
                unbind_ids(token)
