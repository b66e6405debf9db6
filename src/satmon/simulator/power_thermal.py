"""Power and thermal model: solar array output, battery voltage, panel temperature.

First-order dynamics (exact exponential steps, so any step size is stable and the series
are continuous in time):

* solar power P (W): a sun-tracking wing (62 W) plus a zenith-facing body panel (33 W at
  normal incidence), both scaled by the illumination (0 in eclipse, so P = 0 W there);
* battery V (V): charged towards 4.2 V with conductance ∝ P / P_max over ``TAU_CHARGE_S``
  and always drained towards 3.0 V by the bus load over ``TAU_DISCHARGE_S``;
* temperature T (°C): relaxes towards a radiative equilibrium that is −45 °C in the
  Earth's shadow and up to +50 °C in full sun over ``TAU_THERMAL_S``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WING_W = 62.0
BODY_W = 33.0
P_MAX_W = WING_W + BODY_W
V_FULL, V_EMPTY = 4.2, 3.0
TAU_CHARGE_S = 25 * 60.0
TAU_DISCHARGE_S = 150 * 60.0
T_COLD_C, T_SUN_C, T_ZENITH_C = -45.0, 80.0, 15.0  # eclipse level, sun gain, top-panel gain
TAU_THERMAL_S = 25 * 60.0
_BLOCK_LOG = 40.0  # re-base the recurrence when the decay product passes e^-40
_MAX_DECAY = 30.0  # one step never decays by more than e^-30 (numerically at equilibrium)


@dataclass
class PowerThermalState:
    """True (noise-free) state carried from one block of samples to the next."""

    battery_v: float = 3.9
    temperature_c: float = 10.0


def solar_power(illumination: np.ndarray, sun_elevation: np.ndarray) -> np.ndarray:
    """Array output in W; exactly 0 wherever ``illumination`` is 0 (umbra)."""
    return illumination * (WING_W + BODY_W * np.maximum(sun_elevation, 0.0))


def evolve(
    state: PowerThermalState, illumination: np.ndarray, sun_elevation: np.ndarray, step_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, PowerThermalState]:
    """Series at each sample (power W, battery V, temperature °C) and the state after them.

    Sample k holds the state reached before its inputs act; the inputs of sample k then
    drive the state over ``step_s`` seconds to sample k+1 (zero-order hold).
    """
    power = solar_power(illumination, sun_elevation)
    charge = (power / P_MAX_W) / TAU_CHARGE_S  # 1/s
    drain = 1.0 / TAU_DISCHARGE_S
    v_eq = (charge * V_FULL + drain * V_EMPTY) / (charge + drain)
    battery = relax(state.battery_v, v_eq, charge + drain, step_s)
    t_eq = T_COLD_C + illumination * (T_SUN_C + T_ZENITH_C * np.maximum(sun_elevation, 0.0))
    rate_t = np.full_like(t_eq, 1.0 / TAU_THERMAL_S)
    temperature = relax(state.temperature_c, t_eq, rate_t, step_s)
    after = PowerThermalState(float(battery[-1]), float(temperature[-1]))
    return power, battery[:-1], temperature[:-1], after


def relax(x0: float, target: np.ndarray, rate: np.ndarray, step_s: float) -> np.ndarray:
    """Solve x[k+1] = target[k] + (x[k] − target[k])·exp(−rate[k]·step_s), vectorised.

    Returns ``n + 1`` values: x[0] = x0 … x[n]. The linear recurrence is summed with
    cumulative products in log space, re-based in blocks so nothing overflows.
    """
    n = len(target)
    log_alpha = -np.minimum(np.asarray(rate) * step_s, _MAX_DECAY)
    beta = (1.0 - np.exp(log_alpha)) * target
    cum = np.concatenate([[0.0], np.cumsum(log_alpha)])
    block = np.floor(-cum[:-1] / _BLOCK_LOG).astype(np.int64)
    edges = (np.flatnonzero(np.diff(block)) + 1).tolist()
    x = np.empty(n + 1)
    x[0] = x0
    for s, e in zip([0, *edges], [*edges, n], strict=True):
        lrel = cum[s + 1 : e + 1] - cum[s]
        x[s + 1 : e + 1] = np.exp(lrel) * (x[s] + np.cumsum(beta[s:e] * np.exp(-lrel)))
    return x
