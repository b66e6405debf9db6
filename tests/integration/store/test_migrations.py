"""Migrations create the schema on the real PostgreSQL; running them twice is a no-op."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from satmon.settings import Settings
from satmon.store import applied_migrations, migrate
from satmon.store.migrate import MIGRATIONS_DIR

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch_db(settings: Settings, pg: psycopg.Connection):
    """A fresh, empty database owned by the satmon role, dropped afterwards."""
    name = f"satmon_test_{uuid.uuid4().hex[:8]}"
    pg.autocommit = True
    pg.execute(f'CREATE DATABASE "{name}"')
    dsn = settings.pg_dsn.replace(f"dbname={settings.pg_database}", f"dbname={name}")
    conn = psycopg.connect(dsn)
    yield conn
    conn.close()
    pg.execute(f'DROP DATABASE "{name}"')


def test_migrations_create_the_schema_once(scratch_db: psycopg.Connection) -> None:
    expected = sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))
    assert migrate(scratch_db) == expected
    columns = {
        r[0]
        for r in scratch_db.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'inference_results'"
        )
    }
    assert {
        "job_id",
        "satellite_id",
        "metric",
        "model",
        "status",
        "requested_at",
        "started_at",
        "completed_at",
        "input_window",
        "predictions",
        "prediction_timestamps",
        "error",
        "latency_ms",
    } <= columns
    assert migrate(scratch_db) == []
    assert applied_migrations(scratch_db) == expected


def test_the_running_database_is_migrated(pg: psycopg.Connection) -> None:
    expected = sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))
    assert applied_migrations(pg) == expected
