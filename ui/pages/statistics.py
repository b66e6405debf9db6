"""Statistics of the shown range: min / max / mean / std per metric, and each model's
MAE against persistence on the same points (from ``/trends/compare``)."""

from __future__ import annotations

import asyncio
from typing import Any

from nicegui import ui

from satmon.contract.events import METRICS
from ui import services
from ui.api_client import ApiClient, ApiError
from ui.layout import PAGE_RESPONSE_S, choose_satellite, frame
from ui.stats import ModelError, Summary, model_errors, summarise
from ui.views import PRESETS, View
from ui.widgets import note, number, problem

PATH = "/statistics"
SAMPLES_UP_TO_S = 6 * 3600
"""Ranges up to this long are read sample by sample (exact std); longer ones as buckets."""
BUCKETS = 2000


def register() -> None:
    @ui.page(PATH, response_timeout=PAGE_RESPONSE_S)
    async def statistics(
        satellite: str | None = None,
        range: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> None:
        hub = services.get().hub
        if not hub.fleet:
            await hub.refresh_directory()
        view = View.parse(choose_satellite(satellite), None, range, start, end)
        with frame("Statistics", PATH, view.satellite):
            if view.satellite is None:
                note("no satellite has telemetry yet")
                return
            if view.problem:
                problem(view.problem, "the URL's view was not understood")
            ui.toggle(
                list(PRESETS),
                value=view.range,
                on_change=lambda e: ui.navigate.to(
                    f"{PATH}?satellite={view.satellite}&range={e.value}"
                ),
            ).mark("range-picker")
            begin, finish = view.window()
            ui.label(
                f"{view.satellite} · {begin:%Y-%m-%d %H:%M} → {finish:%Y-%m-%d %H:%M} UTC"
            ).classes("text-muted text-sm")
            await show(services.get().api, view)


async def read(api: ApiClient, view: View) -> tuple[list[Summary], dict[str, list[ModelError]]]:
    begin, finish = view.window()
    exact = (finish - begin).total_seconds() <= SAMPLES_UP_TO_S
    params: dict[str, Any] = {"satellite": view.satellite, **view.range_params()}
    raw_params = {**params, "mode": "samples" if exact else "buckets", "buckets": BUCKETS}
    raw_call = api.get("/trends/raw", raw_params)
    compares = [
        api.get("/trends/compare", {**params, "metric": m, "max_points": 1}) for m in METRICS
    ]
    raw, *answers = await asyncio.gather(raw_call, *compares, return_exceptions=True)
    if isinstance(raw, BaseException):
        raise raw
    summaries = [summarise(s, raw["mode"]) for s in raw["series"]]
    errors = {
        m: model_errors(a) if isinstance(a, dict) else []
        for m, a in zip(METRICS, answers, strict=True)
    }
    return summaries, errors


async def show(api: ApiClient, view: View) -> None:
    try:
        summaries, errors = await read(api, view)
    except ApiError as exc:
        problem(exc, "statistics could not be read")
        return
    columns = [
        {"name": "metric", "label": "metric", "field": "metric", "align": "left"},
        {"name": "n", "label": "samples", "field": "n"},
        {"name": "min", "label": "min", "field": "min"},
        {"name": "max", "label": "max", "field": "max"},
        {"name": "mean", "label": "mean", "field": "mean"},
        {"name": "std", "label": "std", "field": "std"},
        {"name": "mae", "label": "MAE per model (÷ persistence)", "field": "mae", "align": "left"},
    ]
    rows = [
        {
            "metric": f"{s.metric} ({s.unit})",
            "n": f"{s.count:,}",
            "min": number(s.minimum, 3),
            "max": number(s.maximum, 3),
            "mean": number(s.mean, 3),
            "std": number(s.std, 3) if s.exact else f"≥ {number(s.std, 3)}",
            "mae": _errors_text(errors.get(s.metric, [])),
        }
        for s in summaries
    ]
    ui.table(columns=columns, rows=rows, row_key="metric").classes("w-full").mark("stats-table")
    if not all(s.exact for s in summaries):
        note(
            f"ranges over {SAMPLES_UP_TO_S // 3600} h are read as {BUCKETS} buckets: min, max "
            "and mean are exact, std (≥) only counts the spread between bucket means"
        )


def _errors_text(errors: list[ModelError]) -> str:
    if not errors:
        return "no forecasts in range"
    parts = []
    for e in errors:
        ratio = f" (×{e.ratio:.2f})" if e.ratio is not None else ""
        mae = "–" if e.mae is None else f"{e.mae:.3g}"
        parts.append(f"{e.model} {mae}{ratio} on {e.points}")
    return "; ".join(parts)
