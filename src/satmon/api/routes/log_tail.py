"""``/logs/tail``: server-sent events, each new log record that matches the filters.

The filters are those of ``GET /logs`` (the same validation, the same LogsQL); the store
does the matching (VictoriaLogs' ``/select/logsql/tail``), one upstream tail per client.
The store reads ``logs_tail_delay_s`` behind now, so a record is tailed about that long
after it was written, and one that took longer to become searchable is not tailed (a
page of ``GET /logs`` still has it). A record the shipper sent twice is sent once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from satmon.api.deps import LogStoreDep, SettingsDep, read_access
from satmon.api.problems import Unavailable
from satmon.api.routes.logs import LogQuery, record_of
from satmon.api.upstream.logs import LogStoreReader

router = APIRouter(prefix="/logs", tags=["logs"], dependencies=[Depends(read_access)])
SEEN_MAX = 10_000
QUEUE_MAX = 2_000
SSE_EXAMPLE = (
    "retry: 3000\n\n: live\n\n"
    'event: log\ndata: {"time":"2026-11-28T10:00:01.123456Z","level":"warning",'
    '"component":"forecaster","message":"forecast failed: not enough data"}\n\n'
)


@router.get(
    "/tail",
    summary="Server-sent events: each new log record that matches the filters",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "text/event-stream: `event: log` with the record as `data`, "
            "`event: dropped` when a slow client lost records, `event: error` when the "
            "store's tail broke (the stream then ends), `: keep-alive` comments",
            "content": {
                "text/event-stream": {"schema": {"type": "string"}, "example": SSE_EXAMPLE}
            },
        },
        422: {"description": "a filter value the log query cannot take"},
        503: {"description": "VictoriaLogs cannot be reached"},
    },
)
async def tail(store: LogStoreDep, config: SettingsDep, logsql: LogQuery) -> StreamingResponse:
    down = await store.ping()
    if down is not None:
        raise Unavailable(store.name, down)
    return StreamingResponse(
        _events(store, logsql, config.logs_tail_delay_s, config.api_sse_heartbeat_s),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    store: LogStoreReader, logsql: str, delay_s: float, heartbeat_s: float
) -> AsyncIterator[bytes]:
    queue: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue(QUEUE_MAX)
    dropped = [0]
    reader = asyncio.create_task(_read(store, logsql, delay_s, queue, dropped))
    seen: OrderedDict[tuple[Any, Any], None] = OrderedDict()
    told = 0
    try:
        yield b"retry: 3000\n\n: live\n\n"
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), heartbeat_s)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if isinstance(item, BaseException):
                detail = orjson.dumps({"detail": f"the log store's tail broke: {item}"})
                yield b"event: error\ndata: %s\n\n" % detail
                return
            if dropped[0] > told:
                yield b"event: dropped\ndata: %d\n\n" % (dropped[0] - told)
                told = dropped[0]
            key = (item.get("component"), item.get("line"))
            if key[1] is not None:
                if key in seen:
                    continue
                seen[key] = None
                if len(seen) > SEEN_MAX:
                    seen.popitem(last=False)
            yield b"event: log\ndata: %s\n\n" % record_of(item).model_dump_json().encode()
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


async def _read(
    store: LogStoreReader,
    logsql: str,
    delay_s: float,
    queue: asyncio.Queue[dict[str, Any] | BaseException],
    dropped: list[int],
) -> None:
    """The store's tail into ``queue``; a full queue drops (and counts) the record."""
    try:
        async with store.tail(logsql, delay_s) as lines:
            async for line in lines:
                if not line.strip():
                    continue
                if queue.full():
                    dropped[0] += 1
                    continue
                queue.put_nowait(orjson.loads(line))
        raise ConnectionError("VictoriaLogs closed the tail")
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the stream says so to its client, then ends
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(exc)
