"""Reads of ``alarms`` and ``alarm_history`` for the operation API (filtered, keyset-paged
lists; one alarm with its history) and the alarm set a run leaves, for comparing runs.

``state`` is computed at read time (``STATE``), because a shelve ends at its expiry
whether or not the evaluator's tick has recorded that yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from satmon.store.alarms import ALARM_COLUMNS

STATE = (
    "CASE WHEN a.cleared_at IS NOT NULL THEN 'cleared'"
    " WHEN a.shelved_until > now() THEN 'shelved'"
    " WHEN a.active AND a.acknowledged THEN 'active_acknowledged'"
    " WHEN a.active THEN 'active_unacknowledged'"
    " ELSE 'returned_unacknowledged' END"
)
FIELDS = (*ALARM_COLUMNS, "state", "updated_at")
_SELECT = (
    "SELECT "
    + ", ".join(f"a.{c}" for c in ALARM_COLUMNS)
    + f", {STATE}, a.updated_at FROM alarms a"
)
STEP_FIELDS = ("seq", "action", "state", "severity", "actor", "at", "value", "comment",
               "shelved_until", "recorded_at", "published_at")  # fmt: skip
FILTERS = ("satellite_id", "metric", "kind", "severity", "state")


def list_alarms(
    conn: Any,
    filters: Mapping[str, Sequence[str]],
    start: datetime | None,
    end: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Alarms newest first (by id), each filter a list of accepted values (empty: any);
    the range filters on ``raised_at``; ``before_id`` continues a previous page."""
    where = ["(%(start)s::timestamptz IS NULL OR a.raised_at >= %(start)s)",
             "(%(end)s::timestamptz IS NULL OR a.raised_at < %(end)s)",
             "(%(before)s::bigint IS NULL OR a.id < %(before)s)"]  # fmt: skip
    params: dict[str, Any] = {"start": start, "end": end, "before": before_id, "limit": limit}
    for name in FILTERS:
        values = list(filters.get(name) or [])
        if values:
            column = STATE if name == "state" else f"a.{name}"
            where.append(f"{column} = ANY(%({name})s::text[])")
            params[name] = values
    sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY a.id DESC LIMIT %(limit)s"
    return [dict(zip(FIELDS, row, strict=True)) for row in conn.execute(sql, params).fetchall()]


def fetch_alarm(conn: Any, alarm_id: int) -> dict[str, Any] | None:
    row = conn.execute(_SELECT + " WHERE a.id = %s", (alarm_id,)).fetchone()
    return None if row is None else dict(zip(FIELDS, row, strict=True))


def history(conn: Any, alarm_id: int) -> list[dict[str, Any]]:
    """Every step of one alarm, in order."""
    rows = conn.execute(
        f"SELECT {', '.join(STEP_FIELDS)} FROM alarm_history WHERE alarm_id = %s ORDER BY seq",
        (alarm_id,),
    ).fetchall()
    return [dict(zip(STEP_FIELDS, row, strict=True)) for row in rows]


AlarmSet = frozenset[tuple[Any, ...]]


def alarm_set(
    conn: Any, satellites: Sequence[str], kinds: Sequence[str] = ("limit", "anomaly")
) -> AlarmSet:
    """What the evaluator made of these satellites' data, comparable across runs: per alarm
    (satellite, kind, metric, raised_at, cleared_at, value) and its steps (action,
    severity, at, value). Ids, wall-clock times and operator steps are left out, so two
    runs over the same telemetry compare equal exactly when they raised and moved the
    same alarms at the same sample times. Stale alarms are left out by default: whether a
    satellite looked silent depends on the wall clock (an outage of the evaluator itself
    is a real silence), not on the telemetry alone."""
    rows = conn.execute(
        "SELECT a.satellite_id, a.kind, coalesce(a.metric, ''), a.raised_at, a.cleared_at,"
        " a.value, array_agg(ARRAY[h.action, h.severity, h.at::text, coalesce(h.value::text, '')]"
        " ORDER BY h.seq) FILTER (WHERE h.actor = 'alarm-evaluator' AND h.action <> 'unshelved')"
        " FROM alarms a JOIN alarm_history h ON h.alarm_id = a.id"
        " WHERE a.satellite_id = ANY(%s::text[]) AND a.kind = ANY(%s::text[])"
        " GROUP BY a.id",
        (list(satellites), list(kinds)),
    ).fetchall()
    return frozenset(
        (sat, kind, metric, raised, cleared, value, tuple(tuple(s) for s in steps or ()))
        for sat, kind, metric, raised, cleared, value, steps in rows
    )
