"""Time ranges of every endpoint: a preset (``1h``, ``6h``, ``1d``, ``1w``) ending now,
or explicit RFC 3339 ``start`` / ``end`` (``end`` defaults to now).

No ``from __future__ import annotations`` here: FastAPI must evaluate the annotations
of ``range_query``'s inner dependency, which name a local of the enclosing function.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import Query

from satmon.api.problems import Problem

Preset = Literal["1h", "6h", "1d", "1w"]
PRESETS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
}
MAX_SPAN = timedelta(days=366)


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    @property
    def start_ms(self) -> int:
        return epoch_ms(self.start)

    @property
    def end_ms(self) -> int:
        return epoch_ms(self.end)

    @property
    def span_ms(self) -> int:
        return self.end_ms - self.start_ms


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, as VictoriaMetrics stores telemetry timestamps."""
    return round(moment.timestamp() * 1000)


def resolve(
    preset: str | None,
    start: datetime | None,
    end: datetime | None,
    default: str | None,
    now: datetime | None = None,
) -> TimeRange | None:
    """The range a request asks for; a 422 naming the parameter when it makes no sense."""
    now = now or datetime.now(UTC)
    for name, moment in (("start", start), ("end", end)):
        if moment is not None and moment.tzinfo is None:
            raise Problem(
                422, f"{name} needs a time zone, e.g. 2026-11-28T10:00:00Z", f"query.{name}"
            )
    if preset is not None and (start is not None or end is not None):
        raise Problem(422, "give either range or start/end, not both", "query.range")
    if preset is not None:
        return TimeRange(now - PRESETS[preset], now)
    if start is None and end is None:
        return None if default is None else TimeRange(now - PRESETS[default], now)
    stop = (end or now).astimezone(UTC)
    if start is None:
        raise Problem(422, "end needs a start (or use range=1h|6h|1d|1w)", "query.start")
    begin = start.astimezone(UTC)
    if stop <= begin:
        raise Problem(422, "end must be after start", "query.end")
    if stop - begin > MAX_SPAN:
        raise Problem(422, f"a range spans at most {MAX_SPAN.days} days", "query.start")
    return TimeRange(begin, stop)


def range_query(default: str | None) -> Callable[..., Awaitable[TimeRange | None]]:
    """A dependency reading ``range`` / ``start`` / ``end``; ``default`` when none is given."""
    about = f"default {default} ending now" if default else "default: all time"

    async def dependency(
        preset: Annotated[
            Preset | None,
            Query(alias="range", description=f"a preset span ending now ({about})"),
        ] = None,
        start: Annotated[
            datetime | None, Query(description="RFC 3339 start (inclusive), with a time zone")
        ] = None,
        end: Annotated[
            datetime | None, Query(description="RFC 3339 end (exclusive), default now")
        ] = None,
    ) -> TimeRange | None:
        return resolve(preset, start, end, default)

    return dependency
