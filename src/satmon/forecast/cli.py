"""``satmon models``: train and evaluate the forecasting models.

Torch is imported inside the commands so ``satmon --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from satmon.contract.forecast import MODEL_NAMES, SHORT_NAMES
from satmon.logconfig import configure_logging

models_app = typer.Typer(help="Train and evaluate the forecasting models.", no_args_is_help=True)
console = Console()
if not console.is_terminal:  # logs and pipes: wide enough for the tables, no truncation
    console = Console(width=280)
DEFAULT_REPORT = Path("bench/results/evaluation.json")
DYNAMIC_TUNED = (
    ("vae_timeseries", "anomaly"),
    ("vae_timeseries", "forecast"),
    ("transformer_timeseries", "forecast"),
)
"""The detectors whose dynamic-threshold smoothing ``tune-threshold --rule dynamic`` scores."""


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
            help="mixed (simulated + NASA training splits) | simulated | PATH (.npy/.csv/folder)"
        ),
    ] = "mixed",
    seed: Annotated[int, typer.Option(help="seed for data split, init and batch order")] = 0,
    epochs: Annotated[
        int, typer.Option(help="maximum epochs (early stopping may end sooner)")
    ] = 30,
    patience: Annotated[int, typer.Option(help="epochs without improvement before stopping")] = 6,
    repository: Annotated[
        Path | None, typer.Option(help="model repository (default triton/models)")
    ] = None,
) -> None:
    """Train (seeded, early stopping) and write weights.pt + metadata.json into
    <repository>/<model>/1/; `satmon models evaluate` scores them."""
    from satmon.forecast.train import TrainConfig
    from satmon.forecast.train import train as run_training

    configure_logging("models", level="WARNING")
    torch_threads()
    for name in _model_names(model):
        cfg = TrainConfig(model=name, data=data, seed=seed, epochs=epochs, patience=patience)
        result = run_training(cfg, repository)
        console.print(
            f"[bold]{name}[/]: wrote {result.out_dir} "
            f"({result.metadata['epochs_run']} epochs, {result.metadata['train_seconds']} s)"
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
    per_group: Annotated[bool, typer.Option(help="also print every channel and metric")] = True,
    backtest: Annotated[
        bool, typer.Option(help="also score each model through the backtest combiner")
    ] = False,
    choice: Annotated[
        bool,
        typer.Option(
            help="also score each model under the per-series choice the forecaster applies "
            "(choice.py), learned from each channel's training split"
        ),
    ] = True,
) -> None:
    """MAE per model vs persistence and the least-squares line (held-out simulated data;
    NASA nominal and anomalous test windows), per group and overall, and event-level
    anomaly detection next to Orion's pipelines."""
    from satmon.forecast.evaluate import evaluate_all
    from satmon.forecast.modelio import load_model
    from satmon.forecast.report import detection_tables, forecast_tables, headroom_table

    torch_threads()
    models = {name: load_model(name, repository) for name in _model_names(model)}
    report = evaluate_all(models, nasa, backtest=backtest, choice=choice)
    for key, title, groups in (
        ("simulated_heldout", "Held-out simulated data (1 Hz)", per_group),
        ("nasa_nominal", "NASA test splits, nominal windows", per_group),
        ("nasa_anomalous", "NASA test splits, anomalous windows", False),
    ):
        if key in report:
            for table in forecast_tables(title, report[key], groups):
                console.print(table)
    console.print(headroom_table(report["simulated_headroom"]))
    if "detection" in report:
        for table in detection_tables(report["detection"], per_group):
            console.print(table)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n")
    console.print(f"wrote {output}")


@models_app.command("tune-threshold")
def tune_threshold(
    repository: Annotated[
        Path | None, typer.Option(help="model repository (default triton/models)")
    ] = None,
    nasa: Annotated[Path | None, typer.Option(help="NASA SMAP/MSL folder (train/)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the injected anomalies")] = 0,
    rule: Annotated[
        str, typer.Option(help="nominal (quantile and margin) | dynamic (smoothing span)")
    ] = "nominal",
) -> None:
    """How the anomaly threshold's settings were chosen: every setting on the NASA
    training splits with injected anomalies (no test split is read). ``nominal``: the
    quantile and margin of the VAE's anomaly score; ``dynamic``: the smoothing span of
    each detector's score."""
    from satmon.forecast.modelio import load_model
    from satmon.forecast.report import span_table, tuning_table
    from satmon.forecast.synthetic import tune, tune_dynamic

    torch_threads()
    if rule == "nominal":
        rows = tune(load_model("vae_timeseries", repository), root=nasa, seed=seed)
        console.print(tuning_table(rows))
        return
    if rule != "dynamic":
        raise typer.BadParameter(f"expected nominal or dynamic, got {rule!r}", param_hint="--rule")
    for name, score in DYNAMIC_TUNED:
        rows = tune_dynamic(load_model(name, repository), score, root=nasa, seed=seed)
        console.print(span_table(rows, f"{name} / {score}"))


@models_app.command("tune-choice")
def tune_choice_command(
    repository: Annotated[
        Path | None, typer.Option(help="model repository (default triton/models)")
    ] = None,
    nasa: Annotated[Path | None, typer.Option(help="NASA SMAP/MSL folder (train/)")] = None,
) -> None:
    """How the per-series choice's margin was chosen: each NASA training split and each
    simulated validation series learns its choice on its first part and is scored on the
    rest (no test split is read)."""
    from satmon.forecast.evaluate import tune_choice
    from satmon.forecast.modelio import load_model
    from satmon.forecast.report import choice_table

    torch_threads()
    models = {name: load_model(name, repository) for name in MODEL_NAMES}
    console.print(choice_table(tune_choice(models, nasa)))


def torch_threads(threads: int = 1) -> None:
    """One intra-op thread: the models are small, and on a shared machine spinning
    OpenMP threads cost far more than they give (OMP_WAIT_POLICY must be set before
    torch loads; the environment wins)."""
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(threads)
