"""The limit rules, pure: how one sample moves one series' state, and the change it makes.

Levels: 0 at rest, 1 warning (beyond yellow), 2 critical (beyond red).

- **Persistence**: a level is reached only after ``persistence`` consecutive samples
  at or beyond it (a raise at warning, an escalation to critical likewise).
- **Deadband**: a raised level is kept until a sample is back inside its limits by
  ``deadband`` (critical → warning inside red by the deadband, warning → at rest
  inside yellow by the deadband), so a value hovering at a limit does not chatter.
- **Escalation / de-escalation**: warning → critical once red persists; critical →
  warning (or straight to rest) as soon as the deadband allows.

Staleness and anomaly scores have rules of their own (``alarm_signals``).
"""

from __future__ import annotations

from dataclasses import dataclass

from satmon.contract.limits import LimitSet
from satmon.store.alarm_state import SeriesState


@dataclass(frozen=True, slots=True)
class Change:
    """What a sample did to a series: ``raise`` (0 → level), ``escalate``,
    ``deescalate`` (to a lower level above 0) or ``return`` (to rest)."""

    what: str
    level: int
    value: float
    at_ms: int
    threshold: float | None


def step(state: SeriesState, value: float, limits: LimitSet, at_ms: int) -> Change | None:
    """Apply one sample to ``state`` (in place); the change it made, if any."""
    raw = raw_level(value, limits)
    state.streak_warning = state.streak_warning + 1 if raw >= 1 else 0
    state.streak_critical = state.streak_critical + 1 if raw >= 2 else 0
    persistent = (
        2
        if state.streak_critical >= limits.persistence
        else 1
        if state.streak_warning >= limits.persistence
        else 0
    )
    before = state.level
    if before == 0:
        if persistent == 0:
            return None
        state.level = persistent
        return Change("raise", persistent, value, at_ms, crossed(value, limits, persistent))
    after = max(persistent, held_level(value, limits, before))
    if after == before:
        return None
    state.level = after
    if after > before:
        return Change("escalate", after, value, at_ms, crossed(value, limits, after))
    if after == 0:
        return Change("return", 0, value, at_ms, None)
    return Change("deescalate", after, value, at_ms, crossed(value, limits, after))


def raw_level(value: float, limits: LimitSet) -> int:
    """2 beyond a red limit, 1 beyond a yellow one, else 0 (a limit of None is not checked)."""
    if _outside(value, limits.red_low, limits.red_high):
        return 2
    if _outside(value, limits.yellow_low, limits.yellow_high):
        return 1
    return 0


def held_level(value: float, limits: LimitSet, level: int) -> int:
    """The highest level up to ``level`` that ``value`` still holds, given the deadband:
    a level is held while the value is not back inside its limits by the deadband."""
    band = limits.deadband
    if level >= 2 and _outside(value, _plus(limits.red_low, band), _minus(limits.red_high, band)):
        return 2
    if level >= 1 and _outside(
        value, _plus(limits.yellow_low, band), _minus(limits.yellow_high, band)
    ):
        return 1
    return 0


def crossed(value: float, limits: LimitSet, level: int) -> float | None:
    """The limit of ``level`` on the side ``value`` lies (what a message names)."""
    low, high = (
        (limits.red_low, limits.red_high) if level >= 2 else (limits.yellow_low, limits.yellow_high)
    )
    if level >= 2 and low is None and high is None:
        low, high = limits.yellow_low, limits.yellow_high
    if high is not None and (low is None or abs(value - high) <= abs(value - low)):
        return high
    return low


def _outside(value: float, low: float | None, high: float | None) -> bool:
    return (low is not None and value < low) or (high is not None and value > high)


def _plus(limit: float | None, band: float) -> float | None:
    return None if limit is None else limit + band


def _minus(limit: float | None, band: float) -> float | None:
    return None if limit is None else limit - band
