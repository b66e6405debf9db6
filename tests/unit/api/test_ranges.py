"""Ranges: presets end now; explicit start/end are checked and named when wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from satmon.api.problems import Problem
from satmon.api.ranges import resolve

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("preset", "span"), [("1h", 1), ("6h", 6), ("1d", 24), ("1w", 168)])
def test_presets_end_now(preset: str, span: int) -> None:
    got = resolve(preset, None, None, None, now=NOW)
    assert got is not None and got.end == NOW and got.end - got.start == timedelta(hours=span)


def test_default_applies_only_when_nothing_is_given() -> None:
    got = resolve(None, None, None, "1h", now=NOW)
    assert got is not None and got.start == NOW - timedelta(hours=1)
    assert resolve(None, None, None, None, now=NOW) is None


def test_explicit_range_in_utc_and_end_defaults_to_now() -> None:
    start = datetime(2026, 11, 28, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    got = resolve(None, start, None, "1h", now=NOW + timedelta(hours=1))
    assert got is not None and got.start == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert got.start.tzinfo == UTC and got.end == NOW + timedelta(hours=1)
    assert got.span_ms == 2 * 3600 * 1000


@pytest.mark.parametrize(
    ("preset", "start", "end", "field", "words"),
    [
        ("1h", NOW - timedelta(hours=2), None, "query.range", "not both"),
        (None, NOW, NOW - timedelta(seconds=1), "query.end", "after start"),
        (None, NOW.replace(tzinfo=None), None, "query.start", "time zone"),
        (None, None, NOW, "query.start", "needs a start"),
        (None, NOW - timedelta(days=400), NOW, "query.start", "366 days"),
    ],
)
def test_nonsense_is_a_422_naming_the_parameter(
    preset: str | None, start: datetime | None, end: datetime | None, field: str, words: str
) -> None:
    with pytest.raises(Problem) as caught:
        resolve(preset, start, end, "1h", now=NOW)
    assert caught.value.status == 422 and caught.value.field == field
    assert words in caught.value.detail
