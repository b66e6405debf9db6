"""Jobs: submit a forecast (satellite, metric, model), watch its status change, see its
result; the jobs table with filters and pages; the job statistics."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from nicegui import ui

from satmon.contract.events import METRICS
from ui import log_view, services, theme
from ui.api_client import ApiClient, ApiError
from ui.layout import PAGE_RESPONSE_S, choose_satellite, frame
from ui.token import with_token
from ui.widgets import note, number, problem

PATH = "/jobs"
MODELS = {"vae": "VAE", "transformer": "Transformer"}
STATUSES = ["queued", "running", "completed", "failed"]
WATCH_EVERY_S = 0.5
WATCH_FOR_S = 120.0
"""A submitted job is followed until it ends or this long (its own short wait)."""


def register() -> None:
    @ui.page(PATH, response_timeout=PAGE_RESPONSE_S)
    async def jobs(satellite: str | None = None) -> None:
        hub = services.get().hub
        if not hub.fleet:
            await hub.refresh_directory()
        chosen = choose_satellite(satellite)
        with frame("Jobs", PATH, chosen):
            api = services.get().api
            with ui.row().classes("w-full gap-4 items-start flex-wrap"):
                with ui.card().classes("w-full md:w-96"):
                    Submit(api, hub.satellites, chosen)
                with ui.card().classes("grow"):
                    await stats_panel(api)
            with ui.card().classes("w-full"):
                JobsTable(api, hub.satellites)


class Submit:
    def __init__(self, api: ApiClient, satellites: list[str], chosen: str | None) -> None:
        self.api = api
        ui.label("Submit a forecast").classes("text-lg font-bold")
        self.satellite = ui.select(satellites, value=chosen, label="satellite").classes("w-full")
        self.metric = ui.select(list(METRICS), value="temperature", label="metric").classes(
            "w-full"
        )
        self.model = ui.select(MODELS, value="vae", label="model").classes("w-full")
        for field, name in (
            (self.satellite, "submit-satellite"),
            (self.metric, "submit-metric"),
            (self.model, "submit-model"),
        ):
            field.props("dense outlined dark").mark(name)
        ui.button("submit", icon="send", on_click=self.submit).mark("submit-job")
        self.status = ui.label("").classes("text-sm").mark("job-status")
        self.result = ui.column().classes("w-full")

    async def submit(self) -> None:
        body = {
            "satellite": self.satellite.value,
            "metric": self.metric.value,
            "model": self.model.value,
        }
        try:
            accepted = await with_token(
                lambda writer: self.api.post("/inference/submit", body, writer.token)
            )
        except ApiError as exc:
            self.status.text = f"refused: {exc.detail}"
            return
        if accepted is None:
            return
        await self.follow(accepted["job_id"])

    async def follow(self, job_id: str) -> None:
        began = time.monotonic()
        seen: list[str] = []
        job: dict[str, Any] = {}
        while time.monotonic() - began < WATCH_FOR_S:
            try:
                job = await self.api.get(f"/inference/result/{job_id}")
            except ApiError as exc:
                if exc.status != 404:
                    self.status.text = f"job {job_id[:8]}: {exc.detail}"
                    return
                job = {"status": "queued"}
            if not seen or seen[-1] != job["status"]:
                seen.append(job["status"])
                self.status.text = f"job {job_id[:8]}: " + " → ".join(seen)
                self.status.props(f'data-status="{job["status"]}"')
            if job["status"] in ("completed", "failed"):
                break
            await asyncio.sleep(WATCH_EVERY_S)
        self.result.clear()
        with self.result:
            if job.get("status") == "completed":
                ui.echart(result_options(job)).classes("chart-small").style("height:240px").mark(
                    "job-chart"
                )
                ui.label(
                    f"latency {number(job.get('latency_ms'), 1)} ms · anomaly score "
                    f"{number(job.get('anomaly_score'), 3)}"
                ).classes("text-muted text-sm")
                stand_in = source_note(job.get("forecast_source"))
                if stand_in:
                    ui.label(stand_in).classes("text-muted text-sm").mark("job-source")
            elif job.get("status") == "failed":
                problem(str(job.get("error") or "no reason given"), "the forecast failed")
                ui.link("log records of this job", log_view.link(job_id=job_id)).mark("job-logs")


def source_note(source: str | None) -> str | None:
    """A line for a forecast the model did not make, None for the model's own."""
    if source in ("persistence", "line"):
        baseline = "the last value repeated" if source == "persistence" else "the fitted line"
        return (
            f"forecast: {baseline} ({source}); on this series the model was not better than "
            "both baselines over its recent history"
        )
    return None


