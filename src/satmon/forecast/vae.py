"""``vae_timeseries``: a VAE over the window that also decodes the next points.

The encoder maps a normalised window ``[B, 20]`` to a latent Gaussian (dim 32); the
decoder maps a latent sample back to the window (reconstruction) and to the forecast
of the next 10 points: a gate over classical experts (``experts.py``) plus a
correction. At inference the point forecast decodes the latent mean; the spread
decodes a fixed set of quasi-random latent samples (so results are deterministic and
independent of the batch) and takes their p10/p90, widened by a factor calibrated on
held-out data to cover 80 %; the anomaly score is the mean squared reconstruction
error in normalised units.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from satmon.contract.forecast import HORIZON, WINDOW
from satmon.forecast.experts import GatedExperts, noise_weights
from satmon.forecast.revin import RevIN

TARGET_CLIP = 50.0
"""Targets beyond this many window-spreads are clipped in the loss (steps after a flat window)."""


class TimeSeriesVAE(nn.Module):
    """VAE forecaster. ``predict`` takes raw ``[B, window]`` and returns raw outputs."""

    latent_eps: torch.Tensor
    interval_scale: torch.Tensor

    def __init__(
        self,
        window: int = WINDOW,
        horizon: int = HORIZON,
        latent_dim: int = 32,
        hidden_dim: int = 128,
        n_samples: int = 32,
        quantiles: tuple[float, float] = (0.1, 0.9),
        beta: float = 0.05,
    ) -> None:
        super().__init__()
        self.window = window
        self.horizon = horizon
        self.latent_dim = latent_dim
        self.quantiles = quantiles
        self.beta = beta
        self.revin = RevIN()
        self.encoder = nn.Sequential(
            nn.Linear(window, hidden_dim),
            nn.GELU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.GELU(),
        )
        self.fc_mu = nn.Linear(hidden_dim, latent_dim)
        self.fc_logvar = nn.Linear(hidden_dim, latent_dim)
        # The decoder gives the reconstruction, the gate over the classical experts and
        # a correction per step.
        self.experts = GatedExperts(window, horizon)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim),
            nn.GELU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.GELU(),
            nn.Linear(hidden_dim, window + self.experts.n_experts + horizon),
        )
        # Fixed standard-normal quasi-samples for the spread: [S, latent].
        sobol = torch.quasirandom.SobolEngine(latent_dim, scramble=True, seed=0)
        u = sobol.draw(n_samples).clamp(1e-4, 1 - 1e-4)
        self.register_buffer("latent_eps", torch.erfinv(2 * u - 1) * 2**0.5)
        # Widening of the sampled p10/p90 so they cover ~80 % of held-out truth: [H].
        self.register_buffer("interval_scale", torch.ones(horizon))

    # --- the VAE proper -----------------------------------------------------------
    def encode(self, xn: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised window ``[B, L]`` → latent mean and log-variance ``[B, Z]`` each."""
        h = self.encoder(xn)
        return self.fc_mu(h), self.fc_logvar(h).clamp(-10.0, 5.0)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Sample ``z = mu + sigma * eps`` ``[B, Z]`` (differentiable)."""
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode(self, z: torch.Tensor, xn: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent ``[B, Z]`` (or samples ``[B, S, Z]``) and the normalised window ``[B, L]``
        → (recon ``[B, (S,) L]``, normalised forecast ``[B, (S,) H]``)."""
        out = self.decoder(z)
        k = self.experts.n_experts
        logits = out[..., self.window : self.window + k]
        forecast = self.experts(xn, logits) + out[..., self.window + k :]
        return out[..., : self.window], forecast

    def loss_function(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Raw window ``[B, L]`` and raw future ``[B, H]`` → named loss terms (scalars)."""
        xn, stats = self.revin.normalise(x)
        yn = self._normalise_target(y, stats)
        mu, logvar = self.encode(xn)
        z = self.reparameterize(mu, logvar)
        recon, forecast = self.decode(z, xn)
        recon_loss = F.smooth_l1_loss(recon, xn, beta=0.1)
        weights = noise_weights(xn)
        forecast_loss = (
            F.smooth_l1_loss(forecast * weights, yn * weights, beta=0.1, reduction="none").mean()
            / weights.mean()
        )
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1))
        loss = forecast_loss + 0.5 * recon_loss + self.beta * kl / self.latent_dim
        return {"loss": loss, "forecast": forecast_loss, "recon": recon_loss, "kl": kl}

    # --- inference ----------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw window ``[B, L]`` → raw point forecast ``[B, H]`` (float32)."""
        return self.predict(x, with_spread=False)["forecast"]

    def predict(self, x: torch.Tensor, with_spread: bool = True) -> dict[str, torch.Tensor]:
        """Raw window ``[B, L]`` → ``forecast``, ``lower``, ``upper`` ``[B, H]`` and
        ``anomaly_score`` ``[B, 1]``, all float32 in raw units (score: normalised)."""
        xn, stats = self.revin.normalise(x)
        mu, logvar = self.encode(xn)
        recon, point = self.decode(mu, xn)
        score = (recon - xn).pow(2).mean(dim=1, keepdim=True)
        out = {
            "forecast": self.revin.denormalise(point, stats).float(),
            "anomaly_score": score.float(),
        }
        if with_spread:
            std = torch.exp(0.5 * logvar)
            z = mu[:, None, :] + std[:, None, :] * self.latent_eps[None, :, :]  # [B, S, Z]
            _, samples = self.decode(z, xn)  # [B, S, H]
            ordered = samples.sort(dim=1).values  # [B, S, H]
            q_lo = _quantile_sorted(ordered, self.quantiles[0])
            q_hi = _quantile_sorted(ordered, self.quantiles[1])
            centre = _quantile_sorted(ordered, 0.5)
            lower = point + self.interval_scale * (q_lo - centre).clamp(max=0.0)
            upper = point + self.interval_scale * (q_hi - centre).clamp(min=0.0)
            out["lower"] = self.revin.denormalise(lower, stats).float()
            out["upper"] = self.revin.denormalise(upper, stats).float()
        return out

    def _normalise_target(
        self, y: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        mean, std = stats
        yn = (y.to(torch.float64) - mean) / std
        return yn.clamp(-TARGET_CLIP, TARGET_CLIP).to(torch.float32)


def _quantile_sorted(ordered: torch.Tensor, q: float) -> torch.Tensor:
    """Linear-interpolated quantile along dim 1 of already sorted ``[B, S, H]`` → ``[B, H]``
    (the same as ``torch.quantile(..., interpolation="linear")``, without re-sorting)."""
    pos = q * (ordered.shape[1] - 1)
    lo = int(pos)
    hi = min(lo + 1, ordered.shape[1] - 1)
    frac = pos - lo
    return ordered[:, lo] + frac * (ordered[:, hi] - ordered[:, lo])
