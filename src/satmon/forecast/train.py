"""Train one model on simulated (or file) windows, with early stopping, and write it
into the Triton model repository with a small metadata file.

Deterministic: one seed fixes the data split, the initial weights and the batch
order; training runs on the CPU in float32.
"""

from __future__ import annotations

import copy
import logging
import math
import platform
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from satmon.forecast import modelio
from satmon.forecast.datasets import (
    HELDOUT_SIM,
    TRAIN_SIMS,
    VAL_SIMS,
    WindowSet,
    file_windows,
    simulated_windows,
)
from satmon.forecast.evaluate import evaluate_windows
from satmon.forecast.modelio import Forecaster
from satmon.forecast.nasa import nasa_root, nasa_windows
from satmon.forecast.vae import TimeSeriesVAE

log = logging.getLogger(__name__)
NASA_SHARE = 1.0
"""With ``--data mixed``: NASA train windows are repeated to this many per simulated one."""
NASA_TRAIN_CHANNELS = ("C-1", "D-14", "F-5", "M-6", "P-1", "P-10", "T-12")
"""The channels whose training splits ``--data mixed`` uses, and whose test splits the
metadata's figures come from."""


@dataclass
class TrainConfig:
    """What to train and how. ``data``: ``simulated``, ``mixed`` (simulated + the train
    split of the NASA dev channels, repeated to about a third of the windows), or a path
    to ``.npy`` / ``.csv`` files."""

    model: str = "transformer_timeseries"
    data: str = "mixed"
    seed: int = 0
    epochs: int = 20
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = 4
    windows_per_epoch: int = 60_000
    max_val_windows: int = 20_000
    threads: int = 2
    progress: bool = True


@dataclass
class TrainResult:
    model: Forecaster
    hparams: dict[str, Any]
    metadata: dict[str, Any]
    out_dir: Path | None


def train(config: TrainConfig, repository: Path | None = None, save: bool = True) -> TrainResult:
    """Train ``config.model``; when ``save``, write weights + metadata to the repository."""
    started = time.perf_counter()
    _seed_everything(config.seed, config.threads)
    train_set, val_set = load_training_data(config.data, config.seed)
    val_set = _cap(val_set, config.max_val_windows, config.seed)
    log.info(
        "training %s on %d windows, validating on %d", config.model, len(train_set), len(val_set)
    )

    hparams = dict(modelio.DEFAULT_HPARAMS[config.model])
    model = modelio.build_model(config.model, hparams)
    best_state, history = _fit(model, train_set, val_set, config)
    model.load_state_dict(best_state)
    model.eval()
    if isinstance(model, TimeSeriesVAE):
        calibrate_interval(model, val_set)

    heldout = simulated_windows(HELDOUT_SIM)
    figures = evaluate_windows({config.model: model}, heldout)
    nasa_figures = {}
    if (nasa_root() / "test").is_dir():
        nasa = nasa_windows(channels=NASA_TRAIN_CHANNELS)
        anomalous = nasa.flags["anomalous"]
        for label, mask in (("nominal", ~anomalous), ("anomalous", anomalous)):
            summary = evaluate_windows({config.model: model}, nasa.subset(mask))["summary"]
            nasa_figures[label] = summary["all"]
    metadata = {
        "model": config.model,
        "hparams": hparams,
        "data": config.data,
        "train_windows": len(train_set),
        "val_windows": len(val_set),
        "train_config": asdict(config),
        "seed": config.seed,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "train_seconds": round(time.perf_counter() - started, 1),
        "epochs_run": len(history),
        "best_epoch": int(np.argmin([h["val_mae"] for h in history])) + 1,
        "history": history,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "evaluation_heldout_simulated": figures["summary"],
        "evaluation_nasa_dev_test": nasa_figures,
        "command": (
            f"satmon models train --model {config.model.split('_')[0]} --data {config.data}"
            f" --seed {config.seed} --epochs {config.epochs} --patience {config.patience}"
        ),
    }
    out_dir = (
        modelio.save_model(model, config.model, hparams, metadata, repository) if save else None
    )
    return TrainResult(model, hparams, metadata, out_dir)


def load_training_data(data: str, seed: int) -> tuple[WindowSet, WindowSet]:
    """Training and early-stopping windows for ``data`` (see ``TrainConfig``)."""
    if data in ("simulated", "mixed"):
        train_set, val_set = simulated_windows(TRAIN_SIMS), simulated_windows(VAL_SIMS)
        if data == "mixed":
            real = nasa_windows(split="train", channels=NASA_TRAIN_CHANNELS)
            nasa_train, nasa_val = _split(real, 0.1, seed)
            # Repeat the (few) real windows so they are about a third of each epoch.
            repeats = max(1, round(NASA_SHARE * len(train_set) / max(1, len(nasa_train))))
            train_set = WindowSet.concat([train_set, *[nasa_train] * repeats])
            val_set = WindowSet.concat([val_set, nasa_val])
        return train_set, val_set
    path = Path(data)
    if not path.exists():
        raise FileNotFoundError(f"--data must be 'simulated', 'mixed' or an existing path: {data}")
    return _split(file_windows(path), 0.1, seed)


