"""Pure telemetry generation: per-satellite arrays and an interleaved ``Telemetry`` stream.

Sample k of every satellite is taken at ``start + k / rate_hz``. Orbits are fixed per
satellite index (``orbit.elements_for``) and given at a fixed epoch, so where SAT-001 is
at a given instant never depends on the run; the seed drives the sensor noise and the
anomalies. Same seed and same start → identical values, whatever the block size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from satmon.contract.events import METRICS, Telemetry
from satmon.simulator import orbit, power_thermal
from satmon.simulator.anomalies import Anomaly, AnomalyInjector, AnomalySpec

# Gaussian sensor noise (1 σ, metric units). Position comes from GNSS and is exact here.
NOISE = {
    "temperature": 0.15,
    "altitude": 0.05,
    "velocity": 0.0004,
    "battery": 0.004,
    "solar_power": 0.4,
}
DECIMALS = {
    "temperature": 2,
    "altitude": 3,
    "velocity": 4,
    "battery": 3,
    "solar_power": 2,
    "latitude": 4,
    "longitude": 4,
}
LIMITS = {
    **{m: (lo, hi) for m, (_, lo, hi) in METRICS.items()},
    "latitude": (-orbit.INCLINATION_DEG, orbit.INCLINATION_DEG),
}
SPIN_UP_ORBITS = 3  # battery and temperature settle into their orbital cycle before start
BLOCK_STEPS = 600


def satellite_id(index: int) -> str:
    """``SAT-001`` for index 0."""
    return f"SAT-{index + 1:03d}"


@dataclass
class Track:
    """One satellite's samples: metric series plus the truth behind them."""

    metrics: dict[str, np.ndarray]  # metric name → values (clipped to the contract ranges)
    time_s: np.ndarray  # POSIX seconds of each sample
    eclipse: np.ndarray  # bool, the satellite is in the Earth's umbra
    anomalies: list[Anomaly] = field(default_factory=list)


class SatelliteSimulator:
    """Generates one satellite's samples block by block, carrying state between blocks."""

    def __init__(
        self,
        index: int,
        start: datetime,
        step_s: float,
        seed: int,
        anomalies: AnomalySpec | None = None,
        on_label: Callable[[Anomaly], None] | None = None,
    ) -> None:
        if step_s <= 0:
            raise ValueError("step must be > 0 s")
        self.index, self.step_s = index, step_s
        self.satellite_id = satellite_id(index)
        self.elements = orbit.elements_for(index)
        self.t0 = _utc(start).timestamp()
        self.k = 0
        self.noise_rng = np.random.default_rng([seed, index, 1])
        self.injector = None
        if anomalies is not None:
            rng = np.random.default_rng([seed, index, 2])
            self.injector = AnomalyInjector(
                self.satellite_id, rng, anomalies, self.t0, step_s, on_label
            )
        self.state = self._spin_up()

    def next_block(self, n: int) -> Track:
        """The next ``n`` samples."""
        t = self.t0 + (self.k + np.arange(n)) * self.step_s
        self.k += n
        orb = orbit.propagate(self.elements, t)
        power, battery, temperature, self.state = power_thermal.evolve(
            self.state, orb.illumination, orb.sun_elevation, self.step_s
        )
        values = {
            "temperature": temperature,
            "altitude": orb.r_km - orbit.R_EARTH,
            "velocity": orb.speed_kms,
            "battery": battery,
            "solar_power": power,
        }
        noise = self.noise_rng.standard_normal((n, len(NOISE)))  # [n, 5], block-size invariant
        for j, (name, sigma) in enumerate(NOISE.items()):
            values[name] = values[name] + sigma * noise[:, j]
        values["solar_power"] = np.where(power > 0.0, values["solar_power"], 0.0)
        started = self.injector.apply(t, values) if self.injector and n else []
        values["latitude"], values["longitude"] = orb.latitude_deg, orb.longitude_deg
        for name, (low, high) in LIMITS.items():
            values[name] = np.clip(values[name], low, high)
        return Track(values, t, orb.illumination == 0.0, started)

    def _spin_up(self) -> power_thermal.PowerThermalState:
        """Run the noise-free power/thermal model over the orbits before ``start``."""
        step = 30.0
        n = int(SPIN_UP_ORBITS * self.elements.period_s / step)
        t = self.t0 - (n - np.arange(n)) * step
        orb = orbit.propagate(self.elements, t)
        *_, state = power_thermal.evolve(
            power_thermal.PowerThermalState(), orb.illumination, orb.sun_elevation, step
        )
        return state


def simulate_track(
    satellite_index: int,
    n_steps: int,
    step_s: float,
    start: datetime,
    seed: int,
    anomalies: AnomalySpec | None = None,
) -> Track:
    """``n_steps`` samples of one satellite, ``step_s`` seconds apart, with the truth."""
    sim = SatelliteSimulator(satellite_index, start, step_s, seed, anomalies)
    return sim.next_block(n_steps)


def simulate_arrays(
    satellite_index: int, n_steps: int, step_s: float, start: datetime, seed: int
) -> dict[str, np.ndarray]:
    """Each metric's series (float64, length ``n_steps``) for one satellite, vectorised."""
    return simulate_track(satellite_index, n_steps, step_s, start, seed).metrics


def generate(
    satellites: int = 3,
    rate_hz: float = 1.0,
    start: datetime | None = None,
    duration_s: float | None = None,
    count: int | None = None,
    seed: int = 0,
    anomalies: AnomalySpec | None = None,
    on_label: Callable[[Anomaly], None] | None = None,
) -> Iterator[Telemetry]:
    """Time-ordered telemetry, interleaved across satellites (SAT-001, SAT-002, … per tick).

    ``start`` defaults to now (whole second, UTC; a naive datetime counts as UTC). Stops
    after ``duration_s`` seconds of ticks (``ceil(duration_s·rate_hz)`` ticks) and/or
    ``count`` samples, whichever comes first; endless when both are None. ``on_label`` is
    called with each injected anomaly when the block holding its first sample is made.
    """
    if satellites < 1 or rate_hz <= 0:
        raise ValueError("need at least one satellite and a rate > 0 Hz")
    start = _utc(start or datetime.now(UTC).replace(microsecond=0))
    ticks = math.inf if duration_s is None else math.ceil(duration_s * rate_hz - 1e-9)
    if count is not None:
        ticks = min(ticks, math.ceil(count / satellites))
    remaining = math.inf if count is None else count
    sims = [
        SatelliteSimulator(i, start, 1.0 / rate_hz, seed, anomalies, on_label)
        for i in range(satellites)
    ]
    k = 0
    while k < ticks and remaining > 0:
        n = int(min(BLOCK_STEPS, ticks - k))
        tracks = [sim.next_block(n) for sim in sims]
        columns = [_rounded(track.metrics) for track in tracks]
        for j in range(n):
            stamp = start + timedelta(microseconds=round((k + j) * 1e6 / rate_hz))
            for sim, cols in zip(sims, columns, strict=True):
                if remaining <= 0:
                    return
                remaining -= 1
                yield Telemetry(
                    satellite_id=sim.satellite_id,
                    timestamp=stamp,
                    **{name: col[j] for name, col in cols.items()},
                )
        k += n


def _rounded(metrics: dict[str, np.ndarray]) -> dict[str, list[float]]:
    out = {name: np.round(metrics[name], DECIMALS[name]) for name in DECIMALS}
    lon = out["longitude"]  # already in [-180, 180); rounding may reach 180.0
    out["longitude"] = np.where(lon >= 180.0, lon - 360.0, lon)
    return {name: values.tolist() for name, values in out.items()}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
