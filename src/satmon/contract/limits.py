"""Red and yellow limits: the set one series is judged by, the rules every set keeps, and
the defaults derived from the contract's physical ranges (``events.METRICS``).

A value is out of its yellow limits below ``yellow_low`` or above ``yellow_high``, out
of its red limits below ``red_low`` or above ``red_high`` (a limit that is ``None`` is
not checked). An alarm is raised once ``persistence`` consecutive samples are out of
limits and returns to normal only once a sample is back inside by ``deadband`` (in the
metric's unit).

Defaults, per metric, from its range ``[min, max]`` (span = max − min): the yellow
limits lie a share of the span inside each end (``YELLOW_MARGIN``, per end), the red
limits half that share inside each end; deadband 1 % of the span, persistence 1. Each
share is half the gap between the simulator's nominal values and that end of the
range, rounded down to a multiple of 2.5 % (at least 2.5 %). Nominal values measured
over 60 satellites × 24 h and 20 satellites × 54 h, and their gaps to the low / high
end: temperature −26.3…38.6 °C (23.7 % / 11.4 %), altitude 413.2…437.2 km (26.4 % /
25.5 %), velocity 7.643…7.665 km/s (21.5 % / 67.5 %), battery 3.75…3.99 V (62.8 % /
17.4 %), solar power 0…96.4 W (— / 3.6 %). Solar power has no low limit (0 W is
nominal in eclipse); latitude and longitude are positions, not limited by default.
The simulator clips every value to the range, and pushes each injected fault away
from the nearer end, so these limits see only the faults that reach far across the
range; operators set tighter limits per satellite where they know its envelope.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from satmon.contract.events import METRICS

YELLOW_MARGIN: dict[str, tuple[float | None, float]] = {
    # metric: (share of the span above min, share below max); red: half of each
    "temperature": (0.10, 0.05),
    "altitude": (0.125, 0.125),
    "velocity": (0.10, 0.325),
    "battery": (0.30, 0.075),
    "solar_power": (None, 0.025),
}
DEADBAND_SHARE = 0.01
DEFAULT_PERSISTENCE = 1
MAX_PERSISTENCE = 1000
NOT_LIMITED = frozenset(("latitude", "longitude"))
LIMIT_FIELDS = ("yellow_low", "yellow_high", "red_low", "red_high")


@dataclass(frozen=True, slots=True)
class LimitSet:
    """The limits of one metric (for one satellite or the whole fleet)."""

    yellow_low: float | None = None
    yellow_high: float | None = None
    red_low: float | None = None
    red_high: float | None = None
    persistence: int = DEFAULT_PERSISTENCE
    deadband: float = 0.0

    @property
    def checked(self) -> bool:
        """Whether any limit is set (a set of four ``None`` watches nothing)."""
        return any(getattr(self, name) is not None for name in LIMIT_FIELDS)

    def quiet_band(self) -> tuple[float, float]:
        """(low, high): a value inside this closed band is within every limit."""
        lows = [v for v in (self.yellow_low, self.red_low) if v is not None]
        highs = [v for v in (self.yellow_high, self.red_high) if v is not None]
        return (max(lows) if lows else -math.inf, min(highs) if highs else math.inf)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def problems(limits: LimitSet) -> list[tuple[str, str]]:
    """What is wrong with a set, as (field, message) pairs; empty when it is valid.

    Rules: every number finite; low below high for each colour; red outside yellow
    (red low below yellow low, red high above yellow high); persistence 1…1000;
    deadband ≥ 0 and less than half the narrowest band, so that a value can return.
    """
    found: list[tuple[str, str]] = []
    for name in (*LIMIT_FIELDS, "deadband"):
        value = getattr(limits, name)
        if value is not None and not math.isfinite(value):
            found.append((name, "must be a finite number"))
    if found:
        return found
    for colour in ("yellow", "red"):
        low, high = getattr(limits, f"{colour}_low"), getattr(limits, f"{colour}_high")
        if low is not None and high is not None and not low < high:
            found.append(
                (f"{colour}_low", f"{colour}_low ({low:g}) must be below {colour}_high ({high:g})")
            )
    pairs = (("red_low", "yellow_low", lambda r, y: r < y, "below"),
             ("red_high", "yellow_high", lambda r, y: r > y, "above"))  # fmt: skip
    for red_name, yellow_name, outside, word in pairs:
        red, yellow = getattr(limits, red_name), getattr(limits, yellow_name)
        if red is not None and yellow is not None and not outside(red, yellow):
            found.append(
                (
                    red_name,
                    f"{red_name} ({red:g}) must be {word} {yellow_name} ({yellow:g}):"
                    " red lies outside yellow",
                )
            )
    if not 1 <= limits.persistence <= MAX_PERSISTENCE:
        found.append(("persistence", f"persistence must be 1…{MAX_PERSISTENCE} samples"))
    if limits.deadband < 0:
        found.append(("deadband", "deadband must be ≥ 0"))
    else:
        narrowest = _narrowest_band(limits)
        if narrowest is not None and limits.deadband * 2 >= narrowest:
            found.append(
                (
                    "deadband",
                    f"deadband ({limits.deadband:g}) must be less than half the narrowest"
                    f" band ({narrowest:g})",
                )
            )
    return found


@cache
def default_limits(metric: str) -> LimitSet:
    """The contract default of ``metric`` (a KeyError for an unknown metric)."""
    _, low, high = METRICS[metric]
    if metric in NOT_LIMITED:
        return LimitSet()
    span = high - low
    below, above = YELLOW_MARGIN[metric]
    return LimitSet(
        yellow_low=None if below is None else _round(low + below * span),
        yellow_high=_round(high - above * span),
        red_low=None if below is None else _round(low + below * span / 2),
        red_high=_round(high - above * span / 2),
        persistence=DEFAULT_PERSISTENCE,
        deadband=_round(DEADBAND_SHARE * span),
    )


def all_defaults() -> dict[str, LimitSet]:
    return {metric: default_limits(metric) for metric in METRICS}


def _narrowest_band(limits: LimitSet) -> float | None:
    widths = [
        high - low
        for low, high in (
            (limits.yellow_low, limits.yellow_high),
            (limits.red_low, limits.red_high),
        )
        if low is not None and high is not None
    ]
    return min(widths) if widths else None


def _round(value: float) -> float:
    """Defaults as a person would write them (no 47.50000000000001)."""
    return round(value, 6)
