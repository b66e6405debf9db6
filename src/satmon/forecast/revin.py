"""Per-window reversible instance normalisation (RevIN style).

Each window is shifted by its own mean and scaled by its own spread, the network
works on the normalised values, and its output is mapped back. The statistics are
computed in float64 so that raw values of any scale (altitudes of 400 km, spikes of
250x) stay finite, and the spread has a floor so constant windows give exactly the
constant back instead of a division by zero.
"""

from __future__ import annotations

import torch
from torch import nn

REL_FLOOR = 1e-5
"""Spread floor relative to the window's level: below it, variation is float32 noise."""
ABS_FLOOR = 1e-6
"""Absolute spread floor for windows around zero."""


class RevIN(nn.Module):
    """Normalise ``[B, L]`` windows per row; ``denormalise`` maps ``[B, H]`` back."""

    def __init__(self, rel_floor: float = REL_FLOOR, abs_floor: float = ABS_FLOOR) -> None:
        super().__init__()
        self.rel_floor = rel_floor
        self.abs_floor = abs_floor

    def stats(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and floored std of each row of ``x`` ``[B, L]`` → two ``[B, 1]`` float64."""
        x64 = x.to(torch.float64)
        mean = x64.mean(dim=1, keepdim=True)
        var = x64.var(dim=1, unbiased=False, keepdim=True)
        floor = self.rel_floor * mean.abs() + self.abs_floor
        std = torch.sqrt(var + floor * floor)
        return mean, std

    def normalise(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """``x`` ``[B, L]`` raw → (normalised float32 ``[B, L]``, stats for ``denormalise``)."""
        mean, std = self.stats(x)
        z = ((x.to(torch.float64) - mean) / std).to(torch.float32)
        return z, (mean, std)

    def denormalise(
        self, z: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        """``z`` ``[B, H]`` normalised → raw float64 ``[B, H]``."""
        mean, std = stats
        return z.to(torch.float64) * std + mean

    def scale(self, z: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """A spread ``z`` ``[B, H]`` in normalised units → raw units (no shift)."""
        return z.to(torch.float64) * stats[1]
