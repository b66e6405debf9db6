"""``/alarms``: alarms filtered and keyset-paged, one with its history, and the operators'
steps (acknowledge, shelve, unshelve), each stored, then published on ``alarms``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from satmon.api.deps import CallerToken, DatabaseDep, OptionalRange, PublisherDep, read_access
from satmon.api.problems import Problem, Unavailable
from satmon.api.schemas.alarms import (
    Acknowledge,
    AlarmDetail,
    AlarmPage,
    AlarmStep,
    AlarmSummary,
    Shelve,
    Unshelve,
)
from satmon.api.schemas.inference import MetricName
from satmon.contract.alarms import Kind, Severity, State, alarm_event, log_step
from satmon.contract.events import SATELLITE_ID_PATTERN, TOPIC_ALARMS
from satmon.pipeline import alarm_actions
from satmon.pipeline.alarm_lifecycle import Conflict
from satmon.store import alarm_reads, alarms

log = logging.getLogger(__name__)
router = APIRouter(prefix="/alarms", tags=["alarms"])
AlarmId = Annotated[int, Path(ge=1, description="from GET /alarms")]
Satellites = Annotated[
    list[Annotated[str, Query(max_length=64, pattern=SATELLITE_ID_PATTERN)]] | None,
    Query(alias="satellite", description="repeat for several"),
]
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or a wrong bearer token"},
    404: {"description": "no alarm has this id"},
    409: {"description": "the step does not apply in the alarm's state (the detail says why)"},
}


@router.get("", summary="Alarms, filtered and keyset-paged", dependencies=[Depends(read_access)])
def list_alarms(
    db: DatabaseDep,
    window: OptionalRange,
    state: Annotated[list[State] | None, Query(description="repeat for several")] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    kind: Annotated[list[Kind] | None, Query()] = None,
    satellite: Satellites = None,
    metric: Annotated[list[MetricName] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$")] = None,
) -> AlarmPage:
    """Newest first. The range (``range`` / ``start`` / ``end``) filters on when an alarm
    was raised; ``state`` on its state now (``shelved`` while a shelve lasts)."""
    filters = {"state": state, "severity": severity, "kind": kind,
               "satellite_id": satellite, "metric": metric}  # fmt: skip
    with db.connection() as conn:
        rows = alarm_reads.list_alarms(
            conn,
            {k: list(v) for k, v in filters.items() if v},
            window.start if window else None,
            window.end if window else None,
            int(cursor) if cursor else None,
            limit + 1,
        )
    page = rows[:limit]
    more = len(rows) > limit
    return AlarmPage(
        items=[_summary(r) for r in page],
        next_cursor=str(page[-1]["id"]) if more else None,
        limit=limit,
    )


@router.get(
    "/{alarm_id}",
    summary="One alarm with its history",
    dependencies=[Depends(read_access)],
    responses={404: {"description": "no alarm has this id"}},
)
def one_alarm(db: DatabaseDep, alarm_id: AlarmId) -> AlarmDetail:
    return _detail(db, alarm_id)


@router.post("/{alarm_id}/acknowledge", summary="Acknowledge an alarm", responses=WRITE_ERRORS)
async def acknowledge(
    alarm_id: AlarmId, body: Acknowledge, _token: CallerToken, db: DatabaseDep, kafka: PublisherDep
) -> AlarmDetail:
    """An active alarm becomes acknowledged; a returned one clears."""
    return await _step(db, kafka, alarm_id, alarm_actions.acknowledge, body.operator, body.comment)


@router.post("/{alarm_id}/shelve", summary="Shelve an alarm until a time", responses=WRITE_ERRORS)
async def shelve(
    alarm_id: AlarmId, body: Shelve, _token: CallerToken, db: DatabaseDep, kafka: PublisherDep
) -> AlarmDetail:
    """Hidden from the active list (state ``shelved``) until ``until`` or for
    ``duration_s``; its condition is still tracked. A reason is required."""
    until = _shelve_end(body)
    return await _step(db, kafka, alarm_id, alarm_actions.shelve, body.operator, body.reason, until)


@router.post("/{alarm_id}/unshelve", summary="Unshelve an alarm", responses=WRITE_ERRORS)
async def unshelve(
    alarm_id: AlarmId, body: Unshelve, _token: CallerToken, db: DatabaseDep, kafka: PublisherDep
) -> AlarmDetail:
    return await _step(db, kafka, alarm_id, alarm_actions.unshelve, body.operator, body.comment)


async def _step(db: Any, kafka: Any, alarm_id: int, action: Any, *args: Any) -> AlarmDetail:
    def store() -> dict[str, Any] | None:
        with db.connection() as conn:
            return action(conn, alarm_id, *args)

    try:
        step = await run_in_threadpool(store)
    except Conflict as exc:
        raise Problem(409, str(exc), "path.alarm_id") from exc
    if step is None:
        raise _missing(alarm_id)
    log_step(log, step)
    await _publish(db, kafka, step)
    return await run_in_threadpool(_detail, db, alarm_id)


async def _publish(db: Any, kafka: Any, step: dict[str, Any]) -> None:
    """The step is stored: publish it now, or leave it to the evaluator's outbox sweep."""
    try:
        await kafka.publish(TOPIC_ALARMS, alarm_event(step))
    except Unavailable as exc:
        log.warning("alarm %s step %s waits in the outbox: %s", step["alarm_id"], step["seq"], exc)
        return

    def mark() -> None:
        with db.connection() as conn:
            alarms.mark_published(conn, [(step["alarm_id"], step["seq"])])

    await run_in_threadpool(mark)


def _shelve_end(body: Shelve) -> datetime:
    if (body.until is None) == (body.duration_s is None):
        raise Problem(422, "give either until or duration_s (not both, not neither)", "body.until")
    if body.until is not None:
        if body.until.tzinfo is None:
            raise Problem(422, "until needs a time zone, e.g. 2026-11-28T10:00:00Z", "body.until")
        if body.until <= datetime.now(UTC):
            raise Problem(422, "until must lie in the future", "body.until")
        if body.until - datetime.now(UTC) > timedelta(days=30):
            raise Problem(422, "a shelve lasts at most 30 days", "body.until")
        return body.until.astimezone(UTC)
    return datetime.now(UTC) + timedelta(seconds=body.duration_s or 0)


def _detail(db: Any, alarm_id: int) -> AlarmDetail:
    with db.connection() as conn:
        row = alarm_reads.fetch_alarm(conn, alarm_id)
        steps = alarm_reads.history(conn, alarm_id) if row is not None else []
    if row is None:
        raise _missing(alarm_id)
    return AlarmDetail(
        **_summary(row).model_dump(),
        history=[
            AlarmStep(
                **{k: v for k, v in s.items() if k != "published_at"},
                published=s["published_at"] is not None,
            )
            for s in steps
        ],
    )


def _summary(row: dict[str, Any]) -> AlarmSummary:
    fields = {k: v for k, v in row.items() if k in AlarmSummary.model_fields}
    return AlarmSummary(**fields, satellite=row["satellite_id"], steps=row["seq"])


def _missing(alarm_id: int) -> Problem:
    return Problem(404, f"no alarm {alarm_id}; GET /api/v1/alarms lists them", "path.alarm_id")
