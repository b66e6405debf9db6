"""The tables ``satmon models evaluate`` prints, from ``evaluate.evaluate_all``'s report."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from satmon.forecast.evaluate import BASELINE_NAMES, BETTER

SHORT = {"persistence": "persist", "linear_trend": "line", BETTER: "better"}


def forecast_tables(title: str, section: dict[str, Any], per_group: bool = True) -> list[Table]:
    """Per-group MAE and ratios (if ``per_group``), then the overall rows."""
    overall = section["overall"]
    models = list(overall["ratio"])
    tables = []
    if per_group:
        table = _mae_table(f"{title}: MAE per group", models, "group")
        for group, row in section["groups"].items():
            table.add_row(group, str(row["windows"]), *_mae_cells(row, models))
        tables.append(table)
    table = _mae_table(f"{title}: overall", models, "")
    table.add_row("pooled MAE", str(overall["windows"]), *_mae_cells(overall, models))
    mean_cells = ["-", "-"] + ["-" for _ in models]
    for name in models:
        mean_cells += [_num(overall["mean_ratio"][name][b]) for b in (*BASELINE_NAMES, BETTER)]
    table.add_row(f"mean of the {overall['groups']} groups' ratios", "", *mean_cells)
    worse_cells = ["-", "-"] + ["-" for _ in models]
    for name in models:
        worse_cells += [
            f"{len(overall['worse'][name][b])}/{overall['groups']}"
            for b in (*BASELINE_NAMES, BETTER)
        ]
    table.add_row("groups where the model is worse", "", *worse_cells)
    tables.append(table)
    return tables


def detection_tables(detection: dict[str, Any], per_channel: bool = True) -> list[Table]:
    """Totals per detector and set, Orion's pipelines on the same signals, and (if
    ``per_channel``) every channel's counts."""
    sets = list(detection["sets"])
    table = Table(title="Event-level anomaly detection (Orion's overlapping-segment matching)")
    table.add_column("detector")
    for s in sets:
        table.add_column(f"{s}: TP/FP/FN", justify="right")
        table.add_column("P / R / F1", justify="right")
    for name, result in detection["detectors"].items():
        table.add_row(f"satmon {name}", *_total_cells(result["totals"], sets))
    for pipeline, totals in sorted(
        detection["orion"].items(), key=lambda kv: -_first_f1(kv[1], sets)
    ):
        table.add_row(f"Orion {pipeline}", *_total_cells(totals, sets))
    tables = [table]
    if per_channel:
        names = list(detection["detectors"])
        chans = list(next(iter(detection["detectors"].values()))["channels"]) if names else []
        table = Table(title="Detection per channel: TP/FP/FN")
        table.add_column("channel")
        for name in names:
            table.add_column(name, justify="right")
        for chan in chans:
            cells = []
            for name in names:
                row = detection["detectors"][name]["channels"][chan]
                cells.append(f"{row['tp']}/{row['fp']}/{row['fn']}")
            table.add_row(chan, *cells)
        tables.append(table)
    return tables


def headroom_table(reference: dict[str, Any]) -> Table:
    table = Table(
        title="Reference (not a model): per-metric fitted linear map, which knows the metric"
    )
    for col in ("metric", "windows", "MAE", "vs linear trend", "vs persistence"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for metric, row in reference.items():
        table.add_row(
            metric,
            str(row["windows"]),
            f"{row['mae_linear_per_metric']:.4g}",
            _num(row["ratio_vs_linear_trend"]),
            _num(row["ratio_vs_persistence"]),
        )
    return table


def tuning_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Threshold settings on NASA training splits with injected anomalies")
    for col in ("quantile", "margin", "TP", "FP", "FN", "precision", "recall", "F1"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            f"{r['quantile']:g}",
            f"{r['margin']:g}",
            *(str(r[k]) for k in ("tp", "fp", "fn")),
            *(f"{r[k]:.3f}" for k in ("precision", "recall", "f1")),
        )
    return table


def span_table(rows: list[dict[str, Any]], detector: str) -> Table:
    table = Table(
        title=f"Dynamic threshold, {detector}: smoothing spans on NASA training splits "
        "with injected anomalies"
    )
    for col in ("span", "TP", "FP", "FN", "precision", "recall", "F1"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            str(r["span"]),
            *(str(r[k]) for k in ("tp", "fp", "fn")),
            *(f"{r[k]:.3f}" for k in ("precision", "recall", "f1")),
        )
    return table


def choice_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        title="Per-series choice learned on each training series' first part, scored on the rest"
    )
    for col in (
        "model",
        "learn on",
        "margin",
        "NASA worse (model alone)",
        "NASA pooled / persist (model alone)",
        "simulated worse (model alone)",
        "simulated mean / line (model alone)",
    ):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in rows:
        nasa, sim = r["nasa"], r["simulated"]
        table.add_row(
            _short(r["model"]),
            f"first {r['fraction']:.0%}",
            f"{r['margin']:g}",
            f"{len(nasa['worse'])}/{nasa['groups']} ({len(nasa['model_worse'])})",
            f"{_num(nasa['pooled_vs_persistence'])} ({_num(nasa['model_pooled_vs_persistence'])})",
            f"{len(sim['worse'])}/{sim['groups']} ({len(sim['model_worse'])})",
            f"{_num(sim['mean_vs_line'])} ({_num(sim['model_mean_vs_line'])})",
        )
    return table


def _mae_table(title: str, models: list[str], first: str) -> Table:
    table = Table(title=title)
    table.add_column(first)
    table.add_column("windows", justify="right")
    for name in ("persistence", "linear_trend", *models):
        table.add_column(f"MAE {SHORT.get(name, _short(name))}", justify="right")
    for name in models:
        for b in (*BASELINE_NAMES, BETTER):
            table.add_column(f"{_short(name)}/{SHORT[b]}", justify="right")
    return table


SUFFIXES = {"backtest": "+bt", "choice": "+ch"}


def _short(name: str) -> str:
    """``vae_timeseries`` → ``vae``; ``vae_timeseries+backtest`` → ``vae+bt``,
    ``transformer_timeseries+choice`` → ``tr+ch``."""
    model, _, variant = name.partition("+")
    short = "tr" if model.startswith("transformer") and variant else model.split("_")[0]
    return short + (SUFFIXES.get(variant, f"+{variant}") if variant else "")


def _mae_cells(row: dict[str, Any], models: list[str]) -> list[str]:
    cells = [f"{row['mae'][n]:.4g}" for n in ("persistence", "linear_trend", *models)]
    for name in models:
        cells += [_num(row["ratio"][name][b]) for b in (*BASELINE_NAMES, BETTER)]
    return cells


def _total_cells(totals: dict[str, Any], sets: list[str]) -> list[str]:
    cells = []
    for s in sets:
        t = totals.get(s)
        if t is None:
            cells += ["", ""]
            continue
        cells += [
            f"{t['tp']}/{t['fp']}/{t['fn']}",
            f"{t['precision']:.3f} / {t['recall']:.3f} / {t['f1']:.3f}",
        ]
    return cells


def _first_f1(totals: dict[str, Any], sets: list[str]) -> float:
    return next((float(totals[s]["f1"]) for s in sets if s in totals), 0.0)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
