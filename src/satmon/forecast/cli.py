"""``satmon models``: train and evaluate the forecasting models.

Torch is imported inside the commands so ``satmon --help`` stays fast.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from satmon.contract.forecast import MODEL_NAMES, SHORT_NAMES

models_app = typer.Typer(help="Train and evaluate the forecasting models.", no_args_is_help=True)
console = Console()
if not console.is_terminal:  # logs and pipes: wide enough for the tables, no truncation
    console = Console(width=200)
DEFAULT_REPORT = Path("bench/results/evaluation.json")


def _model_names(model: str) -> list[str]:
    if model == "all":
        return list(MODEL_NAMES)
    if model in SHORT_NAMES:
        return [SHORT_NAMES[model]]
    if model in MODEL_NAMES:
        return [model]
    raise typer.BadParameter(f"expected vae, transformer or all, got {model!r}")


@models_app.command()
def train(
    model: Annotated[str, typer.Option(help="vae | transformer | all")] = "all",
    data: Annotated[
        str,
        typer.Option(
            help="mixed (simulated + NASA dev train split) | simulated | PATH (.npy/.csv/folder)"
        ),
    ] = "mixed",
    seed: Annotated[int, typer.Option(help="seed for data split, init and batch order")] = 0,
    epochs: Annotated[
        int, typer.Option(help="maximum epochs (early stopping may end sooner)")
    ] = 20,
    patience: Annotated[int, typer.Option(help="epochs without improvement before stopping")] = 4,
    repository: Annotated[
        Path | None, typer.Option(help="model repository (default triton/models)")
    ] = None,
) -> None:
    """Train (seeded, early stopping), evaluate on held-out data, and write weights.pt +
    metadata.json into <repository>/<model>/1/."""
    from satmon.forecast.train import TrainConfig
    from satmon.forecast.train import train as run_training

    logging.basicConfig(level=logging.WARNING)
    for name in _model_names(model):
        cfg = TrainConfig(model=name, data=data, seed=seed, epochs=epochs, patience=patience)
        result = run_training(cfg, repository)
        console.print(
            f"[bold]{name}[/]: wrote {result.out_dir} "
            f"({result.metadata['epochs_run']} epochs, {result.metadata['train_seconds']} s)"
        )
        console.print(
            _summary_table(
                f"{name}: held-out simulated MAE", result.metadata["evaluation_heldout_simulated"]
            )
        )


@models_app.command()
def evaluate(
    model: Annotated[str, typer.Option(help="vae | transformer | all")] = "all",
    repository: Annotated[
        Path | None, typer.Option(help="model repository (default triton/models)")
    ] = None,
    nasa: Annotated[
        Path | None,
        typer.Option(
            help="NASA SMAP/MSL folder (train/, test/, labeled_anomalies.csv); "
            "default: SATMON_NASA_ROOT or data/nasa-smap-msl"
        ),
    ] = None,
    output: Annotated[Path, typer.Option(help="where to write the JSON report")] = DEFAULT_REPORT,
) -> None:
    """MAE / RMSE per horizon step vs persistence and linear trend (held-out simulated;
    NASA nominal and anomalous windows) and event-level anomaly detection P/R/F1."""
    from satmon.forecast.evaluate import evaluate_all
    from satmon.forecast.modelio import load_model

    models = {name: load_model(name, repository) for name in _model_names(model)}
    report = evaluate_all(models, nasa)
    for key, title in (
        ("simulated_heldout", "Held-out simulated data (1 Hz), MAE"),
        ("nasa_nominal", "NASA SMAP/MSL dev channels, nominal windows, MAE"),
        ("nasa_anomalous", "NASA SMAP/MSL dev channels, anomalous windows, MAE"),
    ):
        if key in report:
            console.print(_summary_table(title, report[key]["summary"]))
            console.print(
                _steps_table(
                    title.replace(", MAE", ": MAE per horizon step (all)"),
                    report[key]["detail"]["all"],
                )
            )
    if "simulated_headroom" in report:
        console.print(_headroom_table(report["simulated_headroom"]))
    if "anomaly_detection" in report:
        console.print(_detection_table(report["anomaly_detection"]))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n")
    console.print(f"wrote {output}")


def _headroom_table(reference: dict[str, Any]) -> Table:
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
            f"{row['ratio_vs_linear_trend']:.3f}",
            f"{row['ratio_vs_persistence']:.3f}",
        )
    return table


def _summary_table(title: str, summary: dict[str, Any]) -> Table:
    forecasters = [
        k.removeprefix("mae_") for k in next(iter(summary.values())) if k.startswith("mae_")
    ]
    models = [f for f in forecasters if f in MODEL_NAMES]
    table = Table(title=title)
    table.add_column("group")
    table.add_column("windows", justify="right")
    for f in forecasters:
        table.add_column(f, justify="right")
    for m in models:
        table.add_column(f"{m.split('_')[0]}/persist", justify="right")
        table.add_column(f"{m.split('_')[0]}/linear", justify="right")
    for group, row in summary.items():
        cells = [group, str(row["windows"]), *(f"{row[f'mae_{f}']:.4g}" for f in forecasters)]
        for m in models:
            for base in ("persistence", "linear_trend"):
                ratio = row.get(f"ratio_{m}_vs_{base}")
                cells.append("-" if ratio is None else f"{ratio:.3f}")
        table.add_row(*cells)
    return table


def _steps_table(title: str, detail: dict[str, Any]) -> Table:
    names = [k for k in detail if k != "windows"]
    table = Table(title=title)
    table.add_column("step", justify="right")
    for n in names:
        table.add_column(f"{n} MAE", justify="right")
        table.add_column(f"{n} RMSE", justify="right")
    steps = len(detail[names[0]]["mae_per_step"])
    for h in range(steps):
        cells = [str(h + 1)]
        for n in names:
            cells += [f"{detail[n]['mae_per_step'][h]:.4g}", f"{detail[n]['rmse_per_step'][h]:.4g}"]
        table.add_row(*cells)
    return table


def _detection_table(results: dict[str, Any]) -> Table:
    table = Table(title="Event-level anomaly detection, NASA dev channels")
    for col in ("detector", "TP", "FP", "FN", "precision", "recall", "F1"):
        table.add_column(col, justify="right" if col != "detector" else "left")
    for name, r in results.items():
        table.add_row(
            name,
            str(r["tp"]),
            str(r["fp"]),
            str(r["fn"]),
            f"{r['precision']:.3f}",
            f"{r['recall']:.3f}",
            f"{r['f1']:.3f}",
        )
    return table
