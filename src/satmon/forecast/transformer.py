"""``transformer_timeseries``: a small patch Transformer encoder (PatchTST style).

The normalised window ``[B, 20]`` (``experts.scale_window``) is cut into overlapping
patches (length 4, stride 2 → 9 tokens), embedded to ``d_model`` 64 with a learned
position embedding, run through a pre-norm Transformer encoder (4 heads), flattened and
projected to the gate over the classical experts plus a correction per step
(``experts.py``).
"""

from __future__ import annotations

import torch
from torch import nn

from satmon.contract.forecast import HORIZON, WINDOW
from satmon.forecast.experts import (
    N_FEATURES,
    GatedExperts,
    forecast_loss,
    gate_bias,
    normalised_target,
    scale_window,
    unscale,
    window_features,
)


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
        penalty: float = 1.0,
    ) -> None:
        super().__init__()
        self.window = window
        self.horizon = horizon
        self.patch_len = patch_len
        self.patch_stride = patch_stride
        self.penalty = penalty
        n_patches = (window - patch_len) // patch_stride + 1
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
        k = self.experts.n_experts
        # Gate logits over the classical experts + a correction per step; starts with
        # persistence ahead and no correction.
        self.head = nn.Linear(n_patches * d_model + N_FEATURES, k + horizon)
        nn.init.zeros_(self.head.weight)
        with torch.no_grad():
            self.head.bias.copy_(torch.cat([gate_bias(k), torch.zeros(horizon)]))

    def forecast_normalised(self, z: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Normalised window ``[B, L]`` and its ``window_features`` ``[B, F]`` → normalised
        forecast ``[B, H]``."""
        return self._mix(z, features)[0]

    def _mix(
        self, z: torch.Tensor, features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(normalised forecast, gate logits, experts' forecasts), as ``GatedExperts.mix``."""
        patches = z.unfold(1, self.patch_len, self.patch_stride)  # [B, P, patch_len]
        h = self.embed(patches) + self.pos  # [B, P, D]
        h = self.norm(self.encoder(h))  # [B, P, D]
        out = self.head(torch.cat([h.flatten(1), features], dim=1))  # [B, K + H]
        k = self.experts.n_experts
        return self.experts.mix(z, out[:, :k], out[:, k:])

    def loss_function(
        self, x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, line_better: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Raw window ``[B, L]``, raw future ``[B, H]``, the series weight ``[B, 1]`` and
        whether the line is the series' better baseline ``[B, 1]`` → named loss terms."""
        z, last, scale = scale_window(x)
        w = (scale * weight.to(torch.float64)).to(torch.float32)
        target = normalised_target(y, last, scale)
        pred, logits, experts = self._mix(z, window_features(x, z))
        loss = forecast_loss(pred, target, w, line_better, logits, experts, self.penalty)
        return {"loss": loss, "forecast": loss}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw window ``[B, L]`` → raw forecast ``[B, H]`` (float64)."""
        return self.predict(x)["forecast"]

    def predict(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Raw window ``[B, L]`` → ``{"forecast": [B, H]}`` float64 in raw units."""
        z, last, scale = scale_window(x)
        forecast = self.forecast_normalised(z, window_features(x, z))
        return {"forecast": unscale(forecast, last, scale)}
