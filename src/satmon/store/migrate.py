"""Schema migrations: numbered SQL files applied once each, in order, in a transaction.

Each file in ``migrations/`` named ``NNN_description.sql`` is applied at most once; the
``schema_migrations`` table records which. Running ``migrate`` twice is a no-op. An
advisory lock keeps two processes starting at once from applying the same file twice.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg

from satmon.settings import Settings, get_settings

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_LOCK_ID = 0x5A7_3011


def connect(settings: Settings | None = None, **kwargs: object) -> psycopg.Connection:
    settings = settings or get_settings()
    return psycopg.connect(settings.pg_dsn, **kwargs)  # type: ignore[arg-type]


def migrate(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; returns the names applied this time."""
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = set(applied_migrations(conn))
        for path in sorted(directory.glob("[0-9][0-9][0-9]_*.sql")):
            if path.stem in done:
                continue
            conn.execute(path.read_text())  # type: ignore[call-overload,unused-ignore]
            conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (path.stem,))
            applied_now.append(path.stem)
    if applied_now:
        log.info("applied migrations %s", applied_now)
    return applied_now


def applied_migrations(conn: psycopg.Connection) -> list[str]:
    rows = (
        conn.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
        if _table_exists(conn, "schema_migrations")
        else []
    )
    return [r[0] for r in rows]


def _table_exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
    return row is not None and row[0] is not None
