"""``/healthz`` (the process answers) and ``/readyz`` (PostgreSQL, VictoriaMetrics and
Kafka answer too): what the launcher, an orchestrator's probes and ``satmon status`` ask."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from satmon.api.deps import ResourcesDep
from satmon.api.problems import problem
from satmon.api.schemas.health import Alive, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> Alive:
    return Alive()


@router.get(
    "/readyz",
    summary="Readiness: PostgreSQL, VictoriaMetrics and Kafka answer",
    response_model=Ready,
    responses={503: {"description": "a dependency is down; the problem names it"}},
)
async def readyz(held: ResourcesDep) -> Response | Ready:
    pg, vm, kafka = await asyncio.gather(
        run_in_threadpool(held.db.ping),
        held.vm.ping(),
        run_in_threadpool(held.publisher.ping),
    )
    failures = {
        name: reason
        for name, reason in (("PostgreSQL", pg), ("VictoriaMetrics", vm), ("Kafka", kafka))
        if reason is not None
    }
    checks = {name: failures.get(name, "ok") for name in ("PostgreSQL", "VictoriaMetrics", "Kafka")}
    if not failures:
        return Ready(checks=checks)
    retry = held.settings.api_retry_after_s
    detail = "; ".join(f"{name} is unavailable ({why})" for name, why in failures.items())
    return problem(
        503,
        f"not ready: {detail}; retry in {retry} s",
        None,
        {"Retry-After": str(retry)},
        dependency=", ".join(failures),
        checks=checks,
    )
