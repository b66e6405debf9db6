"""The ``alarms`` and ``alarm_history`` tables (migration 011): an alarm's row, its steps,
their writes, and the outbox of steps not yet published on the ``alarms`` topic.

Writes run inside the caller's transaction (the evaluator's batch, an operator's
request), so an alarm, its step and the evaluator state behind it commit together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Any

Key = tuple[str, str, str]
"""(satellite_id, kind, metric or '' for a stale alarm): at most one open alarm each."""


@dataclass
class AlarmRecord:
    """An ``alarms`` row (``id`` None until inserted)."""

    id: int | None
    satellite_id: str
    metric: str | None
    kind: str
    severity: str
    max_severity: str
    active: bool
    acknowledged: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    shelved_until: datetime | None
    shelved_by: str | None
    shelved_at: datetime | None
    shelve_reason: str | None
    raised_at: datetime
    returned_at: datetime | None
    cleared_at: datetime | None
    value: float | None
    last_value: float | None
    threshold: float | None
    message: str
    seq: int

    @property
    def key(self) -> Key:
        return (self.satellite_id, self.kind, self.metric or "")


@dataclass
class Step:
    """An ``alarm_history`` row: one step of one alarm."""

    alarm_id: int | None
    seq: int
    action: str
    state: str
    severity: str
    actor: str
    at: datetime
    value: float | None = None
    comment: str | None = None
    shelved_until: datetime | None = None


ALARM_COLUMNS = tuple(f.name for f in fields(AlarmRecord))
STEP_COLUMNS = tuple(f.name for f in fields(Step))
_SELECT = f"SELECT {', '.join(ALARM_COLUMNS)} FROM alarms"
_WRITABLE = ALARM_COLUMNS[1:]
_INSERT = (
    f"INSERT INTO alarms ({', '.join(_WRITABLE)}) VALUES ({', '.join(['%s'] * len(_WRITABLE))})"
    " RETURNING id"
)
_UPDATE = (
    "UPDATE alarms SET "
    + ", ".join(f"{c} = %s" for c in _WRITABLE)
    + ", updated_at = now() WHERE id = %s"
)
_INSERT_STEP = (
    f"INSERT INTO alarm_history ({', '.join(STEP_COLUMNS)})"
    f" VALUES ({', '.join(['%s'] * len(STEP_COLUMNS))})"
)
_STEP_EVENT = (
    "SELECT h.alarm_id, h.seq, a.satellite_id, a.metric, a.kind, h.action, h.state, h.severity,"
    " h.actor, h.at, h.value, h.comment, h.shelved_until, a.message"
    " FROM alarm_history h JOIN alarms a ON a.id = h.alarm_id"
)
_STEP_EVENT_FIELDS = (
    "alarm_id", "seq", "satellite_id", "metric", "kind", "action", "state",
    "severity", "actor", "at", "value", "comment", "shelved_until", "message",
)  # fmt: skip


def open_alarms(conn: Any, keys: Iterable[Key]) -> dict[Key, AlarmRecord]:
    """The alarms not cleared for these keys, locked for update until the transaction ends."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    rows = conn.execute(
        _SELECT + " JOIN unnest(%s::text[], %s::text[], %s::text[]) AS k(s, kd, m)"
        " ON satellite_id = k.s AND kind = k.kd AND coalesce(metric, '') = k.m"
        " WHERE cleared_at IS NULL ORDER BY id FOR UPDATE OF alarms",
        ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]),
    ).fetchall()
    records = [AlarmRecord(*row) for row in rows]
    return {r.key: r for r in records}


def lock_alarm(conn: Any, alarm_id: int) -> AlarmRecord | None:
    """One alarm, locked for update until the transaction ends."""
    row = conn.execute(_SELECT + " WHERE id = %s FOR UPDATE", (alarm_id,)).fetchone()
    return None if row is None else AlarmRecord(*row)


def expired_shelves(conn: Any, now: datetime, limit: int = 500) -> list[AlarmRecord]:
    """Alarms whose shelve ran out, locked (skipping any an operator holds right now)."""
    rows = conn.execute(
        _SELECT + " WHERE shelved_until IS NOT NULL AND shelved_until <= %s AND cleared_at IS NULL"
        " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
        (now, limit),
    ).fetchall()
    return [AlarmRecord(*row) for row in rows]


def save(conn: Any, alarm: AlarmRecord, steps: Sequence[Step]) -> int:
    """Insert or update ``alarm`` and append its new ``steps``; returns the alarm id."""
    values = astuple(alarm)[1:]
    if alarm.id is None:
        row = conn.execute(_INSERT, values).fetchone()
        alarm.id = int(row[0])
    else:
        conn.execute(_UPDATE, (*values, alarm.id))
    for step in steps:
        step.alarm_id = alarm.id
    with conn.cursor() as cur:
        cur.executemany(_INSERT_STEP, [astuple(s) for s in steps])
    return alarm.id


def step_events(conn: Any, keys: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
    """The steps (alarm_id, seq) as the data of their events (``contract.alarms.alarm_event``)."""
    if not keys:
        return []
    rows = conn.execute(
        _STEP_EVENT + " JOIN unnest(%s::bigint[], %s::int[]) AS k(a, s)"
        " ON h.alarm_id = k.a AND h.seq = k.s ORDER BY h.alarm_id, h.seq",
        ([k[0] for k in keys], [k[1] for k in keys]),
    ).fetchall()
    return [dict(zip(_STEP_EVENT_FIELDS, row, strict=True)) for row in rows]


def unpublished(conn: Any, older_than_s: float, limit: int = 1000) -> list[dict[str, Any]]:
    """Steps recorded over ``older_than_s`` ago and not yet on Kafka, oldest first."""
    rows = conn.execute(
        _STEP_EVENT + " WHERE h.published_at IS NULL"
        " AND h.recorded_at < now() - make_interval(secs => %s)"
        " ORDER BY h.recorded_at, h.alarm_id, h.seq LIMIT %s",
        (older_than_s, limit),
    ).fetchall()
    return [dict(zip(_STEP_EVENT_FIELDS, row, strict=True)) for row in rows]


def mark_published(conn: Any, keys: Sequence[tuple[int, int]]) -> None:
    if not keys:
        return
    conn.execute(
        "UPDATE alarm_history h SET published_at = now()"
        " FROM unnest(%s::bigint[], %s::int[]) AS k(a, s)"
        " WHERE h.alarm_id = k.a AND h.seq = k.s AND h.published_at IS NULL",
        ([k[0] for k in keys], [k[1] for k in keys]),
    )
