"""An alarm's lifecycle, pure: each step the evaluator or an operator takes moves an
``AlarmRecord`` and yields the ``Step`` to store and publish (rules in
``satmon.contract.alarms``). Operator steps that do not apply raise :class:`Conflict`.

Times: the evaluator's steps carry the sample's own time; operators' steps the clock.
Whether an alarm shows as shelved is judged against the clock (``now``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from satmon.contract.alarms import EVALUATOR, LEVELS
from satmon.errors import SatmonError
from satmon.store.alarms import AlarmRecord, Step

SEVERITY_RANK = {"warning": 1, "critical": 2}


class Conflict(SatmonError):
    """An operator step that does not apply in the alarm's state (HTTP 409)."""


def state_of(alarm: AlarmRecord, now: datetime) -> str:
    if alarm.cleared_at is not None:
        return "cleared"
    if alarm.shelved_until is not None and alarm.shelved_until > now:
        return "shelved"
    if alarm.active:
        return "active_acknowledged" if alarm.acknowledged else "active_unacknowledged"
    return "returned_unacknowledged"


def raised(
    key: tuple[str, str | None, str],
    level: int,
    value: float | None,
    threshold: float | None,
    message: str,
    at: datetime,
    now: datetime,
) -> tuple[AlarmRecord, Step]:
    """A new alarm for (satellite, metric, kind), active and unacknowledged."""
    satellite_id, metric, kind = key
    severity = LEVELS[level]
    alarm = AlarmRecord(
        id=None,
        satellite_id=satellite_id,
        metric=metric,
        kind=kind,
        severity=severity,
        max_severity=severity,
        active=True,
        acknowledged=False,
        acknowledged_by=None,
        acknowledged_at=None,
        shelved_until=None,
        shelved_by=None,
        shelved_at=None,
        shelve_reason=None,
        raised_at=at,
        returned_at=None,
        cleared_at=None,
        value=value,
        last_value=value,
        threshold=threshold,
        message=message,
        seq=0,
    )
    return alarm, _step(alarm, "raised", EVALUATOR, at, now, value)


def condition_changed(
    alarm: AlarmRecord,
    level: int,
    value: float | None,
    threshold: float | None,
    message: str | None,
    at: datetime,
    now: datetime,
) -> Step:
    """The condition moved to ``level`` (0: back to normal) on an alarm that is not cleared.

    Back to normal clears an acknowledged alarm and leaves an unacknowledged one
    returned; a returned alarm whose condition comes back is reactivated; a higher
    severity asks for a new acknowledgement.
    """
    alarm.last_value = value
    if level == 0:
        alarm.active = False
        alarm.returned_at = at
        if alarm.acknowledged:
            alarm.cleared_at = at
            return _step(alarm, "cleared", EVALUATOR, at, now, value)
        return _step(alarm, "returned", EVALUATOR, at, now, value)
    severity = LEVELS[level]
    was_active, before = alarm.active, SEVERITY_RANK[alarm.severity]
    alarm.severity = severity
    alarm.threshold = threshold
    if message:
        alarm.message = message
    if SEVERITY_RANK[severity] > SEVERITY_RANK[alarm.max_severity]:
        alarm.max_severity = severity
    if not was_active:
        alarm.active = True
        alarm.acknowledged = False
        return _step(alarm, "reactivated", EVALUATOR, at, now, value)
    if level > before:
        alarm.acknowledged = False
        return _step(alarm, "escalated", EVALUATOR, at, now, value)
    return _step(alarm, "deescalated", EVALUATOR, at, now, value)


def acknowledge(alarm: AlarmRecord, by: str, comment: str | None, now: datetime) -> Step:
    """Acknowledged: an active alarm stays active, a returned one clears."""
    if alarm.cleared_at is not None:
        raise Conflict(f"alarm {alarm.id} is cleared; there is nothing to acknowledge")
    if alarm.acknowledged:
        raise Conflict(
            f"alarm {alarm.id} was already acknowledged by {alarm.acknowledged_by} at "
            f"{alarm.acknowledged_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    alarm.acknowledged, alarm.acknowledged_by, alarm.acknowledged_at = True, by, now
    if not alarm.active:
        alarm.cleared_at = now
    return _step(alarm, "acknowledged", by, now, now, alarm.last_value, comment)


def shelve(alarm: AlarmRecord, by: str, reason: str, until: datetime, now: datetime) -> Step:
    """Shelved until ``until`` (a later shelve replaces the expiry and reason)."""
    if alarm.cleared_at is not None:
        raise Conflict(f"alarm {alarm.id} is cleared; only an alarm not cleared can be shelved")
    if until <= now:
        raise Conflict("the shelve must end in the future")
    alarm.shelved_until, alarm.shelved_by, alarm.shelved_at = until, by, now
    alarm.shelve_reason = reason
    return _step(alarm, "shelved", by, now, now, alarm.last_value, reason)


def unshelve(alarm: AlarmRecord, by: str, comment: str | None, now: datetime) -> Step:
    """Back on the active list (``by`` the operator, or the evaluator when it expired)."""
    if alarm.shelved_until is None or alarm.cleared_at is not None:
        raise Conflict(f"alarm {alarm.id} is not shelved")
    alarm.shelved_until = None
    return _step(alarm, "unshelved", by, now, now, alarm.last_value, comment)


def expire_shelve(alarm: AlarmRecord, now: datetime) -> Step:
    until = alarm.shelved_until
    note = f"shelve expired at {until:%Y-%m-%d %H:%M:%S} UTC" if until else "shelve expired"
    return unshelve(alarm, EVALUATOR, note, now)


def _step(
    alarm: AlarmRecord,
    action: str,
    actor: str,
    at: datetime,
    now: datetime,
    value: float | None,
    comment: str | None = None,
) -> Step:
    alarm.seq += 1
    return Step(
        alarm_id=alarm.id,
        seq=alarm.seq,
        action=action,
        state=state_of(alarm, now),
        severity=alarm.severity,
        actor=actor,
        at=at,
        value=value,
        comment=comment,
        shelved_until=alarm.shelved_until,
    )


def step_event_data(alarm: AlarmRecord, step: Step) -> dict[str, Any]:
    """A saved step as the data of its ``io.satmon.alarm.*`` event (``alarm_event``)."""
    return {
        "alarm_id": alarm.id,
        "seq": step.seq,
        "satellite_id": alarm.satellite_id,
        "metric": alarm.metric,
        "kind": alarm.kind,
        "action": step.action,
        "state": step.state,
        "severity": step.severity,
        "actor": step.actor,
        "at": step.at,
        "value": step.value,
        "comment": step.comment,
        "shelved_until": step.shelved_until,
        "message": alarm.message,
    }
