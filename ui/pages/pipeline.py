"""Pipeline (what Kafka UI and Flower showed): per topic the rate in, per subscription
its consumer lag, dead-letter counts with each dead letter's reason and body, each
function's health and error rate, Triton's models with their latency. One shared poll
per endpoint feeds every open pipeline page."""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from ui import log_view, services, theme
from ui.hub import Watch
from ui.layout import PAGE_RESPONSE_S, frame
from ui.widgets import loading, note, number, problem

PATH = "/pipeline"
POLL_S = 5.0
SECTIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("Topics", "/pipeline/topics", {"window_s": 60}),
    ("Consumer lag", "/pipeline/subscriptions", {}),
    ("Functions", "/pipeline/functions", {"window_s": 300}),
    ("Triton models", "/pipeline/models", {}),
    ("Dead letters", "/pipeline/dead-letters", {"newest": 100, "limit": 30}),
)


def register() -> None:
    @ui.page(PATH, response_timeout=PAGE_RESPONSE_S)
    async def pipeline() -> None:
        hub = services.get().hub
        with (
            frame("Pipeline", PATH),
            ui.grid().classes("w-full grid-cols-1 xl:grid-cols-2 gap-4"),
        ):
            for title, path, params in SECTIONS:
                with ui.card().classes("w-full"):
                    ui.label(title).classes("text-lg font-bold")
                    Section(hub.watch(path, POLL_S, params), RENDER[path], path)


class Section:
    def __init__(self, watch: Watch, render: Any, path: str) -> None:
        self.watch, self.render_body = watch, render
        self.body = ui.column().classes("w-full").mark(f"section-{path.rsplit('/', 1)[-1]}")
        with self.body:
            loading(path)
        watch.subscribe(self.render)
        ui.timer(0, self.first, once=True)

    async def first(self) -> None:
        self.render(
            self.watch.value if self.watch.value is not None else await self.watch.refresh()
        )

    def render(self, value: Any) -> None:
        self.body.clear()
        with self.body:
            if self.watch.error is not None:
                problem(self.watch.error, "not available")
            elif value is not None:
                self.render_body(value)


def _table(columns: list[tuple[str, str]], rows: list[dict[str, Any]], key: str) -> None:
    ui.table(
        columns=[{"name": f, "label": label, "field": f, "align": "left"} for f, label in columns],
        rows=rows,
        row_key=key,
    ).classes("w-full").props("dense flat")


def topics(doc: dict[str, Any]) -> None:
    rows = [
        {
            "topic": t["topic"],
            "partitions": t["partitions"],
            "rate": f"{t['rate_per_s']:.1f}/s",
            "arrived": f"{t['arrived']:,}",
            "retained": f"{t['retained']:,}",
        }
        for t in doc["topics"]
    ]
    ui.label(f"rate over the last {doc['window_s']:g} s").classes("text-muted text-sm")
    _table(
        [
            ("topic", "topic"),
            ("rate", "rate in"),
            ("arrived", "in window"),
            ("retained", "retained"),
            ("partitions", "partitions"),
        ],
        rows,
        "topic",
    )


def subscriptions(doc: list[dict[str, Any]]) -> None:
    rows = [
        {
            "key": f"{s['name']}/{s['topic']}",
            "name": f"{s['name']} ({s['kind']})",
            "topic": s["topic"],
            "subscriber": s["subscriber"],
            "lag": _lag_words(s),
        }
        for s in doc
    ]
    _table(
        [
            ("name", "subscription"),
            ("topic", "topic"),
            ("subscriber", "function"),
            ("lag", "lag"),
        ],
        rows,
        "key",
    )


def _lag_words(sub: dict[str, Any]) -> str:
    if sub["committed"] is None:
        return "⚠ nothing committed yet" if sub["end_offset"] else "idle topic"
    return "✔ 0, caught up" if sub["lag"] == 0 else f"▲ {sub['lag']:,} behind"


def functions(doc: dict[str, Any]) -> None:
    rows = [
        {
            "name": f["name"],
            "state": ("✔ up" if f["up"] else "✖ down") + f" ({f['health']})",
            "arrived": f"{f['arrived']:,}",
            "dead": f"{f['dead_lettered']:,}",
            "rate": "–" if f["error_rate"] is None else f"{100 * f['error_rate']:.2f} %",
        }
        for f in doc["functions"]
    ]
    ui.label(
        f"error rate: dead letters over events in the last {doc['window_s'] / 60:g} min"
    ).classes("text-muted text-sm")
    _table(
        [
            ("name", "function"),
            ("state", "health"),
            ("arrived", "events"),
            ("dead", "dead-lettered"),
            ("rate", "error rate"),
        ],
        rows,
        "name",
    )


def models(doc: dict[str, Any]) -> None:
    rows = [
        {
            "name": m["name"],
            "state": ("✔ " if m["state"] == "READY" else "✖ ") + m["state"],
            "inferences": f"{m['inferences']:,}",
            "mean": number(m["mean_ms"], 2),
            "recent": _recent(m),
        }
        for m in doc["models"]
    ]
    _table(
        [
            ("name", "model"),
            ("state", "state"),
            ("inferences", "requests"),
            ("mean", "mean ms"),
            ("recent", "recently"),
        ],
        rows,
        "name",
    )


def _recent(model: dict[str, Any]) -> str:
    if model.get("recent_inferences") is None:
        return "–"
    if not model["recent_inferences"]:
        return f"idle for {model['recent_window_s']:.0f} s"
    return f"{model['recent_inferences']:,} at {number(model['recent_mean_ms'], 2)} ms"


def dead_letters(doc: dict[str, Any]) -> None:
    with ui.row().classes("gap-4 flex-wrap"):
        ui.label(f"{doc['total']:,} held in all").classes("font-bold").mark("dlq-total")
        for topic, count in sorted(doc["by_topic"].items()):
            ui.label(f"{topic}: {count:,}").classes("text-sm")
    if doc["reasons"]:
        _table(
            [("original_topic", "topic"), ("reason", "reason"), ("count", "count")],
            [{**r, "key": f"{r['original_topic']}/{r['reason']}"} for r in doc["reasons"]],
            "key",
        )
        ui.label(f"reasons among the newest {doc['scanned']:,}").classes("text-muted text-xs")
    else:
        note("no dead letters")
    for letter in doc["recent"]:
        when = letter["dead_lettered_at"][:19].replace("T", " ")
        title = f"{when} · {letter['original_topic']} · {letter['reason'] or 'no reason'}"
        with (
            ui.expansion(title, icon="mail")
            .classes("w-full")
            .style(f"border-left:3px solid {theme.RED}")
        ):
            facts = {
                k: letter[k]
                for k in ("event_id", "event_type", "subscriber", "error_code", "attempts")
                if letter.get(k) is not None
            }
            ui.code(json.dumps(facts, indent=1), language="json").classes("w-full")
            if letter.get("event_id"):
                ui.link("log records of this event", log_view.link(event_id=letter["event_id"]))
            if letter.get("error_data"):
                ui.label("last answer").classes("text-muted text-xs")
                ui.code(letter["error_data"]).classes("w-full")
            ui.label(
                f"body ({letter['body_bytes']:,} bytes"
                + (", truncated)" if letter["body_truncated"] else ")")
            ).classes("text-muted text-xs")
            ui.code(letter["body"]).classes("w-full")


RENDER = {
    "/pipeline/topics": topics,
    "/pipeline/subscriptions": subscriptions,
    "/pipeline/functions": functions,
    "/pipeline/models": models,
    "/pipeline/dead-letters": dead_letters,
}
