"""PingSource schedules (cron, shorthands, @every) and the tick event's attributes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from satmon.eventing.ping import PING_TYPE, PingRunner, parse_schedule
from satmon.eventing.topology import HttpSink, PingSpec

T0 = datetime(2026, 11, 28, 10, 17, 42, tzinfo=UTC)  # a Saturday


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("* * * * *", datetime(2026, 11, 28, 10, 18, tzinfo=UTC)),
        ("*/5 * * * *", datetime(2026, 11, 28, 10, 20, tzinfo=UTC)),
        ("0 * * * *", datetime(2026, 11, 28, 11, 0, tzinfo=UTC)),
        ("@hourly", datetime(2026, 11, 28, 11, 0, tzinfo=UTC)),
        ("30 9 * * *", datetime(2026, 11, 29, 9, 30, tzinfo=UTC)),
        ("0 0 * * mon", datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        ("0 0 1 jan *", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("15,45 10-11 * * *", datetime(2026, 11, 28, 10, 45, tzinfo=UTC)),
        ("0 12 1 * 1", datetime(2026, 11, 30, 12, 0, tzinfo=UTC)),  # dom OR dow
        ("0 0 * * 7", datetime(2026, 11, 29, 0, 0, tzinfo=UTC)),  # 7 = Sunday
    ],
)
def test_next_fire_time(schedule: str, expected: datetime) -> None:
    assert parse_schedule(schedule).next_after(T0) == expected


def test_every_interval() -> None:
    assert parse_schedule("@every 1m30s").every == 90.0
    assert parse_schedule("@every 250ms").next_after(T0) == T0.replace(microsecond=250000)


def test_timezone_is_applied_to_the_fields() -> None:
    zone = ZoneInfo("Europe/Berlin")
    nxt = parse_schedule("0 12 * * *").next_after(T0.astimezone(zone))
    assert nxt.astimezone(UTC) == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("* * * *", "5 fields"),
        ("61 * * * *", "outside"),
        ("*/0 * * * *", "step"),
        ("x * * * *", "not a number"),
        ("@every 0s", "positive"),
    ],
)
def test_bad_schedules(schedule: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(schedule)


def test_tick_attributes() -> None:
    spec = PingSpec(
        name="forecast-schedule",
        namespace="satmon",
        schedule="* * * * *",
        timezone=None,
        content_type="application/json",
        data=b'{"reason":"scheduled"}',
        sink=HttpSink("http://127.0.0.1:9"),
        extensions={"partitionkey": "schedule"},
    )
    attrs = PingRunner(spec, threading.Event()).attributes(T0)
    assert attrs["type"] == PING_TYPE
    assert attrs["source"] == "/apis/v1/namespaces/satmon/pingsources/forecast-schedule"
    assert attrs["time"] == "2026-11-28T10:17:42.000Z"
    assert attrs["datacontenttype"] == "application/json"
    assert attrs["partitionkey"] == "schedule"
