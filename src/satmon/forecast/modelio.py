"""Build, save and load the two models as files of the Triton model repository.

``<repo>/<model>/1/weights.pt`` holds ``{"model", "hparams", "state_dict"}`` (loadable
with ``weights_only=True``); ``metadata.json`` beside it records how they were made.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from satmon.forecast.transformer import TimeSeriesTransformer
from satmon.forecast.vae import TimeSeriesVAE

Forecaster = TimeSeriesVAE | TimeSeriesTransformer
PENALTY = 4.0
"""Extra weight of forecast error beyond the series' better baseline (``experts.forecast_loss``):
of 1, 2, 3 and 4, the one with the fewest validation groups worse than a baseline and the
lowest validation MAE (triton/README.md, "How each choice was made")."""
DEFAULT_HPARAMS: dict[str, dict[str, Any]] = {
    "vae_timeseries": {"latent_dim": 32, "hidden_dim": 128, "n_samples": 32, "penalty": PENALTY},
    "transformer_timeseries": {
        "d_model": 64,
        "nhead": 4,
        "num_layers": 2,
        "dim_feedforward": 128,
        "patch_len": 4,
        "patch_stride": 2,
        "penalty": PENALTY,
    },
}
VERSION = "1"


def default_repository() -> Path:
    """The project's ``triton/models`` folder."""
    from satmon.settings import get_settings

    return get_settings().triton_model_repository


def build_model(name: str, hparams: dict[str, Any] | None = None) -> Forecaster:
    """A fresh model by Triton name with ``hparams`` over the defaults."""
    if name not in DEFAULT_HPARAMS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(DEFAULT_HPARAMS)}")
    params = {**DEFAULT_HPARAMS[name], **(hparams or {})}
    if name == "vae_timeseries":
        return TimeSeriesVAE(**params)
    return TimeSeriesTransformer(**params)


def version_dir(name: str, repository: Path | None = None) -> Path:
    return (repository or default_repository()) / name / VERSION


def save_model(
    model: nn.Module,
    name: str,
    hparams: dict[str, Any],
    metadata: dict[str, Any],
    repository: Path | None = None,
) -> Path:
    """Write ``weights.pt`` and ``metadata.json`` for ``name``; returns the version dir."""
    out = version_dir(name, repository)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    torch.save({"model": name, "hparams": hparams, "state_dict": state}, out / "weights.pt")
    (out / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    return out


def load_weights(path: Path, device: str | torch.device = "cpu") -> Forecaster:
    """Load a ``weights.pt`` file into its model, in eval mode on ``device``."""
    blob = torch.load(path, map_location=device, weights_only=True)
    model = build_model(blob["model"], blob["hparams"])
    model.load_state_dict(blob["state_dict"])
    return model.to(device).eval()


def load_model(
    name: str, repository: Path | None = None, device: str | torch.device = "cpu"
) -> Forecaster:
    """The committed model ``name`` from the Triton repository, in eval mode."""
    return load_weights(version_dir(name, repository) / "weights.pt", device)


def load_metadata(name: str, repository: Path | None = None) -> dict[str, Any]:
    path = version_dir(name, repository) / "metadata.json"
    return json.loads(path.read_text()) if path.exists() else {}
