"""Train one model, with early stopping, and write it into the Triton model repository
with a metadata file that says how to make it again.

Data (``--data mixed``, the default): simulated telemetry (``datasets.TRAIN_SIMS``) and
the first 80 % of the training split of every NASA channel; early stopping and the VAE's
interval calibration use other simulated satellites (``VAL_SIMS``) and the last 20 % of
each NASA training split. No test split is read. One seed fixes the data order, the
initial weights and the batch order; training runs on the CPU in float32.
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
from satmon.forecast.baselines import linear_trend, persistence
from satmon.forecast.datasets import (
    TRAIN_SIMS,
    VAL_SIMS,
    WindowSet,
    file_windows,
    simulated_windows,
)
from satmon.forecast.inference import point_forecasts, predict_windows
from satmon.forecast.modelio import Forecaster
from satmon.forecast.nasa import nasa_windows
from satmon.forecast.vae import TimeSeriesVAE

log = logging.getLogger(__name__)
NASA_SHARE = 1.0
"""With ``--data mixed``: NASA training windows are repeated to about this many per
simulated one, so real and simulated telemetry weigh alike."""
NASA_FIT_PORTION = (0.0, 0.8)
NASA_VAL_PORTION = (0.8, 1.0)


@dataclass
class TrainConfig:
    """What to train and how. ``data``: ``mixed`` (simulated + NASA training splits),
    ``simulated``, or a path to ``.npy`` / ``.csv`` files (split 90 / 10 by blocks)."""

    model: str = "transformer_timeseries"
    data: str = "mixed"
    seed: int = 0
    epochs: int = 30
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = 6
    windows_per_epoch: int = 60_000
    max_val_windows: int = 20_000
    threads: int = 1
    progress: bool = True


@dataclass
class TrainResult:
    model: Forecaster
    hparams: dict[str, Any]
    metadata: dict[str, Any]
    out_dir: Path | None


def train(
    config: TrainConfig,
    repository: Path | None = None,
    save: bool = True,
    hparams: dict[str, Any] | None = None,
) -> TrainResult:
    """Train ``config.model``; when ``save``, write weights + metadata to the repository."""
    started = time.perf_counter()
    _seed_everything(config.seed, config.threads)
    train_set, val_set = load_training_data(config.data, config.seed)
    val_set = _cap(val_set, config.max_val_windows, config.seed)
    log.info(
        "training %s on %d windows, validating on %d", config.model, len(train_set), len(val_set)
    )

    params = {**modelio.DEFAULT_HPARAMS[config.model], **(hparams or {})}
    model = modelio.build_model(config.model, params)
    best_state, history = _fit(model, train_set, val_set, config)
    model.load_state_dict(best_state)
    model.eval()
    if isinstance(model, TimeSeriesVAE):
        calibrate_interval(model, val_set)
    metadata = {
        "model": config.model,
        "hparams": params,
        "data": config.data,
        "train_windows": len(train_set),
        "val_windows": len(val_set),
        "train_config": asdict(config),
        "seed": config.seed,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "train_seconds": round(time.perf_counter() - started, 1),
        "epochs_run": len(history),
        "best_epoch": int(np.argmin([h["val_loss"] for h in history])) + 1,
        "history": history,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "command": (
            f"satmon models train --model {config.model.split('_')[0]} --data {config.data}"
            f" --seed {config.seed} --epochs {config.epochs} --patience {config.patience}"
        ),
    }
    out_dir = (
        modelio.save_model(model, config.model, params, metadata, repository) if save else None
    )
    return TrainResult(model, params, metadata, out_dir)


def load_training_data(data: str, seed: int) -> tuple[WindowSet, WindowSet]:
    """Training and early-stopping windows for ``data`` (see ``TrainConfig``)."""
    if data in ("simulated", "mixed"):
        train_set, val_set = simulated_windows(TRAIN_SIMS), simulated_windows(VAL_SIMS)
        if data == "mixed":
            fit = nasa_windows(split="train", portion=NASA_FIT_PORTION)
            held = nasa_windows(split="train", portion=NASA_VAL_PORTION)
            repeats = max(1, round(NASA_SHARE * len(train_set) / max(1, len(fit))))
            train_set = WindowSet.concat([train_set, *[fit] * repeats])
            val_set = WindowSet.concat([val_set, held])
        return train_set, val_set
    path = Path(data)
    if not path.exists():
        raise FileNotFoundError(f"--data must be 'simulated', 'mixed' or an existing path: {data}")
    return _split(file_windows(path), 0.1, seed)


def validation_loss(model: Forecaster, ws: WindowSet) -> float:
    """The training loss on ``ws``: absolute error of the point forecast in units of each
    window's series, plus ``model.penalty`` × how much worse it is than the series'
    better baseline."""
    pred = point_forecasts(model, ws.x)
    base = np.where(_line_better(ws)[:, None], linear_trend(ws.x), persistence(ws.x))
    err = np.abs(pred - ws.y)
    worse = np.maximum(err - np.abs(base - ws.y), 0.0)
    return float(np.mean((err + model.penalty * worse).mean(axis=1) * _weights(ws)))


def calibrate_interval(model: TimeSeriesVAE, val_set: WindowSet, coverage: float = 0.8) -> None:
    """Set ``model.band`` [2, H]: the margins (in window spreads) below the sampled low
    quantile and above the high one that put ``(1 - coverage) / 2`` of validation truth
    below ``lower`` and as much above ``upper`` (windows that move at all; a flat
    window's interval is exact)."""
    moving = val_set.x.std(axis=1) > 0
    x, y = val_set.x[moving][:50_000], val_set.y[moving][:50_000]
    model.band.zero_()
    out = predict_windows(model, x)
    scale = (x - x[:, -1:]).std(axis=1, keepdims=True)  # as experts.scale_window
    below = (y - out["lower"]) / scale  # [N, H], window spreads
    above = (y - out["upper"]) / scale
    tail = (1.0 - coverage) / 2.0
    band = np.stack(
        [
            np.minimum(np.quantile(below, tail, axis=0), 0.0),
            np.maximum(np.quantile(above, 1.0 - tail, axis=0), 0.0),
        ]
    )
    model.band.copy_(torch.as_tensor(band, dtype=torch.float32))
    log.info("interval margins per step: %s", np.round(band, 3).tolist())


# --- helpers ---------------------------------------------------------------------------
def _fit(
    model: Forecaster, train_set: WindowSet, val_set: WindowSet, config: TrainConfig
) -> tuple[dict[str, torch.Tensor], list[dict[str, float]]]:
    x, y = torch.as_tensor(train_set.x), torch.as_tensor(train_set.y)
    w = torch.as_tensor(_weights(train_set))[:, None]
    line_better = torch.as_tensor(_line_better(train_set))[:, None]
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
            loss = model.loss_function(x[idx], y[idx], w[idx], line_better[idx])["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach())
        val = validation_loss(model, val_set)
        history.append({"epoch": epoch + 1, "train_loss": total / n_batches, "val_loss": val})
        bar.set_postfix(loss=f"{total / n_batches:.4f}", val=f"{val:.4f}")
        if val < best - 1e-5:
            best, stale, best_state = val, 0, copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= config.patience:
                log.info("early stop after epoch %d (best val %.4f)", epoch + 1, best)
                break
    return best_state, history


def _weights(ws: WindowSet) -> np.ndarray:
    """Per-window series weights; file data without them weighs every window alike."""
    if "weight" in ws.flags:
        return ws.flags["weight"].astype(np.float64)
    return np.ones(len(ws))


def _line_better(ws: WindowSet) -> np.ndarray:
    if "line_better" in ws.flags:
        return ws.flags["line_better"].astype(bool)
    return np.zeros(len(ws), dtype=bool)


def _split(ws: WindowSet, fraction: float, seed: int) -> tuple[WindowSet, WindowSet]:
    """Split by contiguous blocks so neighbouring stride-1 windows don't straddle splits."""
    blocks = np.arange(len(ws)) // 500
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
