"""Both forecasters served by the real Triton server (`satmon up`, ports from settings).

Against a scratch server: SATMON_TRITON_HTTP_PORT=18500 SATMON_TRITON_GRPC_PORT=18501.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from satmon.clients.triton import TritonError, TritonForecaster
from satmon.settings import Settings

pytestmark = pytest.mark.integration

DECLARED = {
    "vae_timeseries": {"forecast": 10, "lower": 10, "upper": 10, "anomaly_score": 1},
    "transformer_timeseries": {"forecast": 10},
}


@pytest.fixture(scope="module", params=["http", "grpc"])
def forecaster(request: pytest.FixtureRequest, settings: Settings) -> Any:
    url = (
        f"127.0.0.1:{settings.triton_http_port}"
        if request.param == "http"
        else f"grpc://127.0.0.1:{settings.triton_grpc_port}"
    )
    client = TritonForecaster(url)
    if not client.is_ready():
        pytest.fail(f"Triton is not ready at {url}; start it with `satmon up`")
    yield client
    client.close()


@pytest.fixture(scope="module")
def http_client(settings: Settings) -> Any:
    import tritonclient.http as httpclient

    return httpclient.InferenceServerClient(f"127.0.0.1:{settings.triton_http_port}")


@pytest.mark.parametrize("model", sorted(DECLARED))
def test_model_ready_with_declared_metadata_and_config(http_client: Any, model: str) -> None:
    assert http_client.is_model_ready(model)
    meta = http_client.get_model_metadata(model)
    assert [(i["name"], i["datatype"], i["shape"]) for i in meta["inputs"]] == [
        ("window", "FP32", [-1, 20])
    ]
    outputs = {o["name"]: (o["datatype"], o["shape"]) for o in meta["outputs"]}
    assert outputs == {name: ("FP32", [-1, width]) for name, width in DECLARED[model].items()}
    config = http_client.get_model_config(model)
    assert config["max_batch_size"] >= 64
    assert "dynamic_batching" in config
    assert config["instance_group"][0]["kind"] in ("KIND_CPU", "KIND_GPU")


@pytest.mark.parametrize("model", sorted(DECLARED))
def test_shapes_and_dtypes_as_declared(forecaster: TritonForecaster, model: str) -> None:
    x = np.random.default_rng(0).normal(size=(5, 20)).cumsum(axis=1)
    out = forecaster.forecast(model, x)
    assert set(out) == set(DECLARED[model])
    for name, width in DECLARED[model].items():
        assert out[name].shape == (5, width) and out[name].dtype == np.float32


@pytest.mark.parametrize("model", sorted(DECLARED))
@pytest.mark.parametrize("level", [0.0, -1.0, 7.66, 421.7, 1e4])
def test_constant_windows_give_finite_outputs(
    forecaster: TritonForecaster, model: str, level: float
) -> None:
    out = forecaster.forecast(model, np.full((1, 20), level))
    assert all(np.isfinite(v).all() for v in out.values())
    np.testing.assert_array_equal(out["forecast"], np.float32(level))  # exactly the level


@pytest.mark.parametrize("model", sorted(DECLARED))
def test_window_with_a_250x_spike_gives_finite_outputs(
    forecaster: TritonForecaster, model: str
) -> None:
    x = np.ones((3, 20)) + np.random.default_rng(1).normal(0, 0.01, (3, 20))
    x[0, 19] *= 250.0
    x[1, 10] *= 250.0
    x[2, 0] *= 250.0
    out = forecaster.forecast(model, x)
    assert all(np.isfinite(v).all() for v in out.values())


@pytest.mark.parametrize("model", sorted(DECLARED))
def test_batch_of_64_equals_64_single_requests(forecaster: TritonForecaster, model: str) -> None:
    rng = np.random.default_rng(2)
    x = 400.0 + rng.normal(0, 1, (64, 20)).cumsum(axis=1)
    together = forecaster.forecast(model, x)
    singles = [forecaster.forecast(model, x[i : i + 1]) for i in range(64)]
    for name, value in together.items():
        stacked = np.concatenate([s[name] for s in singles])
        np.testing.assert_allclose(value, stacked, rtol=1e-5, atol=1e-4, err_msg=name)


def test_the_anomaly_score_is_in_the_series_units(forecaster: TritonForecaster) -> None:
    """Scaling a window by 10 (and shifting it) scales its score by 10: a per-series
    threshold in that series' units applies."""
    x = 3.7 + np.random.default_rng(3).normal(0, 0.01, (4, 20)).cumsum(axis=1)
    base = forecaster.forecast("vae", x)["anomaly_score"]
    scaled = forecaster.forecast("vae", 10.0 * x + 5.0)["anomaly_score"]
    assert (base > 0).all()
    np.testing.assert_allclose(scaled, 10.0 * base, rtol=1e-3)


def test_bad_window_is_an_error_for_that_request_only(settings: Settings) -> None:
    import tritonclient.http as httpclient

    client = httpclient.InferenceServerClient(f"127.0.0.1:{settings.triton_http_port}")
    x = np.full((1, 20), np.nan, dtype=np.float32)
    inp = httpclient.InferInput("window", [1, 20], "FP32")
    inp.set_data_from_numpy(x)
    with pytest.raises(Exception, match="NaN"):
        client.infer("vae_timeseries", [inp])
    ok = TritonForecaster(f"127.0.0.1:{settings.triton_http_port}").forecast(
        "vae", np.ones((1, 20))
    )
    assert np.isfinite(ok["forecast"]).all()


def test_unknown_model_raises_triton_error(forecaster: TritonForecaster) -> None:
    with pytest.raises(TritonError):
        forecaster.forecast("lstm_timeseries", np.ones((1, 20)))


def test_one_http_forecaster_serves_many_threads_at_once(settings: Settings) -> None:
    """A function host calls one TritonForecaster from its request threads; every
    concurrent call gets its own answer. (tritonclient's HTTP client shared by threads
    raises gevent's "Cannot switch to a different thread" or blocks forever; the threads
    here are daemons with one deadline, so such a hang fails the test.)"""
    forecaster = TritonForecaster(f"127.0.0.1:{settings.triton_http_port}")
    windows = [np.linspace(i, i + 1.0, 20)[None, :] for i in range(8)]
    expected = [forecaster.forecast("transformer", w)["forecast"] for w in windows]
    start = threading.Barrier(len(windows))
    answers: dict[int, list[np.ndarray]] = {}
    errors: list[BaseException] = []

    def calls(i: int) -> None:
        try:
            start.wait()
            answers[i] = [
                forecaster.forecast("transformer", windows[i])["forecast"] for _ in range(25)
            ]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=calls, args=(i,), daemon=True) for i in range(len(windows))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not errors, errors[:3]
    assert sorted(answers) == list(range(len(windows))), "a thread never finished its calls"
    for i, got in answers.items():
        assert all(np.allclose(g, expected[i], atol=1e-5) for g in got), i
    forecaster.close()
