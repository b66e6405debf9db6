"""The limit rules, one test per rule: persistence, deadband, escalation, de-escalation."""

from __future__ import annotations

from collections.abc import Sequence

from satmon.contract.limits import LimitSet
from satmon.pipeline.alarm_rules import Change, held_level, raw_level, step
from satmon.store.alarm_state import SeriesState

LIMITS = LimitSet(
    yellow_low=10.0, yellow_high=90.0, red_low=5.0, red_high=95.0, persistence=1, deadband=2.0
)


def run(values: Sequence[float], limits: LimitSet = LIMITS) -> list[tuple[str, int]]:
    state = SeriesState()
    changes: list[Change] = []
    for ms, value in enumerate(values):
        change = step(state, value, limits, ms)
        if change is not None:
            changes.append(change)
    return [(c.what, c.level) for c in changes]


def test_levels_beyond_yellow_and_red_and_unset_limits_are_not_checked() -> None:
    assert [raw_level(v, LIMITS) for v in (50, 90, 90.5, 95, 96, 4, 9)] == [0, 0, 1, 1, 2, 2, 1]
    high_only = LimitSet(yellow_high=90.0, red_high=95.0)
    assert raw_level(-1e9, high_only) == 0 and raw_level(96, high_only) == 2


def test_persistence_raises_only_after_that_many_consecutive_samples() -> None:
    three = LimitSet(**{**LIMITS.to_dict(), "persistence": 3})
    assert run([91, 91, 50, 91, 91, 50], three) == []  # never three in a row
    assert run([91, 91, 91], three) == [("raise", 1)]
    assert run([96, 96, 96], three) == [("raise", 2)]
    # a streak beyond red counts towards yellow too: two red then one yellow raise yellow
    assert run([96, 96, 91], three) == [("raise", 1)]


def test_persistence_applies_to_escalation_too() -> None:
    three = LimitSet(**{**LIMITS.to_dict(), "persistence": 3})
    assert run([91, 91, 91, 96, 96, 91], three) == [("raise", 1)]
    assert run([91, 91, 91, 96, 96, 96], three) == [("raise", 1), ("escalate", 2)]


def test_deadband_holds_the_alarm_until_back_inside_by_the_deadband() -> None:
    # 89 is inside yellow but not by the 2.0 deadband: still in alarm; 87.9 returns it
    assert run([91, 89, 88.5, 88.0, 87.9]) == [("raise", 1), ("return", 0)]
    assert held_level(88.1, LIMITS, 1) == 1 and held_level(87.9, LIMITS, 1) == 0
    # the same on the low side
    assert run([9, 11, 11.9, 12.1]) == [("raise", 1), ("return", 0)]


def test_without_deadband_a_value_at_the_limit_returns_at_once() -> None:
    none = LimitSet(**{**LIMITS.to_dict(), "deadband": 0.0})
    assert run([91, 90], none) == [("raise", 1), ("return", 0)]


def test_escalation_from_yellow_to_red() -> None:
    assert run([91, 93, 96, 97]) == [("raise", 1), ("escalate", 2)]


def test_deescalation_waits_for_the_deadband_inside_red() -> None:
    # 94 is inside red (95) but not by the deadband: held at red; 92.9 drops to yellow
    assert run([96, 94, 93.5, 92.9, 50]) == [("raise", 2), ("deescalate", 1), ("return", 0)]


def test_straight_from_red_back_to_normal() -> None:
    assert run([96, 50]) == [("raise", 2), ("return", 0)]


def test_a_raise_names_the_limit_it_crossed() -> None:
    state = SeriesState()
    high = step(state, 96.0, LIMITS, 0)
    low = step(SeriesState(), 4.0, LIMITS, 0)
    assert high is not None and high.threshold == 95.0
    assert low is not None and low.threshold == 5.0


def test_state_at_rest_after_return_and_streaks_reset() -> None:
    state = SeriesState()
    for value in (91.0, 50.0):
        step(state, value, LIMITS, 0)
    assert state.at_rest
