"""The Logs page's view as it lives in the URL: the filters of ``GET /api/v1/logs``
(text, components, lowest level, the ids) and the range (a preset or start / end), so a
view can be shared and a failed job, an alarm or a dead letter can link to its records."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from ui.views import View

PATH = "/logs"
LEVELS = ("debug", "info", "warning", "error", "critical")
IDS = ("event_id", "job_id", "satellite", "request_id", "alarm_id")
LINK_RANGE = "1w"
"""Links by an id look a week back: the id alone picks the records."""


@dataclass(frozen=True)
class LogView:
    q: str | None = None
    component: tuple[str, ...] = ()
    level: str | None = None
    event_id: str | None = None
    job_id: str | None = None
    satellite: str | None = None
    request_id: str | None = None
    alarm_id: str | None = None
    range: str | None = "1h"  # None when start / end are set
    start: datetime | None = None
    end: datetime | None = None
    problem: str | None = None

    @classmethod
    def parse(cls, query: Any) -> LogView:
        """From a request's query parameters (a multi-dict: ``component`` repeats)."""
        many = getattr(query, "getlist", None)
        components = tuple(many("component") if many else ())
        level = query.get("level") or None
        problems = []
        if level is not None and level not in LEVELS:
            problems.append(f"unknown level {level!r} ({', '.join(LEVELS)})")
            level = None
        window = View.parse(None, None, query.get("range"), query.get("start"), query.get("end"))
        if window.problem:
            problems.append(window.problem)
        text = {k: (query.get(k) or "").strip() or None for k in ("q", *IDS)}
        return cls(
            component=components,
            level=level,
            range=window.range,
            start=window.start,
            end=window.end,
            problem="; ".join(problems) or None,
            **text,
        )

    @property
    def live(self) -> bool:
        """A view ending now follows new records; a fixed start / end does not."""
        return self.end is None

    def filters(self) -> dict[str, Any]:
        """What ``/logs`` and ``/logs/tail`` take as filters (no range)."""
        out: dict[str, Any] = {k: getattr(self, k) for k in ("q", "level", *IDS)}
        out["component"] = list(self.component)
        return {k: v for k, v in out.items() if v}

    def api_params(self) -> dict[str, Any]:
        return {**self.filters(), **self._window().range_params()}

    def url(self) -> str:
        return f"{PATH}?{urlencode(self.api_params(), doseq=True)}"

    def with_(self, **changes: Any) -> LogView:
        known = {f.name for f in fields(self)}
        return replace(self, problem=None, **{k: v for k, v in changes.items() if k in known})

    def _window(self) -> View:
        return View(None, range=self.range, start=self.start, end=self.end)


def link(**ids: str | None) -> str:
    """The Logs page filtered by ids (``job_id=…``, ``event_id=…``, ``alarm_id=…``), a week
    back."""
    chosen: dict[str, Any] = {k: v for k, v in ids.items() if k in IDS}
    return LogView(range=LINK_RANGE, **chosen).url()


def around(start: datetime, end: datetime, margin_s: float = 60, **ids: str | None) -> str:
    """The Logs page filtered by ids over a span (an alarm's raise → clear), with a margin."""
    margin = timedelta(seconds=margin_s)
    chosen: dict[str, Any] = {k: v for k, v in ids.items() if k in IDS}
    return LogView(range=None, start=start - margin, end=end + margin, **chosen).url()
