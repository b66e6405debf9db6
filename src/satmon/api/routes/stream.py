"""``/stream``: server-sent events, each new telemetry sample as it arrives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from satmon.api.deps import FeedDep, SatellitesDep, SettingsDep, read_access
from satmon.api.feed import Subscriber, TelemetryFeed
from satmon.contract.events import SATELLITE_ID_PATTERN

router = APIRouter(prefix="/stream", tags=["stream"], dependencies=[Depends(read_access)])
SSE_EXAMPLE = (
    "retry: 3000\n\n: live\n\n"
    "id: 1795766400000\nevent: telemetry\n"
    'data: {"satellite_id":"SAT-001","timestamp":"2026-11-28T10:00:00.000Z","temperature":12.3}'
    "\n\n"
)


@router.get(
    "/telemetry",
    summary="Server-sent events: each new telemetry sample as it arrives",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "text/event-stream: `event: telemetry` with the sample as `data`, "
            "`event: dropped` when a slow client lost samples, `: keep-alive` comments",
            "content": {
                "text/event-stream": {"schema": {"type": "string"}, "example": SSE_EXAMPLE}
            },
        }
    },
)
async def telemetry(
    feed: FeedDep,
    directory: SatellitesDep,
    config: SettingsDep,
    satellite: Annotated[
        str | None,
        Query(max_length=64, pattern=SATELLITE_ID_PATTERN, description="default every satellite"),
    ] = None,
    max_events: Annotated[
        int | None, Query(ge=1, le=1_000_000, description="close after this many samples")
    ] = None,
) -> StreamingResponse:
    """One Kafka follower per API process feeds every client; the stream starts with
    ``: live`` once the follower is at the end of the topic."""
    if satellite is not None:
        await directory.require(satellite)
    subscriber = feed.subscribe(satellite)
    return StreamingResponse(
        _events(feed, subscriber, config.api_sse_heartbeat_s, max_events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    feed: TelemetryFeed, subscriber: Subscriber, heartbeat_s: float, max_events: int | None
) -> AsyncIterator[bytes]:
    try:
        yield b"retry: 3000\n\n"
        while not feed.ready.is_set():
            try:
                await asyncio.wait_for(feed.ready.wait(), heartbeat_s)
            except TimeoutError:
                yield b": waiting for Kafka\n\n"
        yield b": live\n\n"
        sent, told = 0, 0
        while max_events is None or sent < max_events:
            try:
                sample = await asyncio.wait_for(subscriber.queue.get(), heartbeat_s)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if subscriber.dropped > told:
                yield b"event: dropped\ndata: %d\n\n" % (subscriber.dropped - told)
                told = subscriber.dropped
            stamp = sample["timestamp"]
            yield b"id: %s\nevent: telemetry\ndata: %s\n\n" % (stamp.encode(), orjson.dumps(sample))
            sent += 1
    finally:
        feed.unsubscribe(subscriber)
