"""The server-sent-events parser: events, comments, multi-line data, ids."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from ui.sse import EventParser, ServerEvent, events


def test_parser_yields_each_event_at_its_blank_line() -> None:
    parser = EventParser()
    lines = ["retry: 3000", "", ": live", "", "id: 17", "event: telemetry", 'data: {"a": 1}', ""]
    out = [e for e in map(parser.feed, lines) if e is not None]
    assert out == [ServerEvent("telemetry", '{"a": 1}', "17")]


def test_data_lines_join_and_the_type_resets() -> None:
    parser = EventParser()
    for line in ["event: dropped", "data: 3", "data: 4"]:
        assert parser.feed(line) is None
    assert parser.feed("") == ServerEvent("dropped", "3\n4", None)
    parser.feed("data:x")
    assert parser.feed("") == ServerEvent("message", "x", None)


def test_events_reads_an_async_line_stream_with_carriage_returns() -> None:
    async def lines() -> AsyncIterator[str]:
        for line in ["event: telemetry\r", "data: 1\r", "\r", "event: telemetry", "data: 2", ""]:
            yield line

    async def collect() -> list[str]:
        return [e.data async for e in events(lines())]

    assert asyncio.run(collect()) == ["1", "2"]
