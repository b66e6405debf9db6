"""A chart's view as it lives in the URL: satellite, metric and range (a preset or a
custom start / end), parsed leniently (a bad value falls back and says why)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from satmon.contract.events import METRICS

PRESETS = {"1h": 3600, "6h": 6 * 3600, "1d": 86400, "1w": 7 * 86400}
DEFAULT_RANGE = "1h"
DEFAULT_METRIC = "temperature"


@dataclass(frozen=True)
class View:
    satellite: str | None
    metric: str = DEFAULT_METRIC
    range: str | None = DEFAULT_RANGE  # None when start / end are set
    start: datetime | None = None
    end: datetime | None = None
    problem: str | None = None  # what was wrong with the URL, shown to the operator

    @classmethod
    def parse(
        cls,
        satellite: str | None,
        metric: str | None,
        range_: str | None,
        start: str | None,
        end: str | None,
    ) -> View:
        problems = []
        if metric and metric not in METRICS:
            problems.append(f"unknown metric {metric!r}")
            metric = None
        view = cls(satellite, metric or DEFAULT_METRIC)
        if start or end:
            try:
                begin, finish = instant(start or ""), instant(end or "")
            except ValueError as exc:
                problems.append(str(exc))
            else:
                if begin < finish:
                    view = replace(view, range=None, start=begin, end=finish)
                else:
                    problems.append("start must be before end")
        elif range_ and range_ not in PRESETS:
            problems.append(f"unknown range {range_!r} (1h, 6h, 1d, 1w or start/end)")
        elif range_:
            view = replace(view, range=range_)
        return replace(view, problem="; ".join(problems) or None)

    def window(self, now: datetime | None = None) -> tuple[datetime, datetime]:
        if self.start is not None and self.end is not None:
            return self.start, self.end
        finish = now or datetime.now(UTC)
        return finish - timedelta(seconds=PRESETS[self.range or DEFAULT_RANGE]), finish

    def range_params(self) -> dict[str, str]:
        """What the API takes: ``range`` or ``start`` / ``end``."""
        if self.start is not None and self.end is not None:
            return {"start": _format(self.start), "end": _format(self.end)}
        return {"range": self.range or DEFAULT_RANGE}

    def url(self, path: str) -> str:
        query = {"satellite": self.satellite or "", "metric": self.metric, **self.range_params()}
        return f"{path}?{urlencode({k: v for k, v in query.items() if v})}"


def instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time (RFC 3339, e.g. 2026-11-28T10:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
