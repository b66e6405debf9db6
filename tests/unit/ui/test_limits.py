"""Limit states: red beats yellow, a value on a limit is inside, every state has words."""

from __future__ import annotations

import pytest

from ui.limits import STYLES, Level, LimitSet, LimitTable, State, classify, worst

LIMITS = LimitSet(yellow_low=-20, yellow_high=30, red_low=-40, red_high=45)


@pytest.mark.parametrize(
    ("value", "level", "side"),
    [
        (0.0, Level.NOMINAL, None),
        (30.0, Level.NOMINAL, None),  # on the yellow limit: still inside
        (30.1, Level.YELLOW, "high"),
        (-25.0, Level.YELLOW, "low"),
        (45.5, Level.RED, "high"),
        (-41.0, Level.RED, "low"),
    ],
)
def test_classify_against_red_and_yellow(value: float, level: Level, side: str | None) -> None:
    assert classify(value, LIMITS) == State(level, side)


def test_without_limits_or_value_the_state_is_unknown() -> None:
    assert classify(12.0, None).level is Level.UNKNOWN
    assert classify(None, LIMITS).level is Level.UNKNOWN
    assert classify(float("nan"), LIMITS).level is Level.UNKNOWN


def test_every_state_has_an_icon_and_a_word_not_only_a_colour() -> None:
    for level, style in STYLES.items():
        assert style.word and style.icon and style.css, level
    high = State(Level.RED, "high")
    assert high.text == "alarm high" and high.icon == "north"
    assert State(Level.YELLOW, "low").icon == "south"


def test_worst_orders_by_attention() -> None:
    states = [State(Level.NOMINAL), State(Level.RED, "low"), State(Level.YELLOW, "high")]
    assert worst(states) == State(Level.RED, "low")
    assert worst([]).level is Level.UNKNOWN
    assert worst([State(Level.NOMINAL), State(Level.STALE)]).level is Level.STALE


def test_table_parses_flat_and_nested_rows_with_overrides() -> None:
    table = LimitTable.parse(
        {
            "items": [
                {"metric": "battery", "yellow_low": 3.3, "yellow_high": 4.1, "red_low": 3.1},
                {"metric": "battery", "satellite": "SAT-002", "red": {"low": 3.0, "high": 4.2}},
                {"not": "a limit"},
            ]
        }
    )
    assert table.for_("SAT-001", "battery") == LimitSet(3.3, 4.1, 3.1, None)
    assert table.for_("SAT-002", "battery") == LimitSet(None, None, 3.0, 4.2)
    assert table.for_("SAT-001", "altitude") is None
    assert LimitTable.parse([{"metric": "altitude", "red_low": 400}]).for_(None, "altitude") == (
        LimitSet(None, None, 400, None)
    )


def test_table_reads_the_api_page_of_sets_in_force_and_overrides() -> None:
    fleet = {
        "metric": "temperature",
        "satellite": None,
        "source": "contract",
        **{"yellow_low": -42.5, "yellow_high": 42.5, "red_low": -47.5, "red_high": 47.5},
    }
    override = {**fleet, "satellite": "SAT-001", "source": "stored", "red_high": 30.0}
    table = LimitTable.parse({"satellite": None, "metrics": [fleet], "overrides": [override]})
    assert table.for_("SAT-002", "temperature") == LimitSet(-42.5, 42.5, -47.5, 47.5)
    assert table.for_("SAT-001", "temperature") == LimitSet(-42.5, 42.5, -47.5, 30.0)
    assert classify(45.0, table.for_("SAT-002", "temperature")).level is Level.YELLOW
