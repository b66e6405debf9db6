"""``/logs``: the components' log records in VictoriaLogs, filtered and paged, newest first.

Filters: ``q`` (words, all of them, any case), ``component`` (repeatable), ``level``
(that level and above), the ids (``event_id``, ``job_id``, ``satellite``,
``request_id``, ``alarm_id``) and the time range. Every value is checked by
``satmon.clients.logsql.validate`` before a query is built: a quote, a pipe, a
backslash, a wildcard or a bracket is a 422 naming the parameter, never LogsQL.
Pages: ``limit`` records; ``next_cursor`` holds the range's fixed end and how many
newer records were already shown, so records stored while paging do not shift pages.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request

from satmon.api.deps import LogStoreDep, SettingsDep, read_access
from satmon.api.problems import Problem
from satmon.api.ranges import TimeRange, range_query
from satmon.api.schemas.logs import (
    ComponentCount,
    Level,
    LogComponents,
    LogPage,
    LogPageLinks,
    LogRecord,
)
from satmon.clients.logsql import LogFilter, LogFilterError, to_logsql

router = APIRouter(prefix="/logs", tags=["logs"], dependencies=[Depends(read_access)])
OFFSET_MAX = 100_000
TOP_FIELDS = (
    "level",
    "component",
    "logger",
    "event_id",
    "job_id",
    "satellite",
    "request_id",
    "alarm_id",
)
HIDDEN = ("_stream", "_stream_id", "_time", "_msg", "message", "time", "exception")
LogRange = Annotated[TimeRange, Depends(range_query("1d"))]
IdParam = Annotated[str | None, Query(max_length=200)]


async def log_query(
    q: Annotated[
        str | None, Query(max_length=200, description="words the message holds (any case)")
    ] = None,
    component: Annotated[
        list[str] | None, Query(description="components (repeatable), e.g. forecaster")
    ] = None,
    level: Annotated[Level | None, Query(description="this level and above")] = None,
    event_id: Annotated[str | None, Query(max_length=200, description="a CloudEvent id")] = None,
    job_id: IdParam = None,
    satellite: IdParam = None,
    request_id: IdParam = None,
    alarm_id: Annotated[
        int | None,
        Query(ge=1, le=2**63 - 1, description="an alarm's id: its steps and the actions on it"),
    ] = None,
) -> str:
    """The LogsQL filter of a request's filter parameters (``/logs`` and ``/logs/tail``)."""
    ids = {"event_id": event_id, "job_id": job_id, "satellite": satellite}
    ids["request_id"] = request_id
    ids["alarm_id"] = None if alarm_id is None else str(alarm_id)
    wanted = LogFilter(
        text=q,
        components=tuple(component or ()),
        level=level,
        ids={k: v for k, v in ids.items() if v is not None},
    )
    try:
        return to_logsql(wanted)
    except LogFilterError as exc:
        raise Problem(422, str(exc), f"query.{exc.field or 'q'}") from exc


LogQuery = Annotated[str, Depends(log_query)]


@router.get(
    "",
    summary="Log records, newest first",
    responses={422: {"description": "a filter value the log query cannot take"}},
)
async def logs(
    request: Request,
    store: LogStoreDep,
    config: SettingsDep,
    window: LogRange,
    logsql: LogQuery,
    limit: Annotated[int, Query(ge=1, le=1000, description="records per page")] = 100,
    cursor: Annotated[
        str | None, Query(max_length=400, description="next_cursor of the previous page")
    ] = None,
) -> LogPage:
    start, end, offset = window.start, window.end, 0
    if cursor is not None:
        start, end, offset = _read_cursor(cursor)
    limit = min(limit, config.logs_query_limit)
    rows = await store.newest(logsql, start, end, limit, offset)
    records = [record_of(row) for row in unique(rows)]
    more = len(rows) == limit and offset + limit < OFFSET_MAX
    next_cursor = _cursor(start, end, offset + len(rows)) if more else None
    link = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    return LogPage(
        records=records,
        next_cursor=next_cursor,
        query=logsql,
        start=start,
        end=end,
        links=LogPageLinks(next=link),
    )


@router.get("/components", summary="Components with records in the range, and how many")
async def components(store: LogStoreDep, window: LogRange) -> LogComponents:
    values = await store.field_values("*", "component", window.start, window.end)
    counts = sorted(
        (ComponentCount(component=v["value"], records=int(v.get("hits", 0))) for v in values),
        key=lambda c: c.component,
    )
    return LogComponents(components=counts, start=window.start, end=window.end)


def unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records the shipper sent twice (after a store restart) once: same component, line."""
    seen: set[tuple[Any, Any]] = set()
    out = []
    for row in rows:
        key = (row.get("component"), row.get("line"))
        if key[1] is not None and key in seen:
            continue
        seen.add(key)
        out.append(row)
    return out


def record_of(row: dict[str, Any]) -> LogRecord:
    top = {name: row.get(name) for name in TOP_FIELDS if row.get(name) not in (None, "")}
    rest = {k: v for k, v in row.items() if k not in TOP_FIELDS and k not in HIDDEN}
    return LogRecord(
        time=row.get("_time") or datetime.now(UTC),
        message=row.get("_msg", ""),
        exception=row.get("exception") or None,
        level=top.pop("level", "info"),
        component=top.pop("component", "unknown"),
        fields=rest,
        **top,
    )


def _cursor(start: datetime, end: datetime, offset: int) -> str:
    raw = orjson.dumps({"start": start.isoformat(), "end": end.isoformat(), "offset": offset})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[datetime, datetime, int]:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        start = datetime.fromisoformat(raw["start"])
        end = datetime.fromisoformat(raw["end"])
        offset = int(raw["offset"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise Problem(
            422, "cursor is not one this API gave; ask again without it", "query.cursor"
        ) from exc
    if start.tzinfo is None or end.tzinfo is None or not 0 <= offset <= OFFSET_MAX:
        raise Problem(422, "cursor is not one this API gave; ask again without it", "query.cursor")
    return start, end, offset