def result_options(job: dict[str, Any]) -> dict[str, Any]:
    from ui import charts

    options = theme.echart_base()
    inputs = [[_ms(p["timestamp"]), p["value"]] for p in job.get("input") or []]
    forecast = job.get("forecast") or []
    stamps = [_ms(p["timestamp"]) for p in forecast]
    series: list[dict[str, Any]] = [
        {"name": "input", "type": "line", "data": inputs, "showSymbol": False, "color": theme.BLUE}
    ]
    lower = [p.get("lower") for p in forecast]
    upper = [p.get("upper") for p in forecast]
    if any(v is not None for v in lower):
        prediction = {
            "series": [
                {
                    "model": job["model"],
                    "timestamps": stamps,
                    "values": [p["value"] for p in forecast],
                    "lower": lower,
                    "upper": upper,
                }
            ]
        }
        series += charts.forecast_series(prediction)
    else:
        series.append(
            {
                "name": job["model"],
                "type": "line",
                "data": [[t, p["value"]] for t, p in zip(stamps, forecast, strict=True)],
                "lineStyle": {"type": "dashed"},
                "color": theme.GREEN,
            }
        )
    options["series"] = series
    options["grid"] = {"left": 56, "right": 16, "top": 30, "bottom": 30}
    return options


def _ms(stamp: Any) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp() * 1000)


async def stats_panel(api: ApiClient) -> None:
    ui.label("Last hour").classes("text-lg font-bold")
    try:
        stats = await api.get("/query/stats", {"range": "1h"})
    except ApiError as exc:
        problem(exc, "job statistics could not be read")
        return
    with ui.row().classes("gap-6 flex-wrap").mark("job-stats"):
        _figure("jobs", f"{stats['total']:,}")
        _figure("per minute", number(stats.get("jobs_per_minute"), 1))
        for status, count in sorted((stats.get("by_status") or {}).items()):
            _figure(status, f"{count:,}")
    rows = [
        {
            "model": row.get("model") or "all",
            "completed": row.get("completed"),
            "p50": number((row.get("latency_ms") or {}).get("p50"), 1),
            "p95": number((row.get("latency_ms") or {}).get("p95"), 1),
            "p99": number((row.get("latency_ms") or {}).get("p99"), 1),
        }
        for row in stats.get("latency") or []
    ]
    if rows:
        columns = [
            {"name": k, "label": k if k in ("model", "completed") else f"{k} ms", "field": k}
            for k in rows[0]
        ]
        ui.table(columns=columns, rows=rows, row_key="model").classes("w-full")


def _figure(title: str, value: str) -> None:
    with ui.column().classes("gap-0"):
        ui.label(title).classes("text-muted text-xs uppercase")
        ui.label(value).classes("text-xl font-bold")


class JobsTable:
    COLUMNS = (
        "requested_at",
        "satellite",
        "metric",
        "model",
        "status",
        "trigger",
        "latency_ms",
        "forecast_source",
        "job_id",
        "logs",
    )

    def __init__(self, api: ApiClient, satellites: list[str]) -> None:
        self.api = api
        self.cursor: str | None = None
        ui.label("Jobs").classes("text-lg font-bold")
        with ui.row().classes("gap-3 flex-wrap items-end"):
            self.filters = {
                "satellite": ui.select(satellites, multiple=True, label="satellite"),
                "metric": ui.select(list(METRICS), multiple=True, label="metric"),
                "model": ui.select(list(MODELS), multiple=True, label="model"),
                "status": ui.select(STATUSES, multiple=True, label="status"),
                "trigger": ui.select(["api", "schedule"], multiple=True, label="trigger"),
            }
            for name, field in self.filters.items():
                field.props("dense outlined dark use-chips").classes("w-44").mark(f"filter-{name}")
                field.on_value_change(self.reload)
        columns = [
            {"name": c, "label": c.replace("_", " "), "field": c, "align": "left"}
            for c in self.COLUMNS
        ]
        self.table = (
            ui.table(columns=columns, rows=[], row_key="job_id")
            .classes("w-full")
            .mark("jobs-table")
        )
        self.table.add_slot(
            "body-cell-logs",
            '<q-td :props="props"><a v-if="props.value" :href="props.value" '
            'class="satmon-log-link">log records</a></q-td>',
        )
        self.more = ui.button("more", on_click=self.load_more).props("flat")
        self.error = ui.column()
        ui.timer(0, self.reload, once=True)

    def params(self) -> dict[str, Any]:
        return {name: field.value or None for name, field in self.filters.items()}

    async def reload(self) -> None:
        self.cursor = None
        self.table.rows = []
        await self.load_more()

    async def load_more(self) -> None:
        self.error.clear()
        try:
            page = await self.api.get(
                "/query/jobs", {**self.params(), "limit": 20, "cursor": self.cursor}
            )
        except ApiError as exc:
            with self.error:
                problem(exc, "jobs could not be read")
            return
        self.cursor = page.get("next_cursor")
        self.table.rows = [*self.table.rows, *(_row(j) for j in page.get("items") or [])]
        self.table.update()
        self.more.set_visibility(self.cursor is not None)
        if not self.table.rows:
            with self.error:
                note("no job matches these filters")


def _row(job: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: job.get(k) for k in JobsTable.COLUMNS},
        "requested_at": str(job.get("requested_at", ""))[:19].replace("T", " "),
        "latency_ms": number(job.get("latency_ms"), 1),
        "logs": log_view.link(job_id=job.get("job_id")) if job.get("job_id") else None,
    }
