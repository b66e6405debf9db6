"""The changes one evaluator transaction makes, and how they become alarms and steps.

The judging code records, in order, each condition change of a series (a new level,
0 for back to normal) and the state each series ends in; :func:`apply_changes` then
locks the open alarms of the changed series, moves them along their lifecycle (or
raises new ones) and saves them with their steps.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from satmon.pipeline.alarm_lifecycle import condition_changed, raised, step_event_data
from satmon.store import alarms
from satmon.store.alarm_state import SeriesState
from satmon.store.alarms import AlarmRecord, Key, Step

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConditionChange:
    key: Key
    level: int  # 0: back to normal
    value: float | None
    threshold: float | None
    message: str | None
    at_ms: int


class Pending:
    """Series states read at the start (``known``), those to write, and the changes."""

    def __init__(self, known: dict[Key, SeriesState]) -> None:
        self.known = known
        self.states: dict[Key, SeriesState | None] = {}
        self.changes: list[ConditionChange] = []

    def current(self, key: Key) -> SeriesState | None:
        """A copy of the series' state as it stands in this transaction (None: at rest)."""
        state = self.states[key] if key in self.states else self.known.get(key)
        return None if state is None else dataclasses.replace(state)

    def change(
        self,
        key: Key,
        level: int,
        value: float | None,
        threshold: float | None,
        message: str | None,
        at_ms: int,
    ) -> None:
        self.changes.append(ConditionChange(key, level, value, threshold, message, at_ms))

    def settle(self, key: Key, state: SeriesState | None) -> None:
        """The series ends the transaction in ``state`` (None: at rest, no row)."""
        if state == self.known.get(key):
            self.states.pop(key, None)
        else:
            self.states[key] = state


def apply_changes(conn: Any, pending: Pending) -> list[dict[str, Any]]:
    """Raise, move and save the alarms of ``pending.changes``; the steps' event data."""
    if not pending.changes:
        return []
    now = datetime.now(UTC)
    current = alarms.open_alarms(conn, {c.key for c in pending.changes})
    touched: list[tuple[AlarmRecord, list[Step]]] = []
    steps_of: dict[int, list[Step]] = {}
    for c in pending.changes:
        at = datetime.fromtimestamp(c.at_ms / 1000, UTC)
        alarm = current.get(c.key)
        if alarm is None:
            if c.level == 0:
                log.info("%s returned to normal without an open alarm", "/".join(c.key))
                continue
            satellite_id, kind, metric = c.key
            alarm, first = raised(
                (satellite_id, metric or None, kind), c.level, c.value, c.threshold,
                c.message or "", at, now,
            )  # fmt: skip
            current[c.key] = alarm
            steps = [first]
        else:
            steps = steps_of.get(id(alarm)) or []
            steps.append(
                condition_changed(alarm, c.level, c.value, c.threshold, c.message, at, now)
            )
        if id(alarm) not in steps_of:
            steps_of[id(alarm)] = steps
            touched.append((alarm, steps))
        if alarm.cleared_at is not None:
            del current[c.key]  # the next raise on this series is a new alarm
    published = []
    for alarm, steps in touched:  # in first-touched order: a cleared alarm before its successor
        alarms.save(conn, alarm, steps)
        published += [step_event_data(alarm, s) for s in steps]
    return published
