"""Windows from series, simulated telemetry and user files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from satmon.forecast.datasets import (
    SimSpec,
    file_windows,
    simulated_windows,
    unwrap_angle,
    windows_from_series,
    wrap_angle,
)


def test_windows_from_series_slides_by_stride() -> None:
    x, y = windows_from_series(np.arange(35.0), stride=2)
    assert x.shape == (3, 20) and y.shape == (3, 10)
    assert x[1, 0] == 2.0 and y[1, 0] == 22.0 and y[2, -1] == 33.0


def test_short_series_gives_no_windows() -> None:
    x, y = windows_from_series(np.arange(29.0))
    assert x.shape == (0, 20) and y.shape == (0, 10)


def test_angle_unwrap_and_wrap_round_trip() -> None:
    lon = np.array([178.0, 179.5, -179.0, -177.5])
    un = unwrap_angle(lon)
    assert np.allclose(np.diff(un), 1.5)
    assert np.allclose(wrap_angle(un), lon)


def test_file_windows_reads_npy_and_csv(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.stack([np.arange(40.0), np.zeros(40)], axis=1))
    (tmp_path / "b.csv").write_text(
        "t,temp,name\n" + "".join(f"{i},{i * 0.5},x\n" for i in range(35))
    )
    ws = file_windows(tmp_path)
    assert sorted(set(ws.group.tolist())) == ["a", "b:t", "b:temp"]
    assert len(ws.subset(ws.group == "a")) == 11
    assert ws.subset(ws.group == "b:temp").y[0, 0] == 10.0


def test_file_windows_refuses_other_formats(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("1\n2\n")
    with pytest.raises(ValueError, match="unsupported"):
        file_windows(tmp_path / "x.txt")


def test_simulated_windows_cover_every_metric_and_are_reproducible() -> None:
    spec = SimSpec(satellites=(300,), seed=5, n_steps=200, stride=10)
    a, b = simulated_windows(spec), simulated_windows(spec)
    assert set(a.group.tolist()) == {
        "temperature",
        "altitude",
        "velocity",
        "battery",
        "solar_power",
        "latitude",
        "longitude",
    }
    assert np.array_equal(a.x, b.x)
    lon = a.subset(a.group == "longitude")
    assert np.abs(np.diff(lon.x, axis=1)).max() < 5.0  # unwrapped: no ±360 jumps
