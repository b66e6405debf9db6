"""``transformer_timeseries``: a small patch Transformer encoder (PatchTST style).

The normalised window ``[B, 20]`` is cut into overlapping patches (length 4,
stride 2 → 9 tokens), embedded to ``d_model`` 64 with a learned position embedding,
run through a pre-norm Transformer encoder (4 heads), flattened and projected to the
gate of the classical experts (``experts.py``) plus a correction per step.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from satmon.contract.forecast import HORIZON, WINDOW
from satmon.forecast.experts import GatedExperts, noise_weights
from satmon.forecast.revin import RevIN
from satmon.forecast.vae import TARGET_CLIP


class TimeSeriesTransformer(nn.Module):
    """Transformer forecaster. ``predict`` takes raw ``[B, window]``, returns raw outputs."""

    def __init__(
        self,
        window: int = WINDOW,
        horizon: int = HORIZON,
        d_model: int = 64,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 128,
        patch_len: int = 4,
        patch_stride: int = 2,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.window = window
        self.horizon = horizon
        self.patch_len = patch_len
        self.patch_stride = patch_stride
        n_patches = (window - patch_len) // patch_stride + 1
        self.revin = RevIN()
        self.embed = nn.Linear(patch_len, d_model)
        self.pos = nn.Parameter(torch.randn(1, n_patches, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.experts = GatedExperts(window, horizon)
        # Gate logits over the classical experts + a correction per step; starts as an
        # even mix with no correction.
        self.head = nn.Linear(n_patches * d_model, self.experts.n_experts + horizon)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forecast_normalised(self, xn: torch.Tensor) -> torch.Tensor:
        """Normalised window ``[B, L]`` → normalised forecast ``[B, H]``."""
        patches = xn.unfold(1, self.patch_len, self.patch_stride)  # [B, P, patch_len]
        h = self.embed(patches) + self.pos  # [B, P, D]
        h = self.norm(self.encoder(h))  # [B, P, D]
        out = self.head(h.flatten(1))  # [B, K + H]
        k = self.experts.n_experts
        return self.experts(xn, out[:, :k]) + out[:, k:]

    def loss_function(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Raw window ``[B, L]`` and raw future ``[B, H]`` → named loss terms."""
        xn, (mean, std) = self.revin.normalise(x)
        yn = ((y.to(torch.float64) - mean) / std).clamp(-TARGET_CLIP, TARGET_CLIP).float()
        w = noise_weights(xn)
        pred = self.forecast_normalised(xn)
        loss = F.smooth_l1_loss(pred * w, yn * w, beta=0.1, reduction="none").mean() / w.mean()
        return {"loss": loss, "forecast": loss}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw window ``[B, L]`` → raw forecast ``[B, H]`` (float32)."""
        return self.predict(x)["forecast"]

    def predict(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Raw window ``[B, L]`` → ``{"forecast": [B, H]}`` float32 in raw units."""
        xn, stats = self.revin.normalise(x)
        return {"forecast": self.revin.denormalise(self.forecast_normalised(xn), stats).float()}
