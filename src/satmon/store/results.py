"""The ``inference_results`` table: one row per forecast job, its writes and its reads.

Writes are upserts by ``job_id`` whose status only moves forward along
queued → running → failed → completed: the upsert's ``WHERE`` skips a row whose
status ranks below the stored one, so a redelivered older event changes nothing.
Columns a later event leaves empty keep what an earlier one stored. The same
transaction keeps ``latest_forecasts`` (each timestamp's newest forecast) up to date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from satmon.contract.events import EventError
from satmon.contract.forecast import STATUS_RANK
from satmon.errors import TransientError
from satmon.store import latest_forecasts

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
    "forecast_source",
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


def upsert_rows(pool: Any, rows: Sequence[tuple[Any, ...]], *, durable: bool = True) -> None:
    """Apply rows in order in one transaction; any database trouble is transient.

    ``durable=False`` commits without waiting for the WAL flush (``synchronous_commit =
    off`` for this transaction only): the rows are visible to every reader once this
    returns, but a PostgreSQL crash may lose the last fraction of a second of them. For
    rows that something else writes again anyway (the API's queued rows: the result store
    records the same rows from the events on Kafka)."""
    import psycopg

    try:
        with pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if not durable:
                cur.execute("SET LOCAL synchronous_commit = off")
            cur.executemany(UPSERT, rows)
            latest_forecasts.upsert(
                cur, latest_forecasts.points_of(dict(zip(COLUMNS, r, strict=True)) for r in rows)
            )
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


# --- reads of the operation API -------------------------------------------------------

_IN_RANGE = (
    " r.satellite_id = %(satellite)s AND r.metric = %(metric)s AND r.status = 'completed'"
    " AND r.forecast_end >= %(start)s AND r.forecast_start < %(end)s"
    " AND (%(models)s::text[] IS NULL OR r.model = ANY(%(models)s::text[]))"
)
"""Completed jobs of one series whose forecast reaches into [start, end) (by index)."""
FORECAST_JOBS = (
    "SELECT r.job_id, r.model, r.requested_at, r.completed_at, r.prediction_timestamps,"
    " r.predictions, r.lower_bound, r.upper_bound FROM inference_results r"
    " WHERE" + _IN_RANGE + " ORDER BY r.requested_at DESC, r.job_id DESC LIMIT %(limit)s"
)


def forecast_jobs(
    conn: Any,
    satellite: str,
    metric: str,
    models: Sequence[str] | None,
    start: Any,
    end: Any,
    limit: int,
) -> list[tuple[Any, ...]]:
    """Every completed job forecasting into [start, end), newest first: (job_id, model,
    requested_at, completed_at, timestamps, values, lower, upper)."""
    params = latest_forecasts.series_range(satellite, metric, models, start, end) | {"limit": limit}
    return list(conn.execute(FORECAST_JOBS, params).fetchall())


JOB_FILTERS = ("satellite_id", "metric", "model", "status", "trigger")
JOB_SORTS = ("requested_at", "updated_at")
"""Keyset-paged orders of ``list_jobs``: NOT NULL columns, ties broken by job id."""
_SERIES_COLUMNS = {
    "input_window",
    "input_timestamps",
    "predictions",
    "prediction_timestamps",
    "lower_bound",
    "upper_bound",
}
JOB_SUMMARY = (*(c for c in COLUMNS if c not in _SERIES_COLUMNS), "updated_at")
"""A job without its series: what a listing shows."""


def list_jobs(
    conn: Any,
    filters: Mapping[str, Sequence[str]],
    start: Any,
    end: Any,
    sort: str,
    descending: bool,
    after: tuple[Any, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """One page of jobs: ``filters`` (column → allowed values) on ``JOB_FILTERS``,
    ``requested_at`` in [start, end) when given, ordered by ``sort`` then job id, after
    the ``(sort value, job id)`` keyset of the previous page's last row."""
    if sort not in JOB_SORTS:
        raise ValueError(f"sort must be one of {JOB_SORTS}")
    where: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    for column in JOB_FILTERS:
        if filters.get(column):
            where.append(f"{column} = ANY(%({column})s::text[])")
            params[column] = list(filters[column])
    if start is not None:
        where.append("requested_at >= %(start)s")
        params["start"] = start
    if end is not None:
        where.append("requested_at < %(end)s")
        params["end"] = end
    if after is not None:
        where.append(f"({sort}, job_id) {'<' if descending else '>'} (%(after_key)s, %(after_id)s)")
        params["after_key"], params["after_id"] = after
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT {', '.join(JOB_SUMMARY)} FROM inference_results"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY {sort} {direction}, job_id {direction} LIMIT %(limit)s"
    )
    return [dict(zip(JOB_SUMMARY, row, strict=True)) for row in conn.execute(sql, params)]


PERCENTILES = (0.5, 0.95, 0.99)
_STATS_RANGE = (
    " FROM inference_results WHERE requested_at >= %(start)s AND requested_at < %(end)s"
    " AND (%(satellite)s::text IS NULL OR satellite_id = %(satellite)s)"
    " AND (%(metric)s::text IS NULL OR metric = %(metric)s)"
)
COUNTS = "SELECT status, model, count(*)" + _STATS_RANGE + " GROUP BY status, model"
LATENCIES = (
    "SELECT model, count(*),"
    " percentile_cont(%(percentiles)s::float8[]) WITHIN GROUP (ORDER BY latency_ms),"
    " percentile_cont(%(percentiles)s::float8[]) WITHIN GROUP"
    " (ORDER BY extract(epoch FROM completed_at - requested_at) * 1000)"
    + _STATS_RANGE
    + " AND status = 'completed' GROUP BY GROUPING SETS ((model), ())"
)


def job_stats(
    conn: Any, start: Any, end: Any, satellite: str | None, metric: str | None
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Jobs requested in [start, end): (status, model, count) rows, and per model (None:
    all) the completed count with p50 / p95 / p99 of model latency and of turnaround
    (requested → completed), ms."""
    params = {
        "start": start,
        "end": end,
        "satellite": satellite,
        "metric": metric,
        "percentiles": list(PERCENTILES),
    }
    counts = list(conn.execute(COUNTS, params).fetchall())
    latencies = list(conn.execute(LATENCIES, params).fetchall())
    return counts, latencies
