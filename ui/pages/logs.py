"""Logs: the components' records from ``GET /api/v1/logs``, newest first and paged, with
filters (text, components, lowest level, range, the ids) that live in the URL, and a
live tail: new matching records arrive through the hub's shared follower of
``/api/v1/logs/tail`` and are put on top once a second (the hub's tick)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ui import services
from ui.api_client import ApiClient, ApiError
from ui.hub import LiveHub
from ui.layout import PAGE_RESPONSE_S, frame
from ui.log_view import IDS, LEVELS, PATH, LogView
from ui.widgets import note, problem

PAGE_SIZE = 100
MAX_ROWS = 500
"""Rows one page holds; live records push the oldest out (then "older" is off)."""
LEVEL_WORDS = {
    "debug": "· debug",
    "info": "ℹ info",
    "warning": "▲ warning",
    "error": "✖ error",
    "critical": "‼ critical",
}
COLUMNS = ("time", "level", "component", "message", "ids")
WRAPPED = ("message", "ids")


def register() -> None:
    @ui.page(PATH, response_timeout=PAGE_RESPONSE_S)
    async def logs() -> None:
        view = LogView.parse(ui.context.client.request.query_params)
        with frame("Logs", PATH):
            api = services.get().api
            Filters(view, await _components(api))
            if view.problem:
                problem(view.problem, "part of this link was left out")
            LogTable(api, services.get().hub, view)


async def _components(api: ApiClient) -> list[str]:
    try:
        answer = await api.get("/logs/components", {"range": "1d"})
    except ApiError:
        return []
    return [c["component"] for c in answer.get("components") or []]


class Filters:
    """The filter form; applying it opens the view's URL (so it can be shared)."""

    def __init__(self, view: LogView, components: list[str]) -> None:
        self.view = view
        with ui.card().classes("w-full"), ui.row().classes("w-full gap-3 items-end flex-wrap"):
            self.q = self._input("text", "words in the message", view.q, "q", "w-64")
            options = sorted(set(components) | set(view.component))
            self.component = (
                ui.select(options, multiple=True, value=list(view.component), label="component")
                .props("dense outlined dark use-chips clearable")
                .classes("w-56")
                .mark("log-filter-component")
            )
            self.level = (
                ui.select(
                    {"": "any", **{lv: f"{LEVEL_WORDS[lv]} and above" for lv in LEVELS}},
                    value=view.level or "",
                    label="level",
                )
                .props("dense outlined dark")
                .classes("w-44")
                .mark("log-filter-level")
            )
            self.range = (
                ui.toggle(["1h", "6h", "1d", "1w", "custom"], value=view.range or "custom")
                .props("dense no-caps")
                .mark("log-filter-range")
            )
            start = view.start.strftime("%Y-%m-%dT%H:%M:%SZ") if view.start else ""
            end = view.end.strftime("%Y-%m-%dT%H:%M:%SZ") if view.end else ""
            self.start = self._input("start (UTC)", "2026-12-02T07:00:00Z", start, "start", "w-52")
            self.end = self._input("end (UTC)", "2026-12-02T08:00:00Z", end, "end", "w-52")
            self.ids = {
                name: self._input(
                    name.replace("_", " "), "exact", getattr(view, name), name, "w-56"
                )
                for name in IDS
            }
            ui.button("apply", icon="filter_alt", on_click=self.apply).mark("log-apply")
            ui.button("clear", icon="clear", on_click=lambda: ui.navigate.to(PATH)).props("flat")

    def _input(
        self, label: str, hint: str, value: str | None, name: str, width: str = "w-56"
    ) -> ui.input:
        field = ui.input(label, value=value or "", placeholder=hint)
        field.props("dense outlined dark clearable").classes(width).mark(f"log-filter-{name}")
        field.on("keydown.enter", self.apply)
        return field

    def chosen(self) -> LogView:
        custom = self.range.value == "custom"
        query: dict[str, Any] = {
            "q": self.q.value,
            "level": self.level.value,
            "range": None if custom else self.range.value,
            "start": self.start.value if custom else None,
            "end": self.end.value if custom else None,
            **{name: field.value for name, field in self.ids.items()},
        }
        parsed = LogView.parse({k: v for k, v in query.items() if v})
        return parsed.with_(component=tuple(self.component.value or ()))

    def apply(self) -> None:
        ui.navigate.to(self.chosen().url())


