"""Limit sets: defaults derived from the contract's ranges keep nominal simulator data
quiet, and a set that breaks a rule is refused with the field and the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from satmon.contract.events import METRICS
from satmon.contract.limits import LimitSet, all_defaults, default_limits, problems
from satmon.pipeline.alarm_rules import raw_level
from satmon.simulator.generator import simulate_track


def test_defaults_sit_inside_the_metric_ranges_and_are_valid() -> None:
    temperature = default_limits("temperature")
    assert (temperature.yellow_low, temperature.yellow_high) == (-40.0, 45.0)
    assert (temperature.red_low, temperature.red_high) == (-45.0, 47.5)
    assert temperature.deadband == 1.0 and temperature.persistence == 1
    for metric, limits in all_defaults().items():
        assert problems(limits) == [], metric
        _, low, high = METRICS[metric]
        for value in (limits.yellow_low, limits.yellow_high, limits.red_low, limits.red_high):
            assert value is None or low < value < high, metric


def test_positions_are_not_limited_and_solar_power_has_no_low_limit() -> None:
    assert not default_limits("latitude").checked and not default_limits("longitude").checked
    solar = default_limits("solar_power")
    assert solar.yellow_low is None and solar.red_low is None and solar.red_high == 98.75


def test_nominal_simulator_data_stays_inside_the_default_yellow_limits() -> None:
    start = datetime(2026, 11, 28, tzinfo=UTC)
    for index in range(0, 12, 3):
        track = simulate_track(index, 6 * 3600 // 5, 5.0, start, seed=index)
        for metric, values in track.metrics.items():
            levels = {raw_level(float(v), default_limits(metric)) for v in np.asarray(values)}
            assert levels == {0}, (index, metric)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"yellow_low": 90.0}, "yellow_low", "must be below yellow_high"),
        ({"red_low": 20.0}, "red_low", "red lies outside yellow"),
        ({"red_high": 80.0}, "red_high", "must be above yellow_high"),
        ({"red_low": 99.0, "red_high": 1.0}, "red_low", "must be below red_high"),
        ({"persistence": 0}, "persistence", "1…1000"),
        ({"deadband": -1.0}, "deadband", "≥ 0"),
        ({"deadband": 40.0}, "deadband", "less than half the narrowest band"),
        ({"yellow_high": float("nan")}, "yellow_high", "finite"),
    ],
)
def test_a_set_breaking_a_rule_names_the_field(changes: dict, field: str, words: str) -> None:
    base = LimitSet(yellow_low=10.0, yellow_high=90.0, red_low=5.0, red_high=95.0, deadband=1.0)
    found = problems(LimitSet(**{**base.to_dict(), **changes}))
    assert found, changes
    assert found[0][0] == field and words in found[0][1]


def test_one_sided_and_red_only_sets_are_valid() -> None:
    assert problems(LimitSet(yellow_high=10.0)) == []
    assert problems(LimitSet(red_low=1.0, red_high=2.0, deadband=0.1)) == []
    assert problems(LimitSet()) == []  # watches nothing
