"""What both models share: the window scaling, the classical experts and their mix.

A window is shifted by its own last value and divided by its own spread
(``scale_window``): the network sees a scale- and level-free shape, and the forecast
comes back as ``last + scale * output``. A constant window has spread 0, so its
forecast is exactly its value, whatever the network says; the scaling is in float64,
so raw values of any size (421 km, 250× spikes) stay exact.

The normalised forecast is a mix of fixed classical forecasts (``EXPERT_NAMES``: the
last value, least-squares lines over the whole window and its last 10 points, a
quadratic, the window's mean and median, drift, and the last cycle repeated for the
period that best fits the window) with weights chosen per window by the network, plus
a learned correction. The weights are a sparsemax, which reaches exact
zeros, and the correction is soft-thresholded, so the model can give exactly one
classical forecast (a square wave's last value, a ramp's line) instead of a blur of
them. The persistence expert is favoured at the start of training (``gate_bias``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

EXPERT_NAMES = (
    "persistence",
    "line",
    "line_last10",
    "quadratic",
    "mean",
    "median",
    "drift",
    "seasonal",
)
PERIODS = range(2, 17)
"""Candidate periods of the seasonal expert (repeat the last cycle): up to 16 steps, so
that a window holds at least one full cycle and part of the one before to compare."""
TINY = 1e-300
"""Divides a zero spread without a warning; the zero shift then stays exactly zero."""
CORRECTION_DEAD_ZONE = 0.02
"""Corrections smaller than this (in window spreads) are exactly zero."""
TARGET_CLIP = 1e4
"""Normalised targets beyond this are clipped in the loss (a jump after a flat window);
their weight (the window's tiny spread) makes their share negligible anyway."""


def scale_window(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Raw ``[B, L]`` → normalised float32 ``z`` ``[B, L]``, float64 ``last`` and ``scale``
    ``[B, 1]``: ``z = (x - last) / scale`` with ``scale`` the window's standard deviation."""
    x64 = x.to(torch.float64)
    last = x64[:, -1:]
    shifted = x64 - last
    scale = shifted.std(dim=1, unbiased=False, keepdim=True)
    return (shifted / scale.clamp_min(TINY)).to(torch.float32), last, scale


def unscale(out: torch.Tensor, last: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """A normalised forecast ``[B, H]`` (or ``[B, S, H]``) back to raw float64 values."""
    if out.dim() == 3:
        last, scale = last[:, :, None], scale[:, :, None]
    return last + scale * out.to(torch.float64)


def normalised_target(y: torch.Tensor, last: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Raw future ``[B, H]`` in the window's normalised units (float32, clipped)."""
    t = (y.to(torch.float64) - last) / scale.clamp_min(TINY)
    return t.clamp(-TARGET_CLIP, TARGET_CLIP).to(torch.float32)


N_FEATURES = 8


def window_features(x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Scale-free facts about each window that its normalised shape hides from a small
    network ``[B, N_FEATURES]`` (float32): the share of repeated values and of zero steps
    (quantised, stepwise telemetry), the largest step over the mean step (jumps and
    spikes), the lag-1 correlation of the steps (white noise on a trend: -0.5, a random
    walk: 0), how well persistence, the line and the mean predicted the window's own
    last 5 points from the 15 before (the evidence for each baseline), and how closely
    the window repeats itself at its best period (``seasonal``)."""
    x64 = x.to(torch.float64)
    steps = x64.diff(dim=1)  # [B, L-1]
    ordered = x64.sort(dim=1).values
    repeated = (ordered.diff(dim=1) == 0).to(torch.float64).mean(dim=1)
    zero_steps = (steps == 0).to(torch.float64).mean(dim=1)
    mean_step = steps.abs().mean(dim=1)
    jumpiness = steps.abs().amax(dim=1) / mean_step.clamp_min(TINY) / steps.shape[1]
    centred = steps - steps.mean(dim=1, keepdim=True)
    lag1 = (centred[:, 1:] * centred[:, :-1]).sum(dim=1) / (centred * centred).sum(dim=1).clamp_min(
        TINY
    )
    zb = z.to(torch.float64)
    past, future = zb[:, :-5], zb[:, -5:]
    persist = (future - past[:, -1:]).abs().mean(dim=1)
    t = torch.arange(past.shape[1], dtype=torch.float64)
    tc = t - t.mean()
    slope = ((past - past.mean(dim=1, keepdim=True)) * tc).sum(dim=1, keepdim=True) / (
        tc * tc
    ).sum()
    ahead = torch.arange(past.shape[1], past.shape[1] + 5, dtype=torch.float64) - t.mean()
    line = (future - past.mean(dim=1, keepdim=True) - slope * ahead).abs().mean(dim=1)
    level = (future - past.mean(dim=1, keepdim=True)).abs().mean(dim=1)
    _, mismatch = seasonal(zb, 1)
    periodic = mismatch.to(torch.float64) / (steps.abs().mean(dim=1) / z_scale(x64)).clamp_min(TINY)
    features = torch.stack(
        [repeated, zero_steps, jumpiness, lag1, persist, line, level, periodic], dim=1
    )
    return features.to(torch.float32)


def z_scale(x64: torch.Tensor) -> torch.Tensor:
    """The spread ``scale_window`` divides by, ``[B]`` (for features in z units)."""
    return (x64 - x64[:, -1:]).std(dim=1, unbiased=False).clamp_min(TINY)


def seasonal(z: torch.Tensor, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The last cycle repeated ``[B, H]`` for the period in ``PERIODS`` whose shift matches
    the window best, and that best mean |z[t] - z[t-p]| ``[B]``."""
    length = z.shape[1]
    later, earlier, segment, counts, periods = _period_pairs(length, z.device)
    diffs = (z[:, later] - z[:, earlier]).abs()  # [B, sum over p of (L - p)]
    total = torch.zeros(z.shape[0], len(counts), dtype=z.dtype, device=z.device)
    mismatch = total.index_add_(1, segment, diffs) / counts.to(z.dtype)  # [B, P]
    best, which = mismatch.min(dim=1)  # [B]
    steps = torch.arange(horizon, device=z.device)
    p = periods[which][:, None]  # [B, 1]
    index = length - p + steps[None, :] % p  # [B, H]
    return z.gather(1, index), best


_PAIRS: dict[tuple[int, str], tuple[torch.Tensor, ...]] = {}


def _period_pairs(length: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    """For every period ``p`` in ``PERIODS``, the index pairs ``(t, t - p)`` of a window of
    ``length`` laid end to end, which period each pair belongs to, the pairs per period and
    the periods themselves (one gather and one segment sum instead of a slice per period:
    at batch 1 the seasonal expert was the largest single cost of a forecast)."""
    key = (length, str(device))
    if key not in _PAIRS:
        later = torch.cat([torch.arange(p, length) for p in PERIODS])
        earlier = torch.cat([torch.arange(0, length - p) for p in PERIODS])
        segment = torch.cat([torch.full((length - p,), i) for i, p in enumerate(PERIODS)])
        counts = torch.tensor([length - p for p in PERIODS])
        periods = torch.tensor(list(PERIODS))
        _PAIRS[key] = tuple(t.to(device) for t in (later, earlier, segment, counts, periods))
    return _PAIRS[key]


def polynomial_expert(
    window: int, horizon: int, degree: int, last_n: int | None = None
) -> np.ndarray:
    """``[H, L]`` least-squares polynomial fit over the last ``last_n`` points, extrapolated."""
    n = last_n or window
    t = np.arange(window - n, window, dtype=np.float64)
    centre, spread = t.mean(), max(1.0, float(n))
    vander = np.vander((t - centre) / spread, degree + 1)
    future = np.vander((np.arange(window, window + horizon) - centre) / spread, degree + 1)
    w = np.zeros((horizon, window))
    w[:, window - n :] = future @ np.linalg.pinv(vander)
    return w


def linear_experts(window: int, horizon: int) -> np.ndarray:
    """The linear experts as ``[6, H, L]`` maps (all but the median and the seasonal)."""
    persistence = np.zeros((horizon, window))
    persistence[:, -1] = 1.0
    drift = persistence.copy()
    steps = np.arange(1, horizon + 1) / (window - 1)
    drift[:, -1] += steps
    drift[:, 0] -= steps
    return np.stack(
        [
            persistence,
            polynomial_expert(window, horizon, 1),
            polynomial_expert(window, horizon, 1, 10),
            polynomial_expert(window, horizon, 2),
            polynomial_expert(window, horizon, 0),
            drift,
        ]
    )


def baseline_target(experts: torch.Tensor, line_better: torch.Tensor) -> torch.Tensor:
    """The better baseline of each window's series, normalised: the line expert where
    ``line_better [B, 1]`` is set, persistence (zero) elsewhere → ``[B, H]``."""
    line = experts[:, EXPERT_NAMES.index("line")]
    return torch.where(line_better.bool(), line, torch.zeros_like(line))


class GatedExperts(nn.Module):
    """``forward(z [B, L], logits [B, (S,) K], correction [B, (S,) H])`` → ``[B, (S,) H]``."""

    weight: torch.Tensor

    def __init__(self, window: int, horizon: int) -> None:
        super().__init__()
        self.horizon = horizon
        self.register_buffer(
            "weight", torch.as_tensor(linear_experts(window, horizon), dtype=torch.float32)
        )
        self.n_experts = len(EXPERT_NAMES)

    def experts(self, z: torch.Tensor) -> torch.Tensor:
        """Every expert's normalised forecast, in ``EXPERT_NAMES`` order: ``[B, K, H]``."""
        linear = torch.einsum("khl,bl->bkh", self.weight, z)  # [B, 6, H]
        median = z.median(dim=1, keepdim=True).values.expand(-1, self.horizon)  # [B, H]
        cycle, _ = seasonal(z, self.horizon)  # [B, H]
        # order: persistence, line, line_last10, quadratic, mean, median, drift, seasonal
        return torch.cat([linear[:, :5], median[:, None], linear[:, 5:], cycle[:, None]], dim=1)

    def forward(
        self, z: torch.Tensor, logits: torch.Tensor, correction: torch.Tensor
    ) -> torch.Tensor:
        return self.mix(z, logits, correction)[0]

    def mix(
        self,
        z: torch.Tensor,
        logits: torch.Tensor,
        correction: torch.Tensor,
        experts: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(forecast ``[B, (S,) H]``, the gate's logits, experts ``[B, K, H]``); ``experts``
        when already computed for ``z`` (the VAE mixes the same window's twice)."""
        if experts is None:
            experts = self.experts(z)
        gate = sparsemax(logits)
        shrunk = nn.functional.softshrink(correction, CORRECTION_DEAD_ZONE)
        if gate.dim() == 3:
            return torch.einsum("bsk,bkh->bsh", gate, experts) + shrunk, logits, experts
        return torch.einsum("bk,bkh->bh", gate, experts) + shrunk, logits, experts


def sparsemax(logits: torch.Tensor) -> torch.Tensor:
    """Euclidean projection of ``logits [..., K]`` onto the simplex (Martins & Astudillo,
    2016): weights like a softmax's, except that small ones are exactly zero."""
    ordered = logits.sort(dim=-1, descending=True).values
    k = torch.arange(1, logits.shape[-1] + 1, device=logits.device, dtype=logits.dtype)
    cumulative = ordered.cumsum(dim=-1) - 1.0
    support = (k * ordered > cumulative).sum(dim=-1, keepdim=True)
    tau = cumulative.gather(-1, support - 1) / support.to(logits.dtype)
    return (logits - tau).clamp(min=0.0)


def gate_bias(n_experts: int, persistence: float = 0.5) -> torch.Tensor:
    """Initial gate logits: persistence ahead of the others by ``persistence`` (small
    enough that every expert keeps a share, so the sparsemax has a gradient)."""
    bias = torch.zeros(n_experts)
    bias[EXPERT_NAMES.index("persistence")] = persistence
    return bias


def weighted_l1(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean of ``weight [B, 1] * |pred - target|`` over ``[B, N]``: with ``weight`` the
    window's spread over its series' typical error, this is the raw absolute error in
    units of that series, so every series counts alike and quiet windows count little."""
    return (weight * (pred - target).abs()).mean()


def forecast_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor,
    line_better: torch.Tensor,
    logits: torch.Tensor,
    experts: torch.Tensor,
    penalty: float,
) -> torch.Tensor:
    """The training loss of a forecast ``pred`` ``[B, H]`` against ``target`` (both
    normalised), ``weight`` ``[B, 1]`` as in ``weighted_l1``:

    * the absolute error;
    * ``penalty`` × how much worse each step is than the better baseline of the window's
      series (``baseline_target``): being worse than it costs more than beating it earns,
      which is the goal (never worse than it on any series) written into the loss;
    * a cross-entropy that teaches the gate which expert was right for the window,
      weighted by how much the choice mattered there (the mean expert error minus the
      best one). It reaches experts the sparsemax has dropped, however unlikely they
      have become: the quadratic, wrong on most windows (steps), is learnt where it is
      right (a ground track)."""
    err = (pred - target).abs()
    baseline = baseline_target(experts, line_better)
    worse = (err - (baseline - target).abs()).clamp(min=0.0)
    expert_err = (experts - target[:, None, :]).abs().mean(dim=2)  # [B, K]
    best = expert_err.argmin(dim=1)
    regret = (expert_err.mean(dim=1) - expert_err.min(dim=1).values).detach()
    choice = nn.functional.cross_entropy(logits, best, reduction="none")
    return (weight * (err + penalty * worse)).mean() + (weight[:, 0] * regret * choice).mean()
