"""The ``latest_forecasts`` table: the newest forecast of each (series, model, timestamp).

Written in the transaction that stores completed jobs (``store.results.upsert_rows``),
so it never disagrees with ``inference_results``: a point is replaced only by one of a
job requested later (ties broken by job id), so redelivered or late events change
nothing. Read by ``/trends/prediction`` and ``/trends/compare``, which find a range's
points by primary key however many jobs forecast each timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

COLUMNS = (
    "satellite_id",
    "metric",
    "model",
    "ts",
    "value",
    "lower",
    "upper",
    "job_id",
    "requested_at",
    "last_input",
)
_NEWER = (
    '(EXCLUDED.requested_at, EXCLUDED.job_id COLLATE "C") > (t.requested_at, t.job_id COLLATE "C")'
)
"""Job ids compared by code point, as ``points_of`` compares them in Python."""
UPSERT_HEAD = f"INSERT INTO latest_forecasts AS t ({', '.join(COLUMNS)}) VALUES "
UPSERT_TAIL = (
    " ON CONFLICT (satellite_id, metric, model, ts) DO UPDATE SET"
    + ",".join(f" {c} = EXCLUDED.{c}" for c in COLUMNS[4:])
    + f" WHERE {_NEWER}"
)
ROWS_PER_STATEMENT = 1000
READ = (
    "SELECT model, ts, value, lower, upper, job_id, requested_at, last_input"
    " FROM latest_forecasts"
    " WHERE satellite_id = %(satellite)s AND metric = %(metric)s"
    " AND (%(models)s::text[] IS NULL OR model = ANY(%(models)s::text[]))"
    " AND ts >= %(start)s AND ts < %(end)s"
    " ORDER BY model, ts"
)


def points_of(jobs: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows completed jobs give (``jobs``: column → value of ``inference_results``),
    newest per key only, sorted by key: one statement may not change a row twice, and
    writers that take row locks in one order cannot deadlock each other."""
    newest: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for job in jobs:
        stamps = job.get("prediction_timestamps") or ()
        values = job.get("predictions") or ()
        if job.get("status") != "completed" or not stamps or len(values) != len(stamps):
            continue
        lower = job.get("lower_bound") or [None] * len(stamps)
        upper = job.get("upper_bound") or [None] * len(stamps)
        window = job.get("input_window") or ()
        last_input = window[-1] if window else None
        series = (job["satellite_id"], job["metric"], job["model"])
        for ts, value, lo, hi in zip(stamps, values, lower, upper, strict=False):
            key = (*series, ts)
            row = (*key, value, lo, hi, job["job_id"], job["requested_at"], last_input)
            kept = newest.get(key)
            if kept is None or (row[8], row[7]) > (kept[8], kept[7]):
                newest[key] = row
    return [newest[k] for k in sorted(newest)]


def upsert(cur: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Write ``points_of``'s rows with the cursor of the jobs' transaction."""
    width = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    for first in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[first : first + ROWS_PER_STATEMENT]
        sql = UPSERT_HEAD + ", ".join([width] * len(chunk)) + UPSERT_TAIL
        cur.execute(sql, [v for row in chunk for v in row])


def forecast_points(
    conn: Any, satellite: str, metric: str, models: Sequence[str] | None, start: Any, end: Any
) -> list[tuple[Any, ...]]:
    """The latest forecast of each (model, timestamp) in [start, end), in that order:
    (model, timestamp, value, lower, upper, job_id, requested_at, the job's last input)."""
    params = series_range(satellite, metric, models, start, end)
    return list(conn.execute(READ, params).fetchall())


def series_range(
    satellite: str, metric: str, models: Sequence[str] | None, start: Any, end: Any
) -> dict[str, Any]:
    """The parameters of a read of one series' forecasts in [start, end) (every model
    when ``models`` is empty), as this module's and ``store.results``' reads name them."""
    return {
        "satellite": satellite,
        "metric": metric,
        "models": list(models) if models else None,
        "start": start,
        "end": end,
    }
