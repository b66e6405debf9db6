"""``/query``: forecast jobs filtered, sorted and keyset-paged; counts and latencies."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from satmon.api.deps import DatabaseDep, OptionalRange, TrendRange, read_access
from satmon.api.problems import Problem
from satmon.api.schemas.inference import JobStatus, MetricName, ModelName
from satmon.api.schemas.query import (
    JobPage,
    JobStats,
    JobSummary,
    ModelLatency,
    Percentiles,
    StatusCount,
)
from satmon.contract.events import SATELLITE_ID_PATTERN
from satmon.contract.forecast import SHORT_NAMES
from satmon.store.results import job_stats, list_jobs

router = APIRouter(prefix="/query", tags=["query"], dependencies=[Depends(read_access)])
Sort = Literal["requested_at", "-requested_at", "updated_at", "-updated_at"]
Satellites = Annotated[
    list[Annotated[str, Query(max_length=64, pattern=SATELLITE_ID_PATTERN)]] | None,
    Query(alias="satellite", description="repeat for several"),
]


@router.get("/jobs", summary="Jobs, filtered, sorted and keyset-paged")
def jobs(
    db: DatabaseDep,
    window: OptionalRange,
    satellite: Satellites = None,
    metric: Annotated[list[MetricName] | None, Query()] = None,
    model: Annotated[list[ModelName] | None, Query()] = None,
    status: Annotated[list[JobStatus] | None, Query()] = None,
    trigger: Annotated[list[Literal["api", "schedule"]] | None, Query()] = None,
    sort: Annotated[Sort, Query(description="a column; a leading '-' for newest first")] = (
        "-requested_at"
    ),
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=400, description="next_cursor of the previous page")
    ] = None,
) -> JobPage:
    """The time range (``range`` / ``start`` / ``end``) filters on ``requested_at``."""
    column = sort.lstrip("-")
    filters: dict[str, list[str]] = {
        "satellite_id": list(satellite or []),
        "metric": list(metric or []),
        "model": [SHORT_NAMES.get(m, m) for m in model or []],
        "status": list(status or []),
        "trigger": list(trigger or []),
    }
    after = _decode(cursor, column) if cursor else None
    with db.connection() as conn:
        rows = list_jobs(
            conn,
            filters,
            window.start if window else None,
            window.end if window else None,
            column,
            sort.startswith("-"),
            after,
            limit + 1,
        )
    page = rows[:limit]
    more = len(rows) > limit
    return JobPage(
        items=[_summary(r) for r in page],
        next_cursor=_encode(page[-1][column], page[-1]["job_id"], column) if more else None,
        sort=sort,
        limit=limit,
    )


@router.get("/stats", summary="Counts by status and model, latency percentiles, jobs/min")
async def stats(
    db: DatabaseDep,
    window: TrendRange,
    satellite: Annotated[str | None, Query(max_length=64, pattern=SATELLITE_ID_PATTERN)] = None,
    metric: MetricName | None = None,
) -> JobStats:
    """Jobs requested in the range (default the last hour)."""

    def read() -> Any:
        with db.connection() as conn:
            return job_stats(conn, window.start, window.end, satellite, metric)

    counts, latencies = await run_in_threadpool(read)
    by_status: dict[str, int] = {}
    by_model: dict[str, int] = {}
    for status, model, n in counts:
        by_status[status] = by_status.get(status, 0) + n
        by_model[model] = by_model.get(model, 0) + n
    total = sum(by_status.values())
    return JobStats(
        start=window.start,
        end=window.end,
        total=total,
        jobs_per_minute=total / max(window.span_ms / 60_000, 1e-9),
        by_status=by_status,
        by_model=by_model,
        counts=[StatusCount(status=s, model=m, count=n) for s, m, n in counts],
        latency=[
            ModelLatency(
                model=model,
                completed=n,
                latency_ms=_percentiles(latency),
                turnaround_ms=_percentiles(turnaround),
            )
            for model, n, latency, turnaround in sorted(latencies, key=lambda r: r[0] or "~")
        ],
    )


def _summary(row: dict[str, Any]) -> JobSummary:
    return JobSummary(**{("satellite" if k == "satellite_id" else k): v for k, v in row.items()})


def _percentiles(values: list[float | None] | None) -> Percentiles:
    p50, p95, p99 = values or (None, None, None)
    return Percentiles(p50=p50, p95=p95, p99=p99)


def _encode(key: datetime, job_id: str, column: str) -> str:
    raw = orjson.dumps([column, key.isoformat(), job_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, column: str) -> tuple[datetime, str]:
    """A cursor of ``_encode`` for the same sort column, else a 422 naming it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sorted_by, key, job_id = orjson.loads(raw)
        moment = datetime.fromisoformat(key)
        if sorted_by != column or not isinstance(job_id, str) or moment.tzinfo is None:
            raise ValueError("not this listing's cursor")
    except (binascii.Error, ValueError, TypeError) as exc:
        raise Problem(
            422,
            "cursor is not a next_cursor of this listing (same sort); start without it",
            "query.cursor",
        ) from exc
    return moment, job_id
