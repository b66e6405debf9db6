"""Operators' steps on one alarm (acknowledge, shelve, unshelve) in one transaction: lock
the alarm, move it along its lifecycle, save it with the step. The caller publishes the
step's event once this returns (a step Kafka misses waits in the outbox)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from satmon.pipeline import alarm_lifecycle as lifecycle
from satmon.store import alarms


def acknowledge(
    conn: Any, alarm_id: int, operator: str, comment: str | None
) -> dict[str, Any] | None:
    return _act(conn, alarm_id, lambda a, now: lifecycle.acknowledge(a, operator, comment, now))


def shelve(
    conn: Any, alarm_id: int, operator: str, reason: str, until: datetime
) -> dict[str, Any] | None:
    return _act(conn, alarm_id, lambda a, now: lifecycle.shelve(a, operator, reason, until, now))


def unshelve(conn: Any, alarm_id: int, operator: str, comment: str | None) -> dict[str, Any] | None:
    return _act(conn, alarm_id, lambda a, now: lifecycle.unshelve(a, operator, comment, now))


def _act(conn: Any, alarm_id: int, move: Any) -> dict[str, Any] | None:
    """The step's event data, None when there is no such alarm; Conflict when the step
    does not apply (nothing is written then)."""
    with conn.transaction():
        alarm = alarms.lock_alarm(conn, alarm_id)
        if alarm is None:
            return None
        step = move(alarm, datetime.now(UTC))
        alarms.save(conn, alarm, [step])
    return lifecycle.step_event_data(alarm, step)
