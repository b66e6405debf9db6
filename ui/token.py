"""The API token for writes, asked once per browser tab and kept only in this process's
memory for that tab (NiceGUI's tab storage; never written to disk or to a cookie); with
it, for the writes that record who took them (an alarm's steps), the operator's name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from nicegui import app, ui

from ui.api_client import ApiError

KEY = "api_token"
NAME_KEY = "operator"
T = TypeVar("T")


@dataclass(frozen=True)
class Writer:
    token: str
    operator: str  # empty unless the write asked for a name


async def with_token(call: Callable[[Writer], Awaitable[T]], named: bool = False) -> T | None:
    """Run a write with the tab's token (and, if ``named``, the operator's name), asking
    for what the tab lacks first and for the token again once if the API refuses it
    (401). None when the operator cancels."""
    await ui.context.client.connected()
    storage: Any = app.storage.tab
    for _attempt in range(2):
        token, operator = storage.get(KEY), storage.get(NAME_KEY) if named else ""
        if not token or (named and not operator):
            given = await ask(not token, named and not operator)
            if given is None:
                return None
            token, operator = given[0] or token, given[1] or operator
        try:
            result = await call(Writer(str(token), str(operator or "")))
        except ApiError as exc:
            if exc.status != 401:
                raise
            storage.pop(KEY, None)
            ui.notify(f"token refused: {exc.detail}", type="negative")
            continue
        storage[KEY] = token
        if named:
            storage[NAME_KEY] = operator
        return result
    return None


async def ask(need_token: bool, need_name: bool) -> tuple[str, str] | None:
    """A dialog for the token and/or the operator's name; (token, name), each "" when not
    asked, or None when cancelled. It hangs off the page's root so that a list being
    re-rendered under it cannot take it away."""
    with ui.context.client.layout, ui.dialog() as dialog, ui.card().classes("w-96"):
        ui.label("API token" if need_token else "Operator").classes("text-lg font-bold")
        token = name = None
        if need_token:
            ui.label("Writes need the operation API's bearer token (SATMON_API_TOKEN).").classes(
                "text-muted text-sm"
            )
            token = ui.input("token", password=True, password_toggle_button=True)
            token.classes("w-full").mark("token-input")
        if need_name:
            name = ui.input("operator (your name, stored with the step)").classes("w-full")
            name.mark("operator-input")

        def submit() -> None:
            given = (
                str(token.value or "").strip() if token else "",
                str(name.value or "").strip() if name else "",
            )
            if (token and not given[0]) or (name and not given[1]):
                ui.notify("fill in every field, or cancel", type="warning")
                return
            dialog.submit(given)

        for field in (token, name):
            if field is not None:
                field.on("keydown.enter", submit)
        with ui.row().classes("w-full justify-end"):
            ui.button("cancel", on_click=lambda: dialog.submit(None)).props("flat")
            ui.button("use", on_click=submit).mark("token-ok")
    given = await dialog
    dialog.delete()
    return given if isinstance(given, tuple) else None
