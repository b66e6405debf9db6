"""The API token for writes, asked once per browser tab and kept only in this process's
memory for that tab (NiceGUI's tab storage; never written to disk or to a cookie)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nicegui import app, ui

from ui.api_client import ApiError

KEY = "api_token"
T = TypeVar("T")


async def ask() -> str | None:
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        ui.label("API token").classes("text-lg font-bold")
        ui.label("Writes need the operation API's bearer token (SATMON_API_TOKEN).").classes(
            "text-muted text-sm"
        )
        field = ui.input("token", password=True, password_toggle_button=True).classes("w-full")
        field.mark("token-input")
        field.on("keydown.enter", lambda: dialog.submit(field.value))
        with ui.row().classes("w-full justify-end"):
            ui.button("cancel", on_click=lambda: dialog.submit(None)).props("flat")
            ui.button("use", on_click=lambda: dialog.submit(field.value)).mark("token-ok")
    given = await dialog
    dialog.delete()
    return str(given).strip() or None if given else None


async def with_token(call: Callable[[str], Awaitable[T]]) -> T | None:
    """Run a write with the tab's token, asking for it first if needed and again once
    if the API refuses it (401). None when the operator cancels."""
    await ui.context.client.connected()
    storage: Any = app.storage.tab
    for _attempt in range(2):
        token = storage.get(KEY) or await ask()
        if not token:
            return None
        try:
            result = await call(token)
        except ApiError as exc:
            if exc.status != 401:
                raise
            storage.pop(KEY, None)
            ui.notify(f"token refused: {exc.detail}", type="negative")
            continue
        storage[KEY] = token
        return result
    return None
