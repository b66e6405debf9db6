"""``/api/v1`` on the dashboard's own port, passed on to the operation API.

Why a proxy and not the API app mounted in this process: the API holds a Kafka
producer, a PostgreSQL pool and a Kafka follower per process; mounted here they would
run twice (once in the ``api`` component), the dashboard process would reach Kafka and
PostgreSQL itself, and its event loop would share every API request's work. Passing
requests on keeps one API, keeps the dashboard a pure client of it, and is what the
original Nginx did. Bodies stream both ways (CSV export, server-sent events), so
neither a week of CSV nor a live stream is held in memory here.
"""

from __future__ import annotations

import httpx
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

PREFIX = "/api/v1"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def install(app: FastAPI, upstream: str) -> httpx.AsyncClient:
    """Route ``/api/v1/...`` to ``upstream``; returns the client (close it on shutdown)."""
    client = httpx.AsyncClient(
        base_url=upstream.rstrip("/"),
        timeout=httpx.Timeout(60.0, connect=3.0, read=None),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )

    async def forward(request: Request, path: str) -> Response:
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers.append(("x-forwarded-host", request.headers.get("host", "")))
        outgoing = client.build_request(
            request.method,
            f"{PREFIX}/{path}",
            params=str(request.query_params),
            headers=headers,
            content=request.stream(),
        )
        try:
            answer = await client.send(outgoing, stream=True)
        except httpx.TransportError as exc:
            return _unavailable(upstream, exc)
        passed = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        passed.pop("content-encoding", None)  # httpx hands us the decoded bytes
        return StreamingResponse(
            answer.aiter_bytes(),
            status_code=answer.status_code,
            headers=passed,
            background=BackgroundTask(answer.aclose),
        )

    app.add_api_route(PREFIX + "/{path:path}", forward, methods=METHODS, include_in_schema=False)
    return client


def _unavailable(upstream: str, exc: Exception) -> Response:
    body = {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": f"the operation API at {upstream} cannot be reached ({type(exc).__name__}); "
        "start it with `satmon up` and retry",
        "dependency": "operation API",
    }
    return Response(
        orjson.dumps(body), 503, {"Retry-After": "5"}, media_type="application/problem+json"
    )
