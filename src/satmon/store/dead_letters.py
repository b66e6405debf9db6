"""The ``dead_letters`` table: every dead-lettered event with its reason and body.

Writes insert and ignore a (source, id) already stored, so a redelivered dead letter
changes nothing. Reads serve the dashboard's pipeline page and the API: the latest
dead letters (filtered by topic) and counts per topic and reason. Full-text search is
the API's (``search_documents``, which migration 021 feeds from this table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Any

from satmon.errors import TransientError


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    """One row, in column order (``id`` and ``stored_at`` are the table's)."""

    source: str
    event_id: str
    original_topic: str
    origin: str | None
    event_type: str | None
    subject: str | None
    reason: str
    error_code: int | None
    error_dest: str | None
    error_data: str | None
    attempts: int | None
    attributes: dict[str, str]
    body: str
    body_encoding: str
    body_bytes: int
    body_truncated: bool
    event_time: datetime | None
    dead_lettered_at: datetime


COLUMNS = tuple(f.name for f in fields(DeadLetterRow))
INSERT = (
    f"INSERT INTO dead_letters ({', '.join(COLUMNS)})"
    f" VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    " ON CONFLICT (source, event_id) DO NOTHING"
)
READ = ("id", *COLUMNS, "stored_at")


def insert_rows(pool: Any, rows: Sequence[DeadLetterRow]) -> None:
    """Insert every row in one transaction; any database trouble is transient (retry)."""
    import psycopg
    from psycopg.types.json import Jsonb

    params = [
        tuple(
            Jsonb(v) if name == "attributes" else v
            for name, v in zip(COLUMNS, astuple(r), strict=True)
        )
        for r in rows
    ]
    try:
        with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(INSERT, params)
    except psycopg.Error as exc:
        raise TransientError(f"PostgreSQL could not store dead letters: {exc}") from exc


def recent(conn: Any, limit: int = 100, topic: str | None = None) -> list[dict[str, Any]]:
    """The latest dead letters, newest first (of one original topic, if given)."""
    where, params = ("WHERE original_topic = %s", [topic]) if topic else ("", [])
    cur = conn.execute(
        f"SELECT {', '.join(READ)} FROM dead_letters {where}"
        " ORDER BY dead_lettered_at DESC, id DESC LIMIT %s",
        (*params, limit),
    )
    return [dict(zip(READ, row, strict=True)) for row in cur.fetchall()]


def counts(conn: Any, since: datetime | None = None) -> list[dict[str, Any]]:
    """Dead letters per original topic and reason (the pipeline page's DLQ panel)."""
    cur = conn.execute(
        "SELECT original_topic, reason, count(*), max(dead_lettered_at) FROM dead_letters"
        " WHERE dead_lettered_at >= coalesce(%s, '-infinity'::timestamptz)"
        " GROUP BY original_topic, reason ORDER BY count(*) DESC, original_topic",
        (since,),
    )
    keys = ("original_topic", "reason", "count", "last_at")
    return [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]
