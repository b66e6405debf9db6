"""TritonForecaster's client-side helpers (the server path is in integration tests)."""

from __future__ import annotations

import numpy as np
import pytest

from satmon.clients.triton import prepare_windows, wrap_outputs


def test_prepare_windows_accepts_one_window_and_casts() -> None:
    x = prepare_windows(np.arange(20))
    assert x.shape == (1, 20) and x.dtype == np.float32 and x.flags.c_contiguous


@pytest.mark.parametrize(
    ("bad", "message"), [(np.ones((2, 19)), "shape"), (np.full(20, np.inf), "NaN or inf")]
)
def test_prepare_windows_refuses_bad_input(bad: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        prepare_windows(bad)


def test_longitude_is_unwrapped_before_and_wrapped_after() -> None:
    window = np.array([170.0 + i for i in range(10)] + [-180.0 + i for i in range(10)])
    x = prepare_windows(window, period=360.0)
    assert np.allclose(np.diff(x[0]), 1.0)
    out = wrap_outputs(
        {
            "forecast": np.array([[189.0, 190.5]], dtype=np.float32),
            "anomaly_score": np.ones((1, 1), np.float32),
        },
        360.0,
    )
    assert np.allclose(out["forecast"], [[-171.0, -169.5]])
    assert out["anomaly_score"][0, 0] == 1.0
