"""``create_app()``: the operation API (FastAPI) over PostgreSQL, VictoriaMetrics and Kafka.

Routes live under ``/api/v1``, one router per resource; ``/healthz`` and ``/readyz``
sit at the root. Clients are opened once per process in the lifespan and reach the
routes through ``satmon.api.deps``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from satmon.api import openapi, problems
from satmon.api.request_log import RequestIds
from satmon.api.resources import Resources
from satmon.api.routes import (
    alarms,
    export,
    health,
    inference,
    limits,
    log_tail,
    logs,
    pipeline,
    query,
    search,
    stream,
    trends,
)
from satmon.settings import Settings, get_settings

API_PREFIX = "/api/v1"
ROUTERS = (
    inference.router,
    trends.router,
    query.router,
    search.router,
    export.router,
    stream.router,
    logs.router,
    log_tail.router,
    limits.router,
    alarms.router,
    pipeline.router,
)
TAGS = [
    {"name": "inference", "description": "forecast jobs: submit one, read its result"},
    {"name": "trends", "description": "raw samples and buckets, forecasts, raw vs forecast"},
    {"name": "query", "description": "jobs, filtered and paged; their statistics"},
    {
        "name": "search",
        "description": "full-text search: forecasts, failures, dead letters, alarms",
    },
    {"name": "export", "description": "a range as CSV"},
    {"name": "stream", "description": "live telemetry as server-sent events"},
    {"name": "logs", "description": "the components' log records, filtered and paged"},
    {"name": "limits", "description": "red / yellow limits per metric and satellite, versioned"},
    {"name": "alarms", "description": "alarms, their history, acknowledge / shelve / unshelve"},
    {"name": "pipeline", "description": "topics, consumer lag, dead letters, functions, models"},
    {"name": "health", "description": "liveness and readiness"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; ``settings`` default to the process's (``SATMON_*``)."""
    config = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.resources = Resources.open(config)
        try:
            yield
        finally:
            await app.state.resources.close()

    app = FastAPI(
        title="satmon operation API",
        version="1.0.0",
        summary="Satellite telemetry, forecasts and their jobs: trends, search, export, live feed.",
        description=(
            "Errors are `application/problem+json` (RFC 9457) with a `detail` to act on. "
            "Writes need `Authorization: Bearer <token>`. Ranges: `range=1h|6h|1d|1w` "
            "ending now, or RFC 3339 `start` / `end`."
        ),
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = config
    problems.install(app, config.api_retry_after_s)
    app.add_middleware(RequestIds)
    app.include_router(health.router)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)

    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi.build(app)
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]
    return app
