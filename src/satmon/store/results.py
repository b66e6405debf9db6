"""The ``inference_results`` table: one row per forecast job, its writes and its reads.

Writes are upserts by ``job_id`` whose status only moves forward along
queued → running → failed → completed: the upsert's ``WHERE`` skips a row whose
status ranks below the stored one, so a redelivered older event changes nothing.
Columns a later event leaves empty keep what an earlier one stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from satmon.contract.events import EventError
from satmon.contract.forecast import STATUS_RANK
from satmon.errors import TransientError

COLUMNS = (
    "job_id",
    "satellite_id",
    "metric",
    "model",
    "status",
    "trigger",
    "requested_at",
    "started_at",
    "completed_at",
    "input_window",
    "input_timestamps",
    "predictions",
    "prediction_timestamps",
    "lower_bound",
    "upper_bound",
    "anomaly_score",
    "error",
    "latency_ms",
)
_RANK = "array_position(ARRAY['" + "','".join(STATUS_RANK) + "']::text[], {})"
# columns a later event may leave empty: an upsert keeps what an earlier event stored
_IDENTITY = {"job_id", "satellite_id", "metric", "model", "status", "trigger", "requested_at"}
_KEEP = tuple(c for c in COLUMNS if c not in _IDENTITY | {"error"})

UPSERT = (
    f"INSERT INTO inference_results ({', '.join(COLUMNS)}, updated_at)"
    f" VALUES ({', '.join(['%s'] * len(COLUMNS))}, now())"
    " ON CONFLICT (job_id) DO UPDATE SET"
    " status = EXCLUDED.status,"
    " requested_at = LEAST(inference_results.requested_at, EXCLUDED.requested_at),"
    + "".join(f" {c} = COALESCE(EXCLUDED.{c}, inference_results.{c})," for c in _KEEP)
    + " error = EXCLUDED.error,"
    " updated_at = now()"
    f" WHERE {_RANK.format('EXCLUDED.status')} >= {_RANK.format('inference_results.status')}"
)


def upsert_rows(pool: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Apply rows in order in one transaction; any database trouble is transient."""
    import psycopg

    try:
        with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(UPSERT, rows)
    except psycopg.OperationalError as exc:
        raise TransientError(f"PostgreSQL unavailable: {exc}") from exc
    except psycopg.errors.DataError as exc:
        raise EventError(f"row refused by PostgreSQL: {exc}", field="data") from exc
    except psycopg.Error as exc:
        raise TransientError(f"PostgreSQL error: {exc}") from exc


def fetch_job(conn: Any, job_id: str) -> dict[str, Any] | None:
    """One job's row as a dict keyed by column (``updated_at`` included), or None."""
    cur = conn.execute(
        f"SELECT {', '.join(COLUMNS)}, updated_at FROM inference_results WHERE job_id = %s",
        (job_id,),
    )
    row = cur.fetchone()
    return None if row is None else dict(zip((*COLUMNS, "updated_at"), row, strict=True))
