"""Live: the chosen satellite's metrics as they arrive, pushed by the hub. The server
sends each sample once (a few bytes); the page appends it to a bounded window in the
browser (``static/live.js``), so the chart is never rebuilt and memory stays flat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from nicegui import ui

from satmon.contract.events import METRICS
from ui import services, theme
from ui.api_client import ApiClient, ApiError
from ui.hub import LiveHub, Sample
from ui.layout import PAGE_RESPONSE_S, choose_satellite, frame
from ui.widgets import age, note, number

PATH = "/live"
WINDOW_POINTS = 600
"""Points per chart (10 min at 1 Hz); older ones fall off the left edge."""


def register() -> None:
    @ui.page(PATH, response_timeout=PAGE_RESPONSE_S)
    async def live(satellite: str | None = None) -> None:
        hub = services.get().hub
        if not hub.fleet:
            await hub.refresh_directory()
        chosen = choose_satellite(satellite)
        with frame("Live", PATH, chosen):
            if chosen is None:
                note("no satellite has telemetry yet")
                return
            LiveView(chosen, await initial_points(services.get().api, hub, chosen))


async def initial_points(api: ApiClient, hub: LiveHub, satellite: str) -> dict[str, list[Any]]:
    """The window's points so far: the API's stored samples, then whatever the hub has
    that is newer (a fresh dashboard has no memory of its own yet)."""
    end = datetime.now(UTC)
    params = {
        "satellite": satellite,
        "start": (end - timedelta(seconds=WINDOW_POINTS)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": "samples",
    }
    points: dict[str, list[Any]] = {m: [] for m in METRICS}
    try:
        answer = await api.get("/trends/raw", params)
    except ApiError:
        answer = {"series": []}
    for series in answer["series"]:
        if series["metric"] in points:
            points[series["metric"]] = [
                list(p) for p in zip(series["timestamps"], series["values"] or [], strict=False)
            ]
    for sample in hub.last_minutes(satellite):
        for metric, value in sample.values.items():
            known = points.get(metric)
            if known is not None and (not known or sample.ts_ms > known[-1][0]):
                known.append([sample.ts_ms, value])
    return {m: p[-WINDOW_POINTS:] for m, p in points.items()}


def chart_options(metric: str, points: list[Any]) -> dict[str, object]:
    options = theme.echart_base()
    options["grid"] = {"left": 56, "right": 16, "top": 30, "bottom": 28}
    options["legend"] = {"show": False}
    options["xAxis"] = {
        **options["xAxis"],  # type: ignore[dict-item]
        "splitNumber": 4,
        "axisLabel": {"color": theme.MUTED, "hideOverlap": True, "formatter": "{HH}:{mm}:{ss}"},
    }
    options["title"] = {
        "text": f"{metric.replace('_', ' ')} ({METRICS[metric][0]})",
        "textStyle": {"color": theme.TEXT, "fontSize": 13},
        "left": 8,
        "top": 4,
    }
    options["series"] = [
        {
            "name": metric,
            "type": "line",
            "data": points,
            "showSymbol": False,
            "lineStyle": {"width": 1.5, "color": theme.BLUE},
            "color": theme.BLUE,
            "emphasis": {"disabled": True},
        }
    ]
    return options


class LiveView:
    def __init__(self, satellite: str, history: dict[str, list[Any]]) -> None:
        hub = services.get().hub
        self.satellite = satellite
        self.client = ui.context.client
        with ui.row().classes("items-center gap-4 flex-wrap"):
            self.count = ui.label("").classes("text-muted text-sm").mark("live-count")
            self.last = ui.label("").classes("text-muted text-sm").mark("live-last")
        self.readouts: dict[str, ui.label] = {}
        with ui.row().classes("gap-6 flex-wrap"):
            for metric in METRICS:
                with ui.column().classes("gap-0"):
                    ui.label(metric.replace("_", " ")).classes("text-muted text-xs uppercase")
                    self.readouts[metric] = ui.label("–").classes("text-xl font-bold")
                    self.readouts[metric].mark(f"live-{metric}")
        self.charts: dict[str, str] = {}
        with ui.grid().classes("w-full grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-3"):
            for metric in METRICS:
                with ui.card().classes("w-full p-1"):
                    chart = ui.echart(chart_options(metric, history[metric]))
                    chart.classes("chart-small")
                    chart.mark(f"live-chart-{metric}")
                self.charts[metric] = f"{chart.id}"
        self.received = 0
        if satellite in hub.latest:
            self._readout(hub.latest[satellite])
        hub.sample.subscribe(self.on_sample)

    def on_sample(self, sample: Sample) -> None:
        if sample.satellite != self.satellite:
            return
        payload = orjson.dumps([self.charts, sample.ts_ms, sample.values, WINDOW_POINTS]).decode()
        self.client.run_javascript(f"satmonLive.push(...{payload})")
        self.received += 1
        self._readout(sample)

    def _readout(self, sample: Sample) -> None:
        for metric, label in self.readouts.items():
            label.text = number(sample.values.get(metric))
        self.count.text = f"{self.received} samples pushed since this page opened"
        self.last.text = f"last sample {age(sample.ts_ms)}"