def calibrate_interval(model: TimeSeriesVAE, val_set: WindowSet, coverage: float = 0.8) -> None:
    """Set ``model.interval_scale`` [H] so [lower, upper] covers ``coverage`` of val truth."""
    x = torch.as_tensor(val_set.x[:50_000])
    y = val_set.y[:50_000]
    model.interval_scale.fill_(1.0)
    scales = np.logspace(-1, 3, 81)
    with torch.no_grad():
        out = model.predict(x)
    point, lo, hi = (out[k].double().numpy() for k in ("forecast", "lower", "upper"))
    best = np.ones(model.horizon)
    for h in range(model.horizon):
        for s in scales:
            inside = (y[:, h] >= point[:, h] + s * (lo[:, h] - point[:, h])) & (
                y[:, h] <= point[:, h] + s * (hi[:, h] - point[:, h])
            )
            if inside.mean() >= coverage:
                best[h] = s
                break
        else:
            best[h] = scales[-1]
    model.interval_scale.copy_(torch.as_tensor(best, dtype=torch.float32))
    log.info("interval scale per step: %s", np.round(best, 2).tolist())


# --- helpers ---------------------------------------------------------------------------
def _fit(
    model: Forecaster, train_set: WindowSet, val_set: WindowSet, config: TrainConfig
) -> tuple[dict[str, torch.Tensor], list[dict[str, float]]]:
    x = torch.as_tensor(train_set.x)
    y = torch.as_tensor(train_set.y)
    per_epoch = min(len(x), config.windows_per_epoch)
    n_batches = math.ceil(per_epoch / config.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=config.lr, total_steps=max(100, config.epochs * n_batches), pct_start=0.1
    )
    gen = torch.Generator().manual_seed(config.seed)
    best_state = copy.deepcopy(model.state_dict())
    best, stale, history = math.inf, 0, []
    bar = tqdm(range(config.epochs), desc=config.model, disable=not config.progress, unit="epoch")
    for epoch in bar:
        model.train()
        order = torch.randperm(len(x), generator=gen)[:per_epoch]
        total = 0.0
        for i in range(n_batches):
            idx = order[i * config.batch_size : (i + 1) * config.batch_size]
            loss = model.loss_function(x[idx], y[idx])["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach())
        val_mae = _normalised_mae(model, val_set)
        history.append({"epoch": epoch + 1, "train_loss": total / n_batches, "val_mae": val_mae})
        bar.set_postfix(loss=f"{total / n_batches:.4f}", val_mae=f"{val_mae:.4f}")
        log.info("epoch %d: train loss %.4f, val mae %.4f", epoch + 1, total / n_batches, val_mae)
        if val_mae < best - 1e-5:
            best, stale, best_state = val_mae, 0, copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= config.patience:
                log.info("early stop after epoch %d (best val %.4f)", epoch + 1, best)
                break
    return best_state, history


def _normalised_mae(model: Forecaster, ws: WindowSet) -> float:
    """Validation MAE with each window's error divided by the window's own spread."""
    model.eval()
    x = torch.as_tensor(ws.x)
    with torch.no_grad():
        pred = torch.cat([model(x[i : i + 4096]) for i in range(0, len(x), 4096)]).double()
    scale = np.maximum(
        ws.x.std(axis=1, keepdims=True), 1e-6 * (1 + np.abs(ws.x.mean(axis=1, keepdims=True)))
    )
    err = np.abs(pred.numpy() - ws.y) / scale
    return float(np.mean(np.minimum(err, 50.0)))


def _split(ws: WindowSet, fraction: float, seed: int) -> tuple[WindowSet, WindowSet]:
    """Split by contiguous blocks so neighbouring stride-1 windows don't straddle splits."""
    n = len(ws)
    blocks = np.arange(n) // 500
    rng = np.random.default_rng(seed)
    uniq = np.unique(blocks)
    val_blocks = rng.choice(uniq, size=max(1, int(len(uniq) * fraction)), replace=False)
    is_val = np.isin(blocks, val_blocks)
    return ws.subset(~is_val), ws.subset(is_val)


def _cap(ws: WindowSet, limit: int, seed: int) -> WindowSet:
    if len(ws) <= limit:
        return ws
    keep = np.sort(np.random.default_rng(seed).choice(len(ws), size=limit, replace=False))
    return ws.subset(keep)


def _seed_everything(seed: int, threads: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(max(1, threads))
