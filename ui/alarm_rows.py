"""Alarms as the API lists them, put in an operator's order (pure functions): the
worst first, then the newest; each state said in words beside its colour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ui import log_view
from ui.limits import Level
from ui.views import instant

SEVERITY_LEVEL = {
    "red": Level.RED,
    "critical": Level.RED,
    "yellow": Level.YELLOW,
    "warning": Level.YELLOW,
}


@dataclass(frozen=True)
class AlarmRow:
    id: str
    satellite: str
    metric: str
    kind: str
    severity: str
    level: Level
    state: str  # what an operator reads: "active, unacknowledged", "shelved", …
    raised_at: str
    value: str
    message: str
    acknowledged: bool
    shelved: bool
    active: bool
    raised_iso: str = ""  # the API's times as given, for the link to its log records
    ended_iso: str | None = None  # returned to normal or cleared; None while it holds

    @property
    def title(self) -> str:
        """``SAT-001 · temperature · limit``; a stale alarm (no metric) ``SAT-001 · stale``."""
        return " · ".join(part for part in (self.satellite, self.metric, self.kind) if part)


def items(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, dict):
        doc = doc.get("items") or doc.get("alarms") or []
    return [a for a in doc or [] if isinstance(a, dict)]


def row(alarm: dict[str, Any]) -> AlarmRow:
    severity = str(alarm.get("severity") or "").lower()
    acknowledged = bool(alarm.get("acknowledged") or alarm.get("acknowledged_at"))
    if alarm.get("state") is not None:  # the API's state: "shelved" only while it lasts
        shelved = str(alarm["state"]).lower() == "shelved" or alarm.get("shelved") is True
    else:
        shelved = bool(alarm.get("shelved") or alarm.get("shelved_until"))
    state = str(alarm.get("state") or "active").lower()
    active = alarm.get("active")
    if not isinstance(active, bool):  # the API says so; else read it from the state
        active = not state.startswith(("cleared", "normal", "returned", "rtn"))
    words = ["shelved"] if shelved else []
    words.append("active" if active else "returned to normal")
    words.append("acknowledged" if acknowledged else "unacknowledged")
    value = alarm.get("value")
    return AlarmRow(
        id=str(alarm.get("id") or alarm.get("alarm_id")),
        satellite=str(alarm.get("satellite") or alarm.get("satellite_id") or ""),
        metric=str(alarm.get("metric") or ""),
        kind=str(alarm.get("kind") or alarm.get("type") or "limit"),
        severity=severity or "–",
        level=SEVERITY_LEVEL.get(severity, Level.STALE if "stale" in severity else Level.UNKNOWN),
        state=", ".join(words),
        raised_at=str(alarm.get("raised_at") or alarm.get("time") or "")[:19].replace("T", " "),
        value=""
        if value is None
        else f"{value:g}"
        if isinstance(value, int | float)
        else str(value),
        message=str(alarm.get("message") or alarm.get("detail") or ""),
        acknowledged=acknowledged,
        shelved=shelved,
        active=active,
        raised_iso=str(alarm.get("raised_at") or ""),
        ended_iso=alarm.get("cleared_at") or alarm.get("returned_at"),
    )


def logs_link(alarm: AlarmRow) -> str:
    """The Logs page of the alarm's own records: every step the evaluator took and every
    operator's action carry its ``alarm_id``."""
    return log_view.link(alarm_id=str(alarm.id))


def span_logs_link(alarm: AlarmRow, now: datetime | None = None) -> str:
    """The Logs page over the alarm's span (raised → returned or cleared, else now) for
    its satellite: what every component logged about that satellite meanwhile."""
    finish = datetime.now(UTC) if now is None else now
    try:
        raised = instant(alarm.raised_iso)
        ended = instant(alarm.ended_iso) if alarm.ended_iso else finish
    except ValueError:
        return log_view.link(satellite=alarm.satellite)
    return log_view.around(raised, max(ended, raised), satellite=alarm.satellite)


def ordered(alarms: list[dict[str, Any]]) -> list[AlarmRow]:
    """Active before cleared, worst severity first, newest first within each."""
    rows = [row(a) for a in alarms]
    rows.sort(key=lambda r: r.raised_at, reverse=True)
    rows.sort(key=lambda r: (not r.active, -int(r.level)))
    return rows
