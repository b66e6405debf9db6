"""Small pieces several pages use: a limit-state badge (icon + word + colour), a
number format, an error banner that shows the API's own words."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from nicegui import ui

from ui import theme
from ui.api_client import ApiError
from ui.limits import State


class StateBadge:
    """Colour, icon and word together, so no state is told by colour alone."""

    def __init__(self, state: State, mark: str | None = None) -> None:
        with ui.element("span").classes("state-badge") as self.box:
            self.icon = ui.icon(state.icon).classes("text-base")
            self.label = ui.label(state.text)
        if mark:
            self.box.mark(mark)
        self.state: State | None = None
        self.set(state)

    def set(self, state: State) -> None:
        if state == self.state:
            return
        self.state = state
        self.box.style(f"color:{state.style.colour}")
        self.box.props(f'data-state="{state.style.css}"')
        self.icon.name = state.icon
        self.label.text = state.text.upper()


def number(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def age(ts_ms: int | None, now_s: float | None = None) -> str:
    if ts_ms is None:
        return "never"
    seconds = max(0.0, (now_s or datetime.now(UTC).timestamp()) - ts_ms / 1000)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} d ago"


def clock(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def problem(error: ApiError | str, what: str) -> None:
    """An inline banner: what could not be shown and the API's reason."""
    detail = error.detail if isinstance(error, ApiError) else error
    with (
        ui.row()
        .classes("satmon-problem items-start gap-2 p-3 rounded w-full")
        .style(f"border:1px solid {theme.RED}; color:{theme.RED}")
        .mark("problem")
    ):
        ui.icon("report").classes("text-xl")
        ui.label(f"{what}: {detail}").classes("whitespace-pre-wrap")


def note(text: str) -> None:
    with ui.row().classes("items-center gap-2 text-muted"):
        ui.icon("info")
        ui.label(text)


def loading(what: str) -> None:
    """Says that a part of the page waits for the API (class ``satmon-loading``)."""
    with ui.row().classes("satmon-loading items-center gap-2 text-muted"):
        ui.spinner(size="1.2em")
        ui.label(f"reading {what} …")
