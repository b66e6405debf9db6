"""The two forecasters in-process: shapes, RevIN edge cases, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from satmon.contract.forecast import HORIZON, WINDOW
from satmon.forecast.modelio import build_model, load_weights, save_model
from satmon.forecast.revin import RevIN

MODELS = ["vae_timeseries", "transformer_timeseries"]


@pytest.fixture(params=MODELS)
def model(request: pytest.FixtureRequest) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(request.param).eval()


def test_revin_constant_window_is_finite_and_round_trips() -> None:
    revin = RevIN()
    x = torch.full((3, WINDOW), 421.7)
    z, stats = revin.normalise(x)
    assert torch.isfinite(z).all() and torch.equal(z, torch.zeros_like(z))
    back = revin.denormalise(torch.zeros(3, HORIZON), stats)
    assert torch.allclose(back, torch.full((3, HORIZON), 421.7, dtype=torch.float64), atol=1e-4)


def test_revin_zero_window_and_spike_are_finite() -> None:
    revin = RevIN()
    spike = torch.ones(1, WINDOW)
    spike[0, 12] = 250.0
    for x in (torch.zeros(2, WINDOW), spike, torch.full((1, WINDOW), -1e6)):
        z, stats = revin.normalise(x)
        assert torch.isfinite(z).all()
        assert torch.isfinite(revin.denormalise(z[:, :HORIZON], stats)).all()


def test_outputs_have_declared_shapes(model: torch.nn.Module) -> None:
    x = torch.randn(7, WINDOW) * 3 + 400
    with torch.no_grad():
        out = model.predict(x)
    assert out["forecast"].shape == (7, HORIZON) and out["forecast"].dtype == torch.float32
    if "lower" in out:
        assert out["lower"].shape == out["upper"].shape == (7, HORIZON)
        assert out["anomaly_score"].shape == (7, 1)
        assert (out["lower"] <= out["forecast"] + 1e-4).all()
        assert (out["upper"] >= out["forecast"] - 1e-4).all()


@pytest.mark.parametrize("scale", [1e-3, 1.0, 421.7, 1e5])
def test_constant_windows_give_finite_near_constant_forecasts(
    model: torch.nn.Module, scale: float
) -> None:
    x = torch.full((2, WINDOW), scale)
    with torch.no_grad():
        out = model.predict(x)
    for value in out.values():
        assert torch.isfinite(value).all()
    assert torch.allclose(out["forecast"], x[:, :HORIZON], rtol=1e-3, atol=1e-6)


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
    losses = vae.loss_function(x, y)
    assert set(losses) >= {"loss", "forecast", "recon", "kl"}
    mu, logvar = vae.encode(torch.randn(8, WINDOW))
    assert mu.shape == logvar.shape == (8, 32)
    assert vae.reparameterize(mu, logvar).shape == (8, 32)


def test_unknown_model_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        build_model("lstm")
