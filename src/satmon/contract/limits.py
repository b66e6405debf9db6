"""Red and yellow limits: the set one series is judged by, the rules every set keeps, and
the defaults derived from the contract's physical ranges (``events.METRICS``).

A value is out of its yellow limits below ``yellow_low`` or above ``yellow_high``, out
of its red limits below ``red_low`` or above ``red_high`` (a limit that is ``None`` is
not checked). An alarm is raised once ``persistence`` consecutive samples are out of
limits and returns to normal only once a sample is back inside by ``deadband`` (in the
metric's unit).

Defaults, per metric, from its range ``[min, max]`` (span = max − min): yellow
``2.5 %`` of the span inside each end, red ``0.5 %`` inside each end, deadband ``1 %``
of the span, persistence 1. The simulator clips every value to the range, so a
fault that pushes a value past an end shows as the end itself, beyond red. Measured
on the simulator's nominal data (20 satellites × 54 h): temperature −26.3…38.5 °C,
altitude 413.3…436.4 km, velocity 7.644…7.665 km/s, battery 3.76…3.99 V, solar power
0…96.4 W, all inside these yellow limits. Solar power has no low limit (0 W is
nominal in eclipse); latitude and longitude are positions, not limited by default.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from satmon.contract.events import METRICS

YELLOW_MARGIN = 0.025
RED_MARGIN = 0.005
DEADBAND_SHARE = 0.01
DEFAULT_PERSISTENCE = 1
MAX_PERSISTENCE = 1000
NOT_LIMITED = frozenset(("latitude", "longitude"))
NO_LOW_LIMIT = frozenset(("solar_power",))
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


def default_limits(metric: str) -> LimitSet:
    """The contract default of ``metric`` (a KeyError for an unknown metric)."""
    _, low, high = METRICS[metric]
    if metric in NOT_LIMITED:
        return LimitSet()
    span = high - low
    no_low = metric in NO_LOW_LIMIT
    return LimitSet(
        yellow_low=None if no_low else _round(low + YELLOW_MARGIN * span),
        yellow_high=_round(high - YELLOW_MARGIN * span),
        red_low=None if no_low else _round(low + RED_MARGIN * span),
        red_high=_round(high - RED_MARGIN * span),
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
