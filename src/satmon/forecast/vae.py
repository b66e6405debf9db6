"""``vae_timeseries``: a VAE over the window that also decodes the next points.

The encoder maps a normalised window ``[B, 20]`` (``experts.scale_window``) to a latent
Gaussian (dim 32); the decoder maps a latent sample to the reconstruction of the window
and to the forecast of the next 10 points (the expert gate plus a correction,
``experts.py``). At inference the point forecast decodes the latent mean. The spread
decodes a fixed set of quasi-random latent samples (deterministic, and the same whatever
the batch) and takes their p10 / p90, each moved out by a margin per step (in window
spreads) calibrated so that the interval covers 80 % of validation truth: the samples
alone spread far too little. The anomaly score is the reconstruction error in the series'
own units (the RMS error of the normalised reconstruction times the window's spread), so
a per-series threshold learned from that series' nominal history applies to it.
"""

from __future__ import annotations

import torch
from torch import nn

from satmon.contract.forecast import HORIZON, WINDOW
from satmon.forecast.experts import (
    N_FEATURES,
    GatedExperts,
    gate_bias,
    normalised_target,
    scale_window,
    unscale,
    weighted_l1,
    window_features,
)
from satmon.forecast.experts import forecast_loss as forecast_loss_fn


class TimeSeriesVAE(nn.Module):
    """VAE forecaster. ``predict`` takes raw ``[B, window]`` and returns raw outputs."""

    latent_eps: torch.Tensor
    band: torch.Tensor

    def __init__(
        self,
        window: int = WINDOW,
        horizon: int = HORIZON,
        latent_dim: int = 32,
        hidden_dim: int = 128,
        n_samples: int = 32,
        quantiles: tuple[float, float] = (0.1, 0.9),
        beta: float = 0.05,
        recon_weight: float = 0.5,
        penalty: float = 1.0,
    ) -> None:
        super().__init__()
        self.window = window
        self.horizon = horizon
        self.latent_dim = latent_dim
        self.quantiles = quantiles
        self.beta = beta
        self.recon_weight = recon_weight
        self.penalty = penalty
        self.encoder = nn.Sequential(
            nn.Linear(window + N_FEATURES, hidden_dim),
            nn.GELU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.GELU(),
        )
        self.fc_mu = nn.Linear(hidden_dim, latent_dim)
        self.fc_logvar = nn.Linear(hidden_dim, latent_dim)
        self.experts = GatedExperts(window, horizon)
        k = self.experts.n_experts
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim),
            nn.GELU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.GELU(),
        )
        self.recon_head = nn.Linear(hidden_dim, window)
        self.gate_head = nn.Linear(hidden_dim + N_FEATURES, k)
        self.correction_head = nn.Linear(hidden_dim + N_FEATURES, horizon)
        for head in (self.gate_head, self.correction_head):
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
        with torch.no_grad():
            self.gate_head.bias.copy_(gate_bias(k))
        # Fixed standard-normal quasi-samples for the spread: [S, Z].
        sobol = torch.quasirandom.SobolEngine(latent_dim, scramble=True, seed=0)
        u = sobol.draw(n_samples).clamp(1e-4, 1 - 1e-4)
        self.register_buffer("latent_eps", torch.erfinv(2 * u - 1) * 2**0.5)
        # Normalised margins added below / above the sampled p10 / p90 so that they
        # cover ~80 % of validation truth (train.calibrate_interval): [2, H].
        self.register_buffer("band", torch.zeros(2, horizon))

    # --- the VAE proper -----------------------------------------------------------
    def encode(self, z: torch.Tensor, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised window ``[B, L]`` and its ``window_features`` ``[B, F]`` → latent mean
        and log-variance ``[B, Z]`` each."""
        h = self.encoder(torch.cat([z, features], dim=1))
        return self.fc_mu(h), self.fc_logvar(h).clamp(-10.0, 5.0)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Sample ``mu + sigma * eps`` ``[B, Z]`` (differentiable)."""
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode(
        self,
        latent: torch.Tensor,
        z: torch.Tensor,
        features: torch.Tensor,
        experts: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent ``[B, Z]`` (or samples ``[B, S, Z]``), the normalised window ``[B, L]`` and
        its features ``[B, F]`` → (reconstruction ``[B, (S,) L]``, normalised forecast
        ``[B, (S,) H]``). The gate and the correction also see the features. ``experts``:
        the window's expert forecasts if already computed (``GatedExperts.experts``)."""
        recon, (forecast, _, _) = self._decode(latent, z, features, experts)
        return recon, forecast

    def _decode(
        self,
        latent: torch.Tensor,
        z: torch.Tensor,
        features: torch.Tensor,
        experts: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """``decode`` with the gate logits and the experts' forecasts (for the loss)."""
        h = self.decoder(latent)
        f = features if h.dim() == 2 else features[:, None, :].expand(-1, h.shape[1], -1)
        hf = torch.cat([h, f], dim=-1)
        mixed = self.experts.mix(z, self.gate_head(hf), self.correction_head(hf), experts)
        return self.recon_head(h), mixed

    def loss_function(
        self, x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, line_better: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Raw window ``[B, L]``, raw future ``[B, H]``, the series weight ``[B, 1]`` (1 /
        the series' typical error) and whether the line is the series' better baseline
        ``[B, 1]`` → named loss terms (scalars)."""
        z, last, scale = scale_window(x)
        w = (scale * weight.to(torch.float64)).to(torch.float32)
        features = window_features(x, z)
        mu, logvar = self.encode(z, features)
        recon, (forecast, logits, experts) = self._decode(
            self.reparameterize(mu, logvar), z, features
        )
        target = normalised_target(y, last, scale)
        forecast_loss = forecast_loss_fn(
            forecast, target, w, line_better, logits, experts, self.penalty
        )
        recon_loss = weighted_l1(recon, z, w)
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1))
        loss = forecast_loss + self.recon_weight * recon_loss + self.beta * kl / self.latent_dim
        return {"loss": loss, "forecast": forecast_loss, "recon": recon_loss, "kl": kl}

    # --- inference ----------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw window ``[B, L]`` → raw point forecast ``[B, H]`` (float64)."""
        return self.predict(x, with_spread=False)["forecast"]

    def predict(self, x: torch.Tensor, with_spread: bool = True) -> dict[str, torch.Tensor]:
        """Raw window ``[B, L]`` → ``forecast``, ``lower``, ``upper`` ``[B, H]`` and
        ``anomaly_score`` ``[B, 1]``, float64, all in the window's raw units."""
        z, last, scale = scale_window(x)
        features = window_features(x, z)
        mu, logvar = self.encode(z, features)
        experts = self.experts.experts(z)
        recon, point = self.decode(mu, z, features, experts)
        rms = (recon - z).pow(2).mean(dim=1, keepdim=True).sqrt()
        out = {"forecast": unscale(point, last, scale), "anomaly_score": rms.double() * scale}
        if with_spread:
            std = torch.exp(0.5 * logvar)
            latent = mu[:, None, :] + std[:, None, :] * self.latent_eps[None, :, :]  # [B, S, Z]
            _, samples = self.decode(latent, z, features, experts)  # [B, S, H]
            ordered = samples.sort(dim=1).values  # [B, S, H]
            centre = _quantile_sorted(ordered, 0.5)
            q_lo = _quantile_sorted(ordered, self.quantiles[0])
            q_hi = _quantile_sorted(ordered, self.quantiles[1])
            lower = point + (q_lo - centre).clamp(max=0.0) + self.band[0].clamp(max=0.0)
            upper = point + (q_hi - centre).clamp(min=0.0) + self.band[1].clamp(min=0.0)
            out["lower"] = unscale(lower, last, scale)
            out["upper"] = unscale(upper, last, scale)
        return out


def _quantile_sorted(ordered: torch.Tensor, q: float) -> torch.Tensor:
    """Linear-interpolated quantile along dim 1 of already sorted ``[B, S, H]`` → ``[B, H]``
    (the same as ``torch.quantile(..., interpolation="linear")``, without re-sorting)."""
    pos = q * (ordered.shape[1] - 1)
    lo = int(pos)
    hi = min(lo + 1, ordered.shape[1] - 1)
    frac = pos - lo
    return ordered[:, lo] + frac * (ordered[:, hi] - ordered[:, lo])
