"""The alarm contract: kinds, severities, lifecycle states and steps, and the data of the
``io.satmon.alarm.*`` events on the ``alarms`` topic.

Lifecycle (ISA-18.2, as Yamcs keeps it): an alarm is raised *active, unacknowledged*;
an operator acknowledges it (*active, acknowledged*); when its condition returns to
normal an acknowledged alarm is *cleared*, an unacknowledged one stays visible as
*returned to normal, unacknowledged* until somebody acknowledges it (then it clears).
A returned alarm whose condition comes back is active again (the same alarm). An
escalation (warning → critical) asks for a new acknowledgement. An operator may
*shelve* an alarm that is not cleared until an expiry, with a reason; it is then
hidden from the active list (``state`` shelved) while its condition is still
tracked, until it is unshelved or the shelve expires. Every step stores who, when
and an optional comment, and is one event: ``raised`` for the first step,
``cleared`` for the step that clears it, ``changed`` for every other.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from cloudevents.http import CloudEvent

from satmon.contract.events import (
    TYPE_ALARM_CHANGED,
    TYPE_ALARM_CLEARED,
    TYPE_ALARM_RAISED,
    format_time,
    make_event,
)

Kind = Literal["limit", "stale", "anomaly"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Severity = Literal["warning", "critical"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
"""Yellow limits raise ``warning``, red limits ``critical``; stale and anomaly: warning."""
LEVELS: dict[int, Severity] = {1: "warning", 2: "critical"}
State = Literal[
    "active_unacknowledged", "active_acknowledged", "returned_unacknowledged", "shelved", "cleared"
]
STATES: tuple[State, ...] = get_args(State)
Action = Literal[
    "raised",
    "escalated",
    "deescalated",
    "returned",
    "reactivated",
    "acknowledged",
    "shelved",
    "unshelved",
    "cleared",
]
ACTIONS: tuple[Action, ...] = get_args(Action)
EVALUATOR = "alarm-evaluator"
"""The actor of every step the evaluator takes (operators give their own name)."""
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "satmon:alarm-history")


def event_type(action: str, state: str) -> str:
    """``raised`` for the first step, ``cleared`` when the step clears, else ``changed``."""
    if action == "raised":
        return TYPE_ALARM_RAISED
    if state == "cleared":
        return TYPE_ALARM_CLEARED
    return TYPE_ALARM_CHANGED


def event_id(alarm_id: int, seq: int) -> str:
    """Step ``seq`` of alarm ``alarm_id``: the same id however often it is published."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{alarm_id}/{seq}"))


def alarm_event(step: dict[str, Any]) -> CloudEvent:
    """The CloudEvent of one stored step (a row of ``alarm_history`` joined with its alarm).

    ``step`` holds ``alarm_id``, ``seq``, ``satellite_id``, ``metric``, ``kind``,
    ``action``, ``state``, ``severity``, ``actor``, ``at`` and optionally ``value``,
    ``comment``, ``message``, ``shelved_until``. Source ``/alarms/<id>``, subject and
    partition key the satellite, so one satellite's steps stay in order on Kafka.
    """
    data = {name: _wire(value) for name, value in step.items() if value is not None}
    event = make_event(
        event_type(step["action"], step["state"]),
        f"/alarms/{step['alarm_id']}",
        data,
        key=step["satellite_id"],
        event_id=event_id(step["alarm_id"], step["seq"]),
    )
    event["subject"] = step["satellite_id"]
    return event


def log_step(logger: logging.Logger, step: dict[str, Any]) -> None:
    """One INFO record of a stored step, carrying ``alarm_id``, ``satellite`` and its
    CloudEvent's ``event_id`` (``satmon.logconfig.ID_FIELDS``), so an alarm's log records
    are found by its id: the evaluator's steps and the operators' actions alike."""
    what = " ".join(filter(None, (step["kind"], step.get("metric"))))
    text = f"alarm {step['alarm_id']} {step['action']}: {what} of "
    text += f"{step['satellite_id']}, {step['severity']}, now {step['state']} (by {step['actor']})"
    if step.get("comment"):
        text += f": {step['comment']}"
    elif step["action"] == "raised" and step.get("message"):
        text += f": {step['message']}"
    fields = {
        "alarm_id": str(step["alarm_id"]),
        "satellite": step["satellite_id"],
        "event_id": event_id(step["alarm_id"], step["seq"]),
        "metric": step.get("metric") or None,
        "kind": step["kind"],
        "action": step["action"],
        "state": step["state"],
        "severity": step["severity"],
        "actor": step["actor"],
        "seq": step["seq"],
    }
    logger.info(text, extra={k: v for k, v in fields.items() if v is not None})


def _wire(value: Any) -> Any:
    return format_time(value) if isinstance(value, datetime) else value
