"""Search: full text over forecasts and their failures, alarms and dead letters, as the
API's ``/search/results`` ranks them; the query lives in the URL."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from nicegui import ui

from ui import services
from ui.api_client import ApiError
from ui.layout import PAGE_RESPONSE_S, frame
from ui.widgets import note, problem

PATH = "/search"
KIND_ICONS = {
    "forecast": "insights",
    "failure": "error_outline",
    "alarm": "notifications",
    "dead_letter": "mail",
}


def register() -> None:
    @ui.page(PATH, response_timeout=PAGE_RESPONSE_S)
    async def search(q: str | None = None, offset: int = 0) -> None:
        with frame("Search", PATH):
            box = (
                ui.input("search results, alarms and dead letters", value=q or "")
                .props("outlined dark clearable autofocus")
                .classes("w-full")
                .mark("search-input")
            )
            box.on(
                "keydown.enter",
                lambda: ui.navigate.to(f"{PATH}?{urlencode({'q': box.value or ''})}"),
            )
            if q:
                await show(q, offset)


async def show(q: str, offset: int) -> None:
    try:
        answer = await services.get().api.get(
            "/search/results", {"q": q, "offset": offset, "limit": 20}
        )
    except ApiError as exc:
        problem(exc, "the search could not run")
        return
    total, items = int(answer.get("total", 0)), answer.get("items") or []
    ui.label(f"{total:,} matches for “{q}”").classes("text-muted").mark("search-total")
    if not items:
        note("nothing matches; every word must occur (try fewer words)")
    for hit in items:
        _hit(hit)
    if offset + len(items) < total:
        ui.link("next page", f"{PATH}?{urlencode({'q': q, 'offset': offset + len(items)})}")


def _hit(hit: dict[str, Any]) -> None:
    with ui.card().classes("w-full").mark("search-hit"):
        with ui.row().classes("items-center gap-2"):
            ui.icon(KIND_ICONS.get(str(hit.get("kind")), "description"))
            ui.label(str(hit.get("kind", ""))).classes("text-xs uppercase text-muted")
            ui.label(str(hit.get("title", ""))).classes("font-bold")
            ui.space()
            ui.label(str(hit.get("time", ""))[:19].replace("T", " ")).classes("text-muted text-sm")
        ui.html(marked_only(str(hit.get("snippet", ""))))
        if hit.get("link"):
            ui.link("open", str(hit["link"]), new_tab=True).classes("text-sm")


def marked_only(snippet: str) -> str:
    """The snippet as text, with only the API's <mark> highlights kept as markup."""
    text = html.escape(html.unescape(snippet))
    return text.replace("&lt;mark&gt;", "<mark>").replace("&lt;/mark&gt;", "</mark>")
