"""The pipeline benchmark's table: figures, ratios and goals of one run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

GOAL_VS_DIRECT = 0.35
GOAL_VS_NAIVE = 50.0
GOAL_P99_MS = 50.0
GOAL_VS_TELEGRAF = {"telegraf-http": 1.0, "telegraf-influxdb": 1.5}
"""satmon's events/s over each Telegraf set-up's (issue 16); CPU per event ≤ telegraf-http's."""
ARM_NAMES = {
    "satmon": "satmon: dispatcher + telemetry-writer",
    "telegraf-http": "Telegraf: json + outputs.http /write",
    "telegraf-influxdb": "Telegraf: json_v2 + outputs.influxdb",
}


def report(result: dict[str, Any], path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"satmon pipeline benchmark (run {result['run_id']})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("goal", justify="right")
    direct, naive = result["direct"], result["naive"]
    _ingest_rows(table, result)
    table.add_row(
        f"VM direct import ceiling (median of {direct.get('repeats', 1)})",
        f"{direct['events_per_s']:,.0f} ev/s",
        "",
    )
    table.add_row("naive one-at-a-time consumer", f"{naive['events_per_s']:,.0f} ev/s", "")
    ratios = result.get("ratios", {})
    if ratios:
        table.add_row(
            "pipeline / direct",
            f"{ratios['pipeline_vs_direct']:.1%}",
            _mark(ratios["pipeline_vs_direct"] >= GOAL_VS_DIRECT, f"≥ {GOAL_VS_DIRECT:.0%}"),
        )
        table.add_row(
            "pipeline / naive",
            f"{ratios['pipeline_vs_naive']:.0f}×",
            _mark(ratios["pipeline_vs_naive"] >= GOAL_VS_NAIVE, f"≥ {GOAL_VS_NAIVE:.0f}×"),
        )
    lat = result.get("latency")
    if lat:
        st, q = lat["stored_ms"], lat["queryable_ms"]
        table.add_row(
            f"event→stored p50 / p99 @ {lat['rate']}/s",
            f"{st['p50']:.1f} / {st['p99']:.1f} ms",
            _mark(st["p99"] <= GOAL_P99_MS, f"p99 ≤ {GOAL_P99_MS:.0f} ms"),
        )
        stages = lat.get("stages_ms")
        if stages:
            table.add_row(
                "  waits p50 / p99: Kafka→poll, poll→POST, POST→2xx",
                ", ".join(f"{st_['p50']:.1f} / {st_['p99']:.1f}" for st_ in stages.values())
                + " ms",
                "",
            )
        floor = result.get("floor")
        if floor:
            fl = floor["stored_ms"]
            table.add_row(
                "  minimal Kafka→VM loop (the floor) p50 / p99",
                f"{fl['p50']:.1f} / {fl['p99']:.1f} ms",
                "",
            )
            for name in ("p50", "p99"):
                ratio = ratios.get(f"{name}_vs_floor")
                if ratio is not None:
                    table.add_row(
                        f"  satmon / floor, {name}", f"{ratio:.2f}×", _mark(ratio <= 2.0, "≤ 2×")
                    )
        slow = lat.get("slow_seconds")
        if slow is not None:
            text = f"{len(slow)} of {lat['seconds']:.0f}"
            if slow:
                worst = max(slow, key=lambda x: x["slow"])
                text += f" (most: +{worst['second']} s, {worst['slow']} events)"
            text += "".join(f"; a tick at +{t} s" for t in lat.get("minute_ticks_at_s", []))
            table.add_row(f"  seconds with an event over {GOAL_P99_MS:.0f} ms", text, "")
        slow_st = lat.get("slow_stages")
        if slow_st and slow_st["events"]:
            table.add_row(
                "  the slow events' longest wait: Kafka→poll, poll→POST, POST→2xx",
                ", ".join(str(n) for n in slow_st["longest_wait_in"].values()) + " events",
                "",
            )
        pauses = lat.get("gc_pauses_ms")
        if pauses is not None:
            table.add_row(
                "  dispatcher GC pauses over 5 ms",
                ", ".join(
                    f"+{p['at_s']} s {p['ms']} ms (gen {p['generation']}, {p['collected']} freed)"
                    for p in pauses
                )
                or "none",
                "",
            )
        every = lat.get("stored_all_ms")
        if every:
            table.add_row(
                "  the same, warm-up included",
                f"{every['p50']:.1f} / {every['p99']:.1f} ms",
                "",
            )
        table.add_row(
            f"event→queryable p50 / p99 @ {lat['rate']}/s",
            f"{q['p50']:.1f} / {q['p99']:.1f} ms",
            "",
        )
        if lat.get("new_series_visible_ms") is not None:
            table.add_row(
                "  first sample of a new series queryable after",
                f"{lat['new_series_visible_ms']:.0f} ms",
                "",
            )
    console = Console(width=max(Console().width, 110))
    console.print(table)
    console.print(f"results: {path}")


def _ingest_rows(table: Any, result: dict[str, Any]) -> None:
    """Events/s (each run), CPU per event and samples of every consumer, then the ratios."""
    ingest, ratios = result["ingest"], result.get("ratios", {})
    runs = ingest["runs"]
    for arm, summary in ingest["arms"].items():
        each = ", ".join(f"{v:,}" for v in summary["events_per_s_each"])
        table.add_row(
            f"{ARM_NAMES.get(arm, arm)} (median of {summary['runs']})",
            f"{summary['events_per_s']:,.0f} ev/s ({each})",
            "",
        )
        table.add_row("  CPU per event", f"{summary['cpu_us_per_event']:.1f} µs", "")
    exact = all(r["lost"] == 0 and r["duplicated"] == 0 for r in runs)
    others = sum(r.get("rows_of_other_writers", 0) for r in runs)
    table.add_row(
        "  samples stored / expected, every run",
        f"{sum(r['samples_stored'] for r in runs):,} / {sum(r['samples_expected'] for r in runs):,}"
        f" ({sum(r['lost'] for r in runs)} lost, {sum(r['duplicated'] for r in runs)} duplicated"
        + (f"; {others:,} rows of other writers set aside" if others else "")
        + ")",
        _mark(exact, "0 lost, 0 dup."),
    )
    for setup, goal in GOAL_VS_TELEGRAF.items():
        ratio = ratios.get(f"pipeline_vs_{setup}")
        if ratio is not None:
            table.add_row(
                f"satmon / {ARM_NAMES[setup]}", f"{ratio:.2f}×", _mark(ratio >= goal, f"≥ {goal}×")
            )
    cpu = ratios.get("cpu_vs_telegraf-http")
    if cpu is not None:
        table.add_row(
            "satmon / Telegraf http, CPU per event", f"{cpu:.2f}×", _mark(cpu <= 1.0, "≤ 1.0×")
        )


def _mark(ok: bool, goal: str) -> str:
    return f"{goal} {'✓' if ok else '✗'}"
