"""Classical forecasts as fixed linear maps, mixed by a learned, window-dependent gate.

Each expert is a ``[H, L]`` matrix applied to the normalised window: repeat the last
value, mean of the window, mean of the last 5, least-squares lines over the whole
window and over its last 10 points, a least-squares quadratic, and drift. A network
chooses softmax weights per window and adds a small correction, so the forecast is a
window-dependent linear predictor: noisy flat windows can lean on the mean, trends on
a line, smooth curves (a ground track) on the quadratic.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

EXPERT_NAMES = (
    "persistence",
    "mean",
    "mean_last5",
    "line",
    "line_last10",
    "quadratic",
    "drift",
)


def polynomial_expert(
    window: int, horizon: int, degree: int, last_n: int | None = None
) -> np.ndarray:
    """``[H, L]`` least-squares polynomial fit over the last ``last_n`` points, extrapolated."""
    n = last_n or window
    t = np.arange(window - n, window, dtype=np.float64)
    centre, scale = t.mean(), max(1.0, float(n))
    vander = np.vander((t - centre) / scale, degree + 1)
    future = np.vander((np.arange(window, window + horizon) - centre) / scale, degree + 1)
    w = np.zeros((horizon, window))
    w[:, window - n :] = future @ np.linalg.pinv(vander)
    return w


def expert_matrices(window: int, horizon: int) -> np.ndarray:
    """All experts stacked: ``[K, H, L]`` in the order of ``EXPERT_NAMES``."""
    persistence = np.zeros((horizon, window))
    persistence[:, -1] = 1.0
    drift = persistence.copy()
    steps = np.arange(1, horizon + 1)[:, None] / (window - 1)
    drift[:, -1] += steps[:, 0]
    drift[:, 0] -= steps[:, 0]
    return np.stack(
        [
            persistence,
            polynomial_expert(window, horizon, 0),
            polynomial_expert(window, horizon, 0, 5),
            polynomial_expert(window, horizon, 1),
            polynomial_expert(window, horizon, 1, 10),
            polynomial_expert(window, horizon, 2),
            drift,
        ]
    )


class GatedExperts(nn.Module):
    """``forward(xn [B, L], logits [..., K])`` → mixed expert forecast ``[..., H]``."""

    weight: torch.Tensor

    def __init__(self, window: int, horizon: int) -> None:
        super().__init__()
        self.register_buffer(
            "weight", torch.as_tensor(expert_matrices(window, horizon), dtype=torch.float32)
        )
        self.n_experts = self.weight.shape[0]

    def experts(self, xn: torch.Tensor) -> torch.Tensor:
        """Every expert's forecast: ``[B, K, H]``."""
        return torch.einsum("khl,bl->bkh", self.weight, xn)

    def forward(self, xn: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """Mix ``[B, K, H]`` experts with ``softmax(logits)``; ``logits`` may carry a sample
        axis (``[B, S, K]`` → ``[B, S, H]``)."""
        experts = self.experts(xn)
        gate = torch.softmax(logits, dim=-1)
        if gate.dim() == 3:
            return torch.einsum("bsk,bkh->bsh", gate, experts)
        return torch.einsum("bk,bkh->bh", gate, experts)


def noise_weights(xn: torch.Tensor, floor: float = 0.2) -> torch.Tensor:
    """Per-window loss weights ``[B, 1]``: 1 / (spread of the residuals of a straight-line
    fit) in normalised units, floored. Errors then count in units of each window's own
    noise, so trend-dominated windows (small normalised noise) matter as much as flat
    noisy ones."""
    t = torch.arange(xn.shape[1], dtype=xn.dtype, device=xn.device)
    tc = t - t.mean()
    centred = xn - xn.mean(dim=1, keepdim=True)
    slope = (centred * tc).sum(dim=1, keepdim=True) / (tc * tc).sum()
    resid = centred - slope * tc
    return 1.0 / resid.std(dim=1, keepdim=True).clamp(min=floor)