class LogTable:
    def __init__(self, api: ApiClient, hub: LiveHub, view: LogView) -> None:
        self.api, self.view = api, view
        self.cursor: str | None = None
        self.pending: list[dict[str, Any]] = []
        self.trimmed = False
        with ui.card().classes("w-full"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label("Records, newest first").classes("text-lg font-bold")
                ui.space()
                self.tail_state = ui.label("").classes("text-sm").mark("log-tail-state")
            self.error = ui.column().classes("w-full")
            self.table = (
                ui.table(
                    columns=[
                        {
                            "name": c,
                            "label": c,
                            "field": c,
                            "align": "left",
                            "classes": "" if c in WRAPPED else "whitespace-nowrap",
                        }
                        for c in COLUMNS
                    ],
                    rows=[],
                    row_key="key",
                )
                .classes("w-full satmon-logs")
                .props("dense flat wrap-cells")
                .mark("logs-table")
            )
            self.more = ui.button("older", icon="expand_more", on_click=self.load_more).props(
                "flat"
            )
            self.more.set_visibility(False)
        ui.timer(0, self.load_more, once=True)
        if view.live:
            tail = hub.log_tail(view.filters())
            self.show_state(tail.state)
            tail.subscribe(self.pending.append, self.show_state)
            hub.tick.subscribe(self.flush)
        else:
            self.tail_state.text = "■ live tail off: the range has a fixed end"

    async def load_more(self) -> None:
        self.error.clear()
        params = {**self.view.api_params(), "limit": PAGE_SIZE, "cursor": self.cursor}
        try:
            page = await self.api.get("/logs", params)
        except ApiError as exc:
            with self.error:
                problem(exc, "log records could not be read")
            return
        self.cursor = page.get("next_cursor")
        known = {r["key"] for r in self.table.rows}
        older = [r for r in map(row, page.get("records") or []) if r["key"] not in known]
        self.table.rows = [*self.table.rows, *older][:MAX_ROWS]
        self.table.update()
        self.more.set_visibility(self.cursor is not None and not self.trimmed)
        if not self.table.rows:
            with self.error:
                note("no record matches these filters in this range")

    def flush(self) -> None:
        """Put the records the tail brought on top (once a second, not per record)."""
        if not self.pending:
            return
        known = {r["key"] for r in self.table.rows}
        fresh = [r for r in map(row, reversed(self.pending)) if r["key"] not in known]
        self.pending.clear()
        if not fresh:
            return
        if self.table.rows == [] and self.error.default_slot.children:
            self.error.clear()
        rows = [*fresh, *self.table.rows]
        if len(rows) > MAX_ROWS:
            rows, self.trimmed = rows[:MAX_ROWS], True
            self.more.set_visibility(False)
        self.table.rows = rows
        self.table.update()

    def show_state(self, state: str) -> None:
        words = {"live": "● live tail: new records appear on top", "connecting": "… connecting"}
        self.tail_state.text = words.get(state, f"✖ live tail {state}")
        self.tail_state.props(f'data-state="{state.split(":")[0]}"')


def row(record: dict[str, Any]) -> dict[str, Any]:
    """A record as a table row; ``key`` tells a record met twice (page and tail) apart."""
    ids = " ".join(f"{k}={record[k]}" for k in IDS if record.get(k))
    message = record.get("message") or ""
    if record.get("exception"):
        message += "\n" + str(record["exception"]).strip().splitlines()[-1]
    stamp = str(record.get("time", ""))
    return {
        "key": f"{stamp}|{record.get('component')}|{message[:80]}",
        "time": stamp[:23].replace("T", " "),
        "level": LEVEL_WORDS.get(str(record.get("level")), str(record.get("level"))),
        "component": record.get("component"),
        "message": message,
        "ids": ids,
    }
