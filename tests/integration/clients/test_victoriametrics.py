"""Write samples to the real VictoriaMetrics and read them back exactly."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from satmon.clients.vm import VictoriaMetrics, metric_selector
from satmon.contract.events import Telemetry

pytestmark = pytest.mark.integration


def _samples(sat: str, start: datetime, n: int) -> list[Telemetry]:
    return [
        Telemetry(
            satellite_id=sat,
            timestamp=start + timedelta(seconds=i),
            temperature=10.0 + i * 0.125,
            altitude=420.0 + i,
            velocity=7.66,
            battery=3.5 + i / 100,
            solar_power=float(i),
            latitude=1.5 * i,
            longitude=-179.5 + i,
        )
        for i in range(n)
    ]


def test_samples_read_back_exactly(vm: VictoriaMetrics) -> None:
    sat = f"TEST-{uuid.uuid4().hex[:8]}"
    start = datetime.now(UTC).replace(microsecond=123000) - timedelta(minutes=5)
    samples = _samples(sat, start, 10)
    assert vm.write_telemetry(samples) == 70
    vm.flush_search_cache()

    series = vm.export(
        metric_selector("temperature", sat), start=start.timestamp() - 1, end=time.time()
    )
    assert len(series) == 1
    assert series[0].labels == {"__name__": "satellite_temperature", "satellite_id": sat}
    assert series[0].values == [s.temperature for s in samples]
    assert series[0].timestamps == [s.timestamp_ms for s in samples]

    longitude = vm.export(metric_selector("longitude", sat), start=start.timestamp() - 1)
    assert longitude[0].values == [s.longitude for s in samples]


def test_fresh_samples_are_queryable_within_two_seconds(vm: VictoriaMetrics) -> None:
    """-search.latencyOffset=0s: a sample stamped now is visible to queries within about a
    second (VictoriaMetrics' own in-memory buffering), not after the 30 s default."""
    sat = f"TEST-{uuid.uuid4().hex[:8]}"
    first = _samples(sat, datetime.now(UTC) - timedelta(seconds=30), 1)[0]
    vm.write_telemetry([first])
    _wait_for_value(vm, sat, first.battery, limit_s=15.0)  # a new series takes longer
    fresh = first.model_copy(update={"timestamp": datetime.now(UTC), "battery": 4.125})
    vm.write_telemetry([fresh])
    assert _wait_for_value(vm, sat, 4.125, limit_s=2.0) < 2.0


def _wait_for_value(vm: VictoriaMetrics, sat: str, value: float, limit_s: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        result = vm.query(f"last_over_time({metric_selector('battery', sat)}[2m])")
        if result and float(result[0]["value"][1]) == value:
            return time.monotonic() - began
        time.sleep(0.02)
    raise AssertionError(f"{value} not queryable within {limit_s}s")


def test_rewriting_a_sample_keeps_one(vm: VictoriaMetrics) -> None:
    """Deduplication makes redelivery harmless: the same (series, ms) stored twice is one."""
    sat = f"TEST-{uuid.uuid4().hex[:8]}"
    start = datetime.now(UTC) - timedelta(minutes=2)
    samples = _samples(sat, start, 5)
    vm.write_telemetry(samples)
    vm.write_telemetry(samples[2:])
    vm.flush_search_cache()
    series = vm.export(metric_selector("altitude", sat), start=start.timestamp() - 1)
    assert series[0].timestamps == [s.timestamp_ms for s in samples]


def _spaced(sat: str, end: datetime, n: int, step_s: float) -> list[Telemetry]:
    """``n`` samples ``step_s`` apart, the newest at ``end``."""
    start = end - timedelta(seconds=step_s * (n - 1))
    first = _samples(sat, start, 1)[0]
    return [
        first.model_copy(
            update={"timestamp": start + timedelta(seconds=step_s * i), "altitude": 400.0 + i / 4}
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("n_samples", "step_s", "want"),
    [
        (120, 1.0, 20),  # 1 Hz: the newest minute holds them
        (40, 90.0, 20),  # one sample each 90 s: the range widens to the whole hour
        (5, 300.0, 5),  # fewer than asked within the hour: all of them
    ],
)
def test_last_points_are_the_newest_within_the_lookback(
    vm: VictoriaMetrics, n_samples: int, step_s: float, want: int
) -> None:
    sat = f"TEST-{uuid.uuid4().hex[:8]}"
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    samples = _spaced(sat, end, n_samples, step_s)
    vm.write_telemetry(samples)
    # and one older than the lookback, which must not count
    vm.write_telemetry(_spaced(sat, end - timedelta(hours=2), 1, 1.0))
    vm.flush_search_cache()

    window = vm.last_points(sat, "altitude", 20, lookback_s=3600.0)

    assert window is not None
    assert window.timestamps == [s.timestamp_ms for s in samples][-want:]
    assert window.values == [s.altitude for s in samples][-want:]


def test_last_points_of_an_unknown_series_is_none(vm: VictoriaMetrics) -> None:
    assert vm.last_points(f"TEST-{uuid.uuid4().hex[:8]}", "altitude", 20) is None
