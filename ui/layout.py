"""The one frame every page shares: header (title, live-feed state, satellite picker)
and the navigation drawer (beside the content on a laptop, a menu on a tablet)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from nicegui import ui

from ui import services, theme
from ui.hub import FeedStatus


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str
    icon: str
    per_satellite: bool = True


NAV = (
    NavItem("Overview", "/", "dashboard"),
    NavItem("Trends", "/trends", "show_chart"),
    NavItem("Statistics", "/statistics", "functions"),
    NavItem("Live", "/live", "sensors"),
    NavItem("Ground track", "/ground-track", "public", per_satellite=False),
    NavItem("Alarms", "/alarms", "notifications_active", per_satellite=False),
    NavItem("Jobs", "/jobs", "work_history"),
    NavItem("Search", "/search", "search", per_satellite=False),
    NavItem("Pipeline", "/pipeline", "account_tree", per_satellite=False),
    NavItem("Logs", "/logs", "receipt_long", per_satellite=False),
)
PAGE_RESPONSE_S = 15.0
"""How long a page may take to build its first answer: NiceGUI's 3 s default turns a
page that reads the API first into a 500 on a busy machine. What reads a lot (the ground
track's orbits) loads after the browser has connected instead."""
FEED_ICONS = {"live": ("sensors", theme.GREEN), "connecting": ("sync", theme.BLUE)}


def choose_satellite(requested: str | None) -> str | None:
    """The asked-for satellite if the fleet has it, else the first one known."""
    known = services.get().hub.satellites
    if requested and (requested in known or not known):
        return requested
    return known[0] if known else requested


def href(path: str, satellite: str | None, **params: str | None) -> str:
    query = {k: v for k, v in {"satellite": satellite, **params}.items() if v}
    return f"{path}?{urlencode(query)}" if query else path


@contextmanager
def frame(title: str, path: str, satellite: str | None = None) -> Iterator[None]:
    """Header, navigation and theme around a page's content."""
    theme.apply()
    hub = services.get().hub
    drawer = ui.left_drawer(bordered=True).props("show-if-above width=210")
    with ui.header().classes("items-center gap-3 px-4 py-2"):
        ui.button(icon="menu", on_click=lambda: drawer.toggle()).props(
            "flat round dense color=white aria-label=navigation"
        )
        ui.label("satmon").classes("text-lg font-bold").style(f"color:{theme.BLUE}")
        ui.label(title).classes("text-lg")
        ui.space()
        _feed_chip(hub.status)
        item = next((n for n in NAV if n.path == path), None)
        if item is not None and item.per_satellite:
            _satellite_picker(path, satellite)
    with drawer, ui.list().classes("satmon-nav w-full"):
        for nav in NAV:
            target = href(nav.path, satellite if nav.per_satellite else None)
            with (
                ui.item(on_click=lambda t=target: ui.navigate.to(t))
                .props(f"clickable {'active' if nav.path == path else ''}")
                .classes("rounded")
                .mark(f"nav-{nav.path.strip('/') or 'overview'}")
            ):
                with ui.item_section().props("avatar"):
                    ui.icon(nav.icon)
                ui.item_section(nav.title)
    with ui.column().classes("w-full max-w-screen-2xl mx-auto p-4 gap-4"):
        yield


def _feed_chip(status: FeedStatus) -> None:
    icon_name, colour = FEED_ICONS.get(status.state, ("sensors_off", theme.RED))
    with ui.row().classes("items-center gap-1 no-wrap").mark("feed-state") as chip:
        icon = ui.icon(icon_name).style(f"color:{colour}")
        label = ui.label(f"live feed: {status.state}").classes("text-sm")
        chip.tooltip(status.detail)

    def refresh(now: FeedStatus) -> None:
        name, tint = FEED_ICONS.get(now.state, ("sensors_off", theme.RED))
        icon.name = name
        icon.style(f"color:{tint}")
        label.text = f"live feed: {now.state}"

    services.get().hub.status_changed.subscribe(refresh)


def _satellite_picker(path: str, satellite: str | None) -> None:
    hub = services.get().hub
    options = hub.satellites or ([satellite] if satellite else [])

    def pick(event: object) -> None:
        chosen = getattr(event, "value", None)
        if chosen and chosen != satellite:
            query = dict(ui.context.client.request.query_params)
            query["satellite"] = chosen
            ui.navigate.to(f"{path}?{urlencode(query)}")

    ui.select(options, value=satellite, on_change=pick, label="satellite").props(
        "dense outlined dark options-dense"
    ).classes("w-36").mark("satellite-picker")
