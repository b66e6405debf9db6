"""Trends: raw vs each model's forecast over 1h / 6h / 1d / 1w or a custom start / end,
the VAE's p10–p90 band shaded, red / yellow limit bands, gaps drawn as breaks, zoom, the
view (satellite, metric, range) kept in the URL, and the range as CSV."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from nicegui import ui

from satmon.contract.events import METRICS
from ui import charts, services
from ui.api_client import ApiClient, ApiError
from ui.layout import PAGE_RESPONSE_S, choose_satellite, frame
from ui.views import PRESETS, View
from ui.widgets import note, problem

PATH = "/trends"


def register() -> None:
    @ui.page(PATH, response_timeout=PAGE_RESPONSE_S)
    async def trends(
        satellite: str | None = None,
        metric: str | None = None,
        range: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> None:
        hub = services.get().hub
        if not hub.fleet:
            await hub.refresh_directory()
        view = View.parse(choose_satellite(satellite), metric, range, start, end)
        with frame("Trends", PATH, view.satellite):
            if view.satellite is None:
                note("no satellite has telemetry yet")
                return
            TrendView(services.get().api, view)


async def load(
    api: ApiClient, view: View
) -> tuple[dict[str, Any], dict[str, Any] | None, str | None]:
    """The raw series and the stored forecasts of a view (in parallel). A missing
    forecast endpoint is a note, not a failure: raw data still shows."""
    base = {"satellite": view.satellite, "metric": view.metric, **view.range_params()}
    raw_call = api.get("/trends/raw", base)
    prediction_call = api.get("/trends/prediction", base)
    answers: tuple[Any, Any] = await asyncio.gather(
        raw_call, prediction_call, return_exceptions=True
    )
    raw, prediction = answers
    if isinstance(raw, BaseException):
        raise raw
    if isinstance(prediction, ApiError):
        return raw, None, f"forecasts not shown: {prediction.detail}"
    if isinstance(prediction, BaseException):
        raise prediction
    return raw, prediction, None


class TrendView:
    def __init__(self, api: ApiClient, view: View) -> None:
        self.api, self.view = api, view
        if view.problem:
            problem(view.problem, "the URL's view was not understood")
        with ui.row().classes("w-full items-end gap-4 flex-wrap"):
            ui.select(
                {m: f"{m.replace('_', ' ')} ({METRICS[m][0]})" for m in METRICS},
                value=view.metric,
                label="metric",
                on_change=lambda e: self.change(metric=e.value),
            ).props("dense outlined dark").classes("w-56").mark("metric-picker")
            options = {**{p: p for p in PRESETS}, "custom": "custom"}
            self.range = ui.toggle(
                options, value=view.range or "custom", on_change=lambda e: self.pick_range(e.value)
            ).mark("range-picker")
            start, end = view.window()
            self.start = ui.input("start (UTC)", value=_text(start)).props("dense outlined dark")
            self.end = ui.input("end (UTC)", value=_text(end)).props("dense outlined dark")
            self.start.mark("custom-start")
            self.end.mark("custom-end")
            ui.button("apply", icon="check", on_click=self.apply_custom).props("outline").mark(
                "custom-apply"
            )
            ui.space()
            self.export = (
                ui.link("⬇ CSV", self.csv_url(), new_tab=False)
                .props("download")
                .classes("q-btn q-btn--outline px-3 py-1 rounded")
            )
            self.export.mark("csv-export")
        self.summary = ui.label("").classes("text-muted text-sm").mark("trend-range")
        self.notes = ui.column().classes("w-full")
        self.chart = ui.echart({"series": []}).classes("chart").mark("trend-chart")
        self.chart.style("height: 460px")
        ui.timer(0, self.reload, once=True)

    def csv_url(self) -> str:
        """Every metric of the range, one row per timestamp (through this origin's /api/v1)."""
        query = {"satellite": self.view.satellite or "", **self.view.range_params()}
        return f"/api/v1/export/csv?{urlencode(query)}"

    async def change(self, **fields: Any) -> None:
        self.view = replace(self.view, problem=None, **fields)
        await self.reload()

    async def pick_range(self, value: str) -> None:
        if value == "custom":
            return
        await self.change(range=value, start=None, end=None)

    async def apply_custom(self) -> None:
        chosen = View.parse(
            self.view.satellite, self.view.metric, None, self.start.value, self.end.value
        )
        self.notes.clear()
        if chosen.problem:
            with self.notes:
                problem(chosen.problem, "custom range")
            return
        self.range.value = "custom"
        self.view = chosen
        await self.reload()

    async def reload(self) -> None:
        view = self.view
        ui.navigate.history.replace(view.url(PATH))
        self.export.props(f'href="{self.csv_url()}"')
        start, end = view.window()
        window_ms = (int(start.timestamp() * 1000), int(end.timestamp() * 1000))
        self.notes.clear()
        try:
            raw, prediction, missing = await load(self.api, view)
        except ApiError as exc:
            with self.notes:
                problem(exc, "the trend could not be read")
            return
        hub = services.get().hub
        limits = hub.limits.for_(view.satellite, view.metric)
        with self.notes:
            for text in (missing, hub.limits_note):
                if text:
                    note(text)
        self.chart.options.clear()
        self.chart.options.update(charts.trend_options(raw, prediction, limits, window_ms))
        self.chart.update()
        mode = raw.get("mode", "samples")
        detail = (
            f"buckets of {raw['bucket_ms'] / 1000:g} s" if mode == "buckets" else "every sample"
        )
        self.summary.text = (
            f"{view.satellite} · {view.metric} · {_text(start)} → {_text(end)} UTC · {detail} · "
            f"{raw.get('samples', 0):,} samples"
        )
        self.summary.props(f'data-start="{window_ms[0]}" data-end="{window_ms[1]}"')


def _text(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
