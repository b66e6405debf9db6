"""Alarms: active and recent ones, worst and newest first; acknowledge and shelve (the
API token is asked once per tab); one alarm's history. One shared poll of
``/alarms`` per process feeds every open alarms page."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ui import alarm_rows, services
from ui.alarm_rows import AlarmRow
from ui.api_client import ApiClient, ApiError
from ui.layout import PAGE_RESPONSE_S, frame
from ui.limits import STYLES
from ui.token import with_token
from ui.widgets import note, problem

PATH = "/alarms"
POLL_S = 2.0
SHELVE_CHOICES = {900: "15 min", 3600: "1 h", 4 * 3600: "4 h", 86400: "1 day"}


def register() -> None:
    @ui.page(PATH, response_timeout=PAGE_RESPONSE_S)
    async def alarms() -> None:
        with frame("Alarms", PATH):
            AlarmBoard(services.get().api)


class AlarmBoard:
    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.watch = services.get().hub.watch("/alarms", POLL_S, {"limit": 200})
        self.message = ui.column().classes("w-full")
        self.body = ui.column().classes("w-full gap-2").mark("alarm-list")
        self.history = ui.column().classes("w-full")
        self.cards: dict[str, tuple[AlarmRow, ui.card]] = {}
        self.watch.subscribe(self.render)
        ui.timer(0, self.first, once=True)

    async def first(self) -> None:
        self.render(await self.watch.refresh() if self.watch.value is None else self.watch.value)

    def render(self, doc: Any) -> None:
        """Keyed by alarm: a card is rebuilt only when what it shows changed, and moved
        when the order did, so a poll never takes a button away under an operator's
        pointer because some other alarm came or went."""
        self.message.clear()
        rows = [] if self.watch.error is not None else alarm_rows.ordered(alarm_rows.items(doc))
        with self.message:
            if self.watch.error is not None:
                error = self.watch.error
                if error.missing_route:
                    note("this API serves no alarms yet (GET /api/v1/alarms)")
                else:
                    problem(error, "alarms could not be read")
            elif not rows:
                note("no alarms: every satellite is within its limits")
        kept: dict[str, tuple[AlarmRow, ui.card]] = {}
        for index, alarm in enumerate(rows):
            shown = self.cards.pop(alarm.id, None)
            if shown is not None and shown[0] == alarm:
                card = shown[1]
            else:
                if shown is not None:
                    shown[1].delete()
                with self.body:
                    card = self.line(alarm)
            if self.body.default_slot.children.index(card) != index:
                card.move(self.body, target_index=index)
            kept[alarm.id] = (alarm, card)
        for _gone, card in self.cards.values():
            card.delete()
        self.cards = kept

    def line(self, alarm: AlarmRow) -> ui.card:
        style = STYLES[alarm.level]
        with (
            ui.card()
            .classes("w-full p-3")
            .style(f"border-left: 6px solid {style.colour}")
            .mark(f"alarm-{alarm.id}") as card
        ):
            with ui.row().classes("w-full items-center gap-3 flex-wrap"):
                with ui.element("span").classes("state-badge").style(f"color:{style.colour}"):
                    ui.icon(style.icon)
                    ui.label(alarm.severity.upper())
                ui.label(alarm.title).classes("font-bold")
                ui.label(alarm.state).classes("text-sm").mark("alarm-state")
                ui.label(alarm.raised_at).classes("text-muted text-sm")
                if alarm.value:
                    ui.label(f"value {alarm.value}").classes("text-sm")
                ui.space()
                if not alarm.acknowledged:
                    ui.button(
                        "acknowledge", icon="done", on_click=lambda a=alarm: self.acknowledge(a)
                    ).props("outline dense").mark("acknowledge")
                if alarm.shelved:
                    ui.button(
                        "unshelve",
                        icon="unarchive",
                        on_click=lambda a=alarm: self.act(a, "unshelve", {}),
                    ).props("outline dense")
                else:
                    ui.button(
                        "shelve", icon="archive", on_click=lambda a=alarm: self.shelve(a)
                    ).props("outline dense").mark("shelve")
                ui.button(
                    "history", icon="history", on_click=lambda a=alarm: self.show_history(a)
                ).props("flat dense")
                ui.button(
                    "log records",
                    icon="receipt_long",
                    on_click=lambda a=alarm: ui.navigate.to(alarm_rows.logs_link(a)),
                ).props("flat dense").mark("alarm-logs")
            if alarm.message:
                ui.label(alarm.message).classes("text-sm text-muted")
        return card

    async def acknowledge(self, alarm: AlarmRow) -> None:
        await self.act(alarm, "acknowledge", {})

    async def shelve(self, alarm: AlarmRow) -> None:
        """Shelving needs a reason (the API refuses one without)."""
        with ui.context.client.layout, ui.dialog() as dialog, ui.card().classes("w-96"):
            ui.label(f"Shelve {alarm.title}").classes("text-lg font-bold")
            duration = ui.select(SHELVE_CHOICES, value=3600, label="for").classes("w-full")
            reason = ui.input("reason").classes("w-full").mark("shelve-reason")

            def submit() -> None:
                if not str(reason.value or "").strip():
                    ui.notify("a shelve needs a reason", type="warning")
                    return
                dialog.submit(True)

            with ui.row().classes("w-full justify-end"):
                ui.button("cancel", on_click=lambda: dialog.submit(None)).props("flat")
                ui.button("shelve", on_click=submit).mark("shelve-ok")
        chosen = await dialog
        dialog.delete()
        if chosen:
            body = {"duration_s": duration.value, "reason": str(reason.value).strip()}
            await self.act(alarm, "shelve", body)

    async def act(self, alarm: AlarmRow, action: str, body: dict[str, Any]) -> None:
        """One operator step, with the tab's token and the operator's name."""
        path = f"/alarms/{alarm.id}/{action}"
        try:
            done = await with_token(
                lambda w: self.api.post(path, {**body, "operator": w.operator}, w.token),
                named=True,
            )
        except ApiError as exc:
            ui.notify(f"{action} refused: {exc.detail}", type="negative")
            return
        if done is not None:
            ui.notify(f"{alarm.title}: {action} done", type="positive")
            await self.watch.refresh()

    async def show_history(self, alarm: AlarmRow) -> None:
        self.history.clear()
        with self.history:
            try:
                detail = await self.api.get(f"/alarms/{alarm.id}")
            except ApiError as exc:
                problem(exc, "the alarm's history could not be read")
                return
            with ui.row().classes("items-center gap-3"):
                ui.label(f"History of {alarm.title}").classes("text-lg font-bold")
                ui.link("its log records", alarm_rows.logs_link(alarm))
                ui.link("its satellite's records over its span", alarm_rows.span_logs_link(alarm))
            steps = detail.get("history") or []
            columns = [
                {"name": k, "label": k, "field": k, "align": "left"}
                for k in ("at", "transition", "severity", "by", "comment")
            ]
            rows = [
                {
                    "at": str(s.get("at") or s.get("time") or "")[:19].replace("T", " "),
                    "transition": s.get("transition") or s.get("action") or s.get("state"),
                    "severity": s.get("severity"),
                    "by": s.get("by") or s.get("actor"),
                    "comment": s.get("comment") or s.get("reason"),
                }
                for s in steps
            ]
            ui.table(columns=columns, rows=rows).classes("w-full").mark("alarm-history")
