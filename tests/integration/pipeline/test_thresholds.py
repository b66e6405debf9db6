"""Per-series anomaly thresholds against the real VictoriaMetrics and Triton: learned from
a series' stored history with the served VAE, stored as ``satmon_anomaly_threshold``, read back
by the next batch instead of being learned again."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from satmon.clients.triton import TritonForecaster
from satmon.contract.events import Telemetry
from satmon.pipeline.thresholds import stored_thresholds, thresholds_for
from satmon.settings import Settings

pytestmark = pytest.mark.integration

HISTORY_S = 600


class CountingModel:
    """The real Triton client, counting the windows it is asked to score."""

    def __init__(self, client: TritonForecaster) -> None:
        self.client = client
        self.windows = 0

    def forecast(self, model: str, windows: np.ndarray, period: float | None = None) -> Any:
        self.windows += len(windows)
        return self.client.forecast(model, windows, period=period)


def write_battery_history(vm: Any, sat: str, end: datetime) -> None:
    rng = np.random.default_rng(7)
    battery = 3.8 + 0.002 * rng.standard_normal(HISTORY_S)
    vm.write_telemetry(
        [
            Telemetry(
                satellite_id=sat,
                timestamp=end - timedelta(seconds=HISTORY_S - i),
                temperature=10.0,
                altitude=420.0,
                velocity=7.7,
                battery=float(battery[i]),
                solar_power=50.0,
                latitude=10.0,
                longitude=20.0,
            )
            for i in range(HISTORY_S)
        ]
    )
    vm.flush_search_cache()


def series_with_history(vm: Any, settings: Settings) -> tuple[str, datetime, CountingModel]:
    """A new satellite with its battery history up to now, and the stack's Triton counted."""
    client = TritonForecaster(f"127.0.0.1:{settings.triton_http_port}")
    if not client.is_ready():
        pytest.fail("Triton is not ready; start it with `satmon up`")
    sat = f"TEST-{uuid.uuid4().hex[:6]}"
    end = datetime.now(UTC).replace(microsecond=0)
    write_battery_history(vm, sat, end)
    return sat, end, CountingModel(client)


def test_a_threshold_is_learned_stored_and_read_back(vm: Any, settings: Settings) -> None:
    sat, end, model = series_with_history(vm, settings)
    now_s = end.timestamp()
    try:
        first = thresholds_for([(sat, "battery")], vm, lambda: model, {}, now_s=now_s)
        assert set(first) == {(sat, "battery")} and first[(sat, "battery")] > 0
        scored = model.windows
        assert scored >= 100

        vm.flush_search_cache()
        deadline = time.monotonic() + 10
        stored: dict = {}
        while time.monotonic() < deadline and (sat, "battery") not in stored:
            stored = stored_thresholds(vm, now_s - 60, now_s + 60)
            time.sleep(0.2)
        assert stored[(sat, "battery")] == pytest.approx(first[(sat, "battery")])

        again = thresholds_for([(sat, "battery")], vm, lambda: model, {}, now_s=now_s + 1)
        assert again == pytest.approx(first)
        assert model.windows == scored  # read back, not learned again
    finally:
        model.client.close()
