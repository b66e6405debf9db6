"""The two forecasters in-process: shapes, window scaling edge cases, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from satmon.contract.forecast import HORIZON, WINDOW
from satmon.forecast.experts import (
    EXPERT_NAMES,
    N_FEATURES,
    GatedExperts,
    scale_window,
    sparsemax,
    unscale,
)
from satmon.forecast.modelio import build_model, load_weights, save_model

MODELS = ["vae_timeseries", "transformer_timeseries"]


@pytest.fixture(params=MODELS)
def model(request: pytest.FixtureRequest) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(request.param).eval()


def test_window_scaling_is_exact_for_constant_windows_and_round_trips() -> None:
    x = torch.tensor([[421.7] * WINDOW, [0.0] * WINDOW], dtype=torch.float64)
    z, last, scale = scale_window(x)
    assert torch.equal(z, torch.zeros_like(z)) and torch.equal(scale, torch.zeros_like(scale))
    back = unscale(torch.full((2, HORIZON), 123.0), last, scale)
    assert torch.equal(back, x[:, :HORIZON])  # bit-exact: the spread is zero


def test_window_scaling_keeps_spikes_and_large_levels_finite() -> None:
    spike = torch.ones(1, WINDOW, dtype=torch.float64)
    spike[0, 12] = 250.0
    for x in (spike, torch.full((1, WINDOW), -1e6, dtype=torch.float64) + torch.arange(WINDOW)):
        z, last, scale = scale_window(x)
        assert torch.isfinite(z).all() and z.abs().max() <= 2 * WINDOW**0.5
        assert torch.allclose(unscale(z[:, -HORIZON:], last, scale), x[:, -HORIZON:])


def test_sparsemax_reaches_exact_zeros_and_sums_to_one() -> None:
    weights = sparsemax(torch.tensor([[3.0, 0.0, 0.0], [1.0, 0.5, -1.0], [0.0, 0.0, 0.0]]))
    assert torch.allclose(weights.sum(dim=-1), torch.ones(3))
    assert weights[0].tolist() == [1.0, 0.0, 0.0] and weights[1, 2] == 0.0
    assert torch.allclose(weights[2], torch.full((3,), 1 / 3))


def test_one_expert_alone_gives_its_classical_forecast_exactly() -> None:
    experts = GatedExperts(WINDOW, HORIZON)
    t = torch.arange(WINDOW, dtype=torch.float32)
    z = ((t - t[-1]) / t.std(unbiased=False))[None]  # a scaled ramp
    logits = torch.full((1, len(EXPERT_NAMES)), -10.0)
    for name, expected in (("persistence", torch.zeros(1, HORIZON)), ("line", None)):
        logits[:] = -10.0
        logits[0, EXPERT_NAMES.index(name)] = 10.0
        out = experts(z, logits, torch.full((1, HORIZON), 0.01))  # inside the dead zone
        if expected is None:  # the line continues the ramp
            expected = z[:, -1:] + (z[0, 1] - z[0, 0]) * torch.arange(1, HORIZON + 1)
        assert torch.allclose(out, expected, atol=1e-5), name


def test_outputs_have_declared_shapes(model: torch.nn.Module) -> None:
    x = torch.randn(7, WINDOW) * 3 + 400
    with torch.no_grad():
        out = model.predict(x)
    assert out["forecast"].shape == (7, HORIZON) and out["forecast"].dtype == torch.float64
    if "lower" in out:
        assert out["lower"].shape == out["upper"].shape == (7, HORIZON)
        assert out["anomaly_score"].shape == (7, 1)
        assert (out["lower"] <= out["forecast"] + 1e-4).all()
        assert (out["upper"] >= out["forecast"] - 1e-4).all()


@pytest.mark.parametrize("scale", [1e-3, 1.0, 421.7, 1e5])
def test_constant_windows_give_exactly_their_value(model: torch.nn.Module, scale: float) -> None:
    x = torch.full((2, WINDOW), scale, dtype=torch.float64)
    with torch.no_grad():
        out = model.predict(x)
    for value in out.values():
        assert torch.isfinite(value).all()
    assert torch.equal(out["forecast"], x[:, :HORIZON])


def test_spike_of_250x_gives_finite_outputs(model: torch.nn.Module) -> None:
    x = torch.ones(1, WINDOW)
    x[0, -1] = 250.0
    with torch.no_grad():
        out = model.predict(x)
    assert all(torch.isfinite(v).all() for v in out.values())


def test_batch_equals_single_rows(model: torch.nn.Module) -> None:
    x = torch.randn(16, WINDOW).cumsum(dim=1)
    with torch.no_grad():
        batch = model.predict(x)
        singles = [model.predict(x[i : i + 1]) for i in range(16)]
    for key, value in batch.items():
        stacked = torch.cat([s[key] for s in singles])
        assert torch.allclose(value, stacked, rtol=1e-5, atol=1e-5), key


def test_save_and_load_round_trip(model: torch.nn.Module, tmp_path) -> None:
    name = "vae_timeseries" if hasattr(model, "latent_dim") else "transformer_timeseries"
    from satmon.forecast.modelio import DEFAULT_HPARAMS

    out_dir = save_model(model, name, DEFAULT_HPARAMS[name], {"seed": 0}, tmp_path)
    loaded = load_weights(out_dir / "weights.pt")
    x = torch.as_tensor(np.random.default_rng(0).normal(size=(4, WINDOW)), dtype=torch.float32)
    with torch.no_grad():
        assert torch.equal(loaded.predict(x)["forecast"], model.predict(x)["forecast"])
    assert (out_dir / "metadata.json").exists()


def test_vae_exposes_encode_reparameterize_decode_and_named_losses() -> None:
    vae = build_model("vae_timeseries")
    x, y = torch.randn(8, WINDOW), torch.randn(8, HORIZON)
    losses = vae.loss_function(x, y, torch.ones(8, 1), torch.zeros(8, 1))
    assert set(losses) >= {"loss", "forecast", "recon", "kl"}
    mu, logvar = vae.encode(torch.randn(8, WINDOW), torch.zeros(8, N_FEATURES))
    assert mu.shape == logvar.shape == (8, 32)
    assert vae.reparameterize(mu, logvar).shape == (8, 32)


def test_the_loss_charges_extra_for_being_worse_than_the_series_baseline(
    model: torch.nn.Module,
) -> None:
    """At initialisation a model is near persistence; on a ramp whose series prefers the
    line, the penalty term adds to the loss, and it adds nothing where persistence is the
    series' baseline and the model is persistence-like."""
    x = torch.arange(WINDOW, dtype=torch.float64)[None].repeat(4, 1)
    y = torch.arange(WINDOW, WINDOW + HORIZON, dtype=torch.float64)[None].repeat(4, 1)
    w = torch.ones(4, 1)
    model.penalty = 0.0
    plain = float(model.loss_function(x, y, w, torch.ones(4, 1))["forecast"].detach())
    model.penalty = 1.0
    penalised = float(model.loss_function(x, y, w, torch.ones(4, 1))["forecast"].detach())
    assert penalised > plain


def test_unknown_model_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        build_model("lstm")


def test_the_vae_interval_is_calibrated_to_cover_80_percent() -> None:
    """An untrained VAE's samples spread almost nothing; the calibrated margins make
    [lower, upper] cover about 80 % of the truth of the windows they were fitted on."""
    from satmon.forecast.datasets import WindowSet, windows_from_series
    from satmon.forecast.inference import predict_windows
    from satmon.forecast.train import calibrate_interval

    torch.manual_seed(0)
    vae = build_model("vae_timeseries").eval()
    walk = np.cumsum(np.random.default_rng(4).normal(size=4000))
    x, y = windows_from_series(walk)
    calibrate_interval(vae, WindowSet(x, y, np.full(len(x), "walk")))
    out = predict_windows(vae, x)
    inside = (y >= out["lower"]) & (y <= out["upper"])
    assert 0.78 <= inside.mean() <= 0.82
    assert (vae.band[0] < 0).all() and (vae.band[1] > 0).all()
