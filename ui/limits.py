"""Limit states of a value, and how each is shown: always an icon and a word beside the
colour, never colour alone (Open MCT's red / yellow, upper / lower convention).

The API serves the limits (``GET /api/v1/limits``); this module only reads them and
classifies values against them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class Level(IntEnum):
    """Ordered by how much attention a state needs (``max`` gives the worst)."""

    UNKNOWN = 0
    NOMINAL = 1
    STALE = 2
    YELLOW = 3
    RED = 4


@dataclass(frozen=True)
class LimitSet:
    yellow_low: float | None = None
    yellow_high: float | None = None
    red_low: float | None = None
    red_high: float | None = None

    @property
    def empty(self) -> bool:
        return all(
            v is None for v in (self.yellow_low, self.yellow_high, self.red_low, self.red_high)
        )


@dataclass(frozen=True)
class State:
    level: Level
    side: str | None = None  # "low" | "high" for a violation

    @property
    def style(self) -> Style:
        return STYLES[self.level]

    @property
    def text(self) -> str:
        word = self.style.word
        return f"{word} {self.side}" if self.side else word

    @property
    def icon(self) -> str:
        if self.side and self.level in (Level.YELLOW, Level.RED):
            return "north" if self.side == "high" else "south"
        return self.style.icon


@dataclass(frozen=True)
class Style:
    word: str
    icon: str
    colour: str  # CSS colour of the badge
    css: str  # class name, also what tests look for


STYLES = {
    Level.UNKNOWN: Style("no limits", "help_outline", "#9ca3af", "state-unknown"),
    Level.NOMINAL: Style("nominal", "check_circle", "#4ade80", "state-nominal"),
    Level.STALE: Style("stale", "schedule", "#9ca3af", "state-stale"),
    Level.YELLOW: Style("warning", "warning", "#facc15", "state-yellow"),
    Level.RED: Style("alarm", "error", "#f87171", "state-red"),
}


def classify(value: float | None, limits: LimitSet | None) -> State:
    """Red beats yellow; a value on a limit is still inside it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return State(Level.UNKNOWN)
    if limits is None or limits.empty:
        return State(Level.UNKNOWN)
    if limits.red_high is not None and value > limits.red_high:
        return State(Level.RED, "high")
    if limits.red_low is not None and value < limits.red_low:
        return State(Level.RED, "low")
    if limits.yellow_high is not None and value > limits.yellow_high:
        return State(Level.YELLOW, "high")
    if limits.yellow_low is not None and value < limits.yellow_low:
        return State(Level.YELLOW, "low")
    return State(Level.NOMINAL)


def worst(states: Iterable[State]) -> State:
    return max(states, key=lambda s: s.level, default=State(Level.UNKNOWN))


class LimitTable:
    """Limits by metric, with per-satellite overrides (what ``GET /limits`` serves)."""

    def __init__(
        self,
        defaults: Mapping[str, LimitSet] | None = None,
        overrides: Mapping[tuple[str, str], LimitSet] | None = None,
    ) -> None:
        self.defaults = dict(defaults or {})
        self.overrides = dict(overrides or {})

    def for_(self, satellite: str | None, metric: str) -> LimitSet | None:
        if satellite is not None and (satellite, metric) in self.overrides:
            return self.overrides[(satellite, metric)]
        return self.defaults.get(metric)

    @classmethod
    def parse(cls, doc: Any) -> LimitTable:
        """Rows of ``{metric, satellite?, yellow_low, yellow_high, red_low, red_high}``
        (also accepted: nested ``yellow`` / ``red`` objects with ``low`` / ``high``): the
        API's page (the fleet-wide ``metrics`` and the per-satellite ``overrides``), a
        list, or under ``items`` / ``limits``."""
        if isinstance(doc, dict) and ("metrics" in doc or "overrides" in doc):
            rows = [*(doc.get("metrics") or []), *(doc.get("overrides") or [])]
        elif isinstance(doc, dict):
            rows = doc.get("items") or doc.get("limits") or []
        else:
            rows = doc
        table = cls()
        for row in rows or []:
            if not isinstance(row, dict) or "metric" not in row:
                continue
            limits = _limit_set(row)
            satellite = row.get("satellite") or row.get("satellite_id")
            if satellite:
                table.overrides[(str(satellite), str(row["metric"]))] = limits
            else:
                table.defaults[str(row["metric"])] = limits
        return table


def _limit_set(row: Mapping[str, Any]) -> LimitSet:
    def pick(colour: str, side: str) -> float | None:
        nested = row.get(colour)
        value = nested.get(side) if isinstance(nested, dict) else row.get(f"{colour}_{side}")
        return None if value is None else float(value)

    return LimitSet(
        pick("yellow", "low"), pick("yellow", "high"), pick("red", "low"), pick("red", "high")
    )
