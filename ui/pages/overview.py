"""Overview: a card per metric of the chosen satellite (latest value, unit, trend arrow,
limit state as colour, icon and word, a stale badge) and a strip with every satellite's
worst state. Values come from the live hub; nothing here polls."""

from __future__ import annotations

import time

from nicegui import ui

from satmon.contract.events import METRICS
from ui import services, theme
from ui.hub import LiveHub, Sample
from ui.layout import PAGE_RESPONSE_S, choose_satellite, frame, href
from ui.limits import Level, State, classify, worst
from ui.widgets import StateBadge, age, note, number

TREND_LOOKBACK_MS = 30_000
STALE_CADENCES = 3.0


def register() -> None:
    @ui.page("/", response_timeout=PAGE_RESPONSE_S)
    async def overview(satellite: str | None = None) -> None:
        hub = services.get().hub
        if not hub.fleet:
            await hub.refresh_directory()
        chosen = choose_satellite(satellite)
        with frame("Overview", "/", chosen):
            if chosen is None:
                note("no satellite has sent telemetry yet: start the simulator (`satmon up`)")
                return
            FleetStrip(hub, chosen)
            if hub.limits_note:
                note(hub.limits_note)
            with ui.element("div").classes("w-full card-grid"):
                cards = [MetricCard(hub, chosen, name) for name in METRICS]

            def on_sample(sample: Sample) -> None:
                if sample.satellite == chosen:
                    for card in cards:
                        card.show(sample)

            def on_tick(now: float) -> None:
                for card in cards:
                    card.check_stale(now)

            hub.sample.subscribe(on_sample)
            hub.tick.subscribe(on_tick)


def latest_of(hub: LiveHub, satellite: str) -> tuple[int | None, dict[str, float]]:
    """The newest values known: the live feed's, else the fleet listing's."""
    if satellite in hub.latest:
        sample = hub.latest[satellite]
        return sample.ts_ms, sample.values
    info = hub.fleet.get(satellite) or {}
    seen = info.get("last_seen")
    ts = None
    if seen:
        from datetime import datetime

        ts = int(datetime.fromisoformat(str(seen).replace("Z", "+00:00")).timestamp() * 1000)
    return ts, {k: float(v) for k, v in (info.get("latest") or {}).items()}


def cadence_s(hub: LiveHub, satellite: str) -> float:
    info = hub.fleet.get(satellite) or {}
    return float(info.get("cadence_s") or 1.0)


def is_stale(hub: LiveHub, satellite: str, ts_ms: int | None, now_s: float) -> bool:
    return ts_ms is None or now_s - ts_ms / 1000 > STALE_CADENCES * cadence_s(hub, satellite)


def trend(hub: LiveHub, satellite: str, metric: str, value: float, ts_ms: int) -> str:
    """rising / falling / steady against the value about 30 s earlier."""
    earlier = None
    for sample in reversed(hub.recent.get(satellite, ())):
        if sample.ts_ms <= ts_ms - TREND_LOOKBACK_MS and metric in sample.values:
            earlier = sample.values[metric]
            break
    if earlier is None:
        return "steady"
    _, low, high = METRICS[metric]
    if abs(value - earlier) < 0.005 * (high - low):
        return "steady"
    return "rising" if value > earlier else "falling"


TREND_ICONS = {"rising": "trending_up", "falling": "trending_down", "steady": "trending_flat"}


class MetricCard:
    def __init__(self, hub: LiveHub, satellite: str, metric: str) -> None:
        self.hub, self.satellite, self.metric = hub, satellite, metric
        self.unit = METRICS[metric][0]
        self.ts_ms, values = latest_of(hub, satellite)
        value = values.get(metric)
        with ui.card().classes("w-full").mark(f"card-{metric}"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label(metric.replace("_", " ")).classes("text-muted uppercase text-xs")
                with (
                    ui.element("span")
                    .classes("state-badge")
                    .style(f"color:{theme.MUTED}")
                    .mark(f"stale-{metric}") as self.stale
                ):
                    ui.icon("schedule")  # an icon font glyph: no emoji font needed
                    ui.label("STALE")
            with ui.row().classes("items-baseline gap-2"):
                self.value = ui.label(number(value)).classes("metric-value").mark(f"value-{metric}")
                ui.label(self.unit).classes("text-muted")
                self.arrow = ui.icon("trending_flat").classes("text-2xl")
                self.arrow.mark(f"trend-{metric}")
                with self.arrow:  # one tooltip, its text changed: `.tooltip()` adds an element
                    self.direction = ui.tooltip("steady").mark(f"trend-word-{metric}")
            self.badge = StateBadge(self._state(value), mark=f"state-{metric}")
            self.seen = ui.label(age(self.ts_ms)).classes("text-muted text-xs")
        self.check_stale(time.time())

    def _state(self, value: float | None) -> State:
        return classify(value, self.hub.limits.for_(self.satellite, self.metric))

    def show(self, sample: Sample) -> None:
        value = sample.values.get(self.metric)
        if value is None:
            return
        self.ts_ms = sample.ts_ms
        self.value.text = number(value)
        direction = trend(self.hub, self.satellite, self.metric, value, sample.ts_ms)
        self.arrow.name = TREND_ICONS[direction]
        self.direction.text = direction
        self.badge.set(self._state(value))
        self.check_stale(time.time())

    def check_stale(self, now_s: float) -> None:
        stale = is_stale(self.hub, self.satellite, self.ts_ms, now_s)
        self.stale.set_visibility(stale)
        self.seen.text = f"last sample {age(self.ts_ms, now_s)}"


class FleetStrip:
    """Every satellite's worst state; a click opens its overview."""

    def __init__(self, hub: LiveHub, chosen: str) -> None:
        self.hub = hub
        self.badges: dict[str, StateBadge] = {}
        with ui.row().classes("w-full gap-2 items-center").mark("fleet"):
            ui.label("Fleet").classes("text-muted uppercase text-xs")
            for satellite in hub.satellites:
                selected = "border-2" if satellite == chosen else ""
                with (
                    ui.button(on_click=lambda s=satellite: ui.navigate.to(href("/", s)))
                    .props("outline no-caps")
                    .classes(selected)
                    .mark(f"fleet-{satellite}")
                ):
                    ui.label(satellite).classes("mr-2")
                    self.badges[satellite] = StateBadge(self.state_of(satellite, time.time()))
        hub.sample.subscribe(lambda s: self.update(s.satellite))
        hub.tick.subscribe(self.update_all)

    def state_of(self, satellite: str, now_s: float) -> State:
        ts_ms, values = latest_of(self.hub, satellite)
        if is_stale(self.hub, satellite, ts_ms, now_s):
            return State(Level.STALE)
        return worst(classify(values.get(m), self.hub.limits.for_(satellite, m)) for m in METRICS)

    def update_all(self, now_s: float) -> None:
        for satellite in self.badges:
            self.update(satellite, now_s)

    def update(self, satellite: str, now_s: float | None = None) -> None:
        if satellite in self.badges:
            self.badges[satellite].set(self.state_of(satellite, now_s or time.time()))
