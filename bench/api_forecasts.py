"""The latest forecasts of a busy series: ``latest_forecasts`` against the read it replaced.

A series that many jobs forecast (what submit benches and dashboards that ask for
forecasts leave) holds dozens of forecasts per timestamp. ``/trends/prediction`` and
``/trends/compare`` read the newest of each from ``latest_forecasts`` by key; the read
it replaced sorted every job's points of the range. Both run here on the same jobs,
written for a bench-only satellite through ``store.results.upsert_rows`` (the result
store's own write) and removed afterwards.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import psycopg

from satmon.store.latest_forecasts import forecast_points
from satmon.store.results import COLUMNS, upsert_rows

EVERY_JOB_SORTED = (
    "SELECT DISTINCT ON (r.model, p.ts) r.model, p.ts, p.value, p.lower, p.upper, r.job_id,"
    " r.requested_at, r.input_window[cardinality(r.input_window)]"
    " FROM inference_results r CROSS JOIN LATERAL unnest("
    "r.prediction_timestamps, r.predictions, r.lower_bound, r.upper_bound)"
    " AS p(ts, value, lower, upper)"
    " WHERE r.satellite_id = %(satellite)s AND r.metric = %(metric)s"
    " AND r.status = 'completed' AND p.ts >= %(start)s AND p.ts < %(end)s"
    " ORDER BY r.model, p.ts, r.requested_at DESC, r.job_id DESC"
)
"""The read ``latest_forecasts`` replaced: every completed job's points of the range,
sorted, the newest kept per (model, timestamp)."""
MODELS = ("vae_timeseries", "transformer_timeseries")
BATCH = 100


def completed_job(satellite: str, model: str, n: int, requested: datetime) -> tuple[Any, ...]:
    """A completed temperature job in ``store.results.COLUMNS`` order: the 20 whole
    seconds up to ``requested`` in, the 10 after it out (a 1 Hz series' samples)."""
    last = requested.replace(microsecond=0)
    row = dict.fromkeys(COLUMNS) | {
        "job_id": f"{satellite}-{model}-{n}",
        "satellite_id": satellite,
        "metric": "temperature",
        "model": model,
        "status": "completed",
        "trigger": "api",
        "requested_at": requested,
        "completed_at": requested + timedelta(milliseconds=40),
        "input_window": [20.0 + (n % 7) / 10] * 20,
        "input_timestamps": [last - timedelta(seconds=19 - i) for i in range(20)],
        "predictions": [20.0 + i / 10 for i in range(10)],
        "prediction_timestamps": [last + timedelta(seconds=1 + i) for i in range(10)],
    }
    return tuple(row[c] for c in COLUMNS)


def forecast_rows(settings: Any, jobs: int, rounds: int) -> list[tuple[str, str, str, str]]:
    """``jobs`` per model requested over two minutes, then ``rounds`` of each read."""
    satellite = f"BENCH-{uuid.uuid4().hex[:6]}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    spread_s = 120 / jobs
    rows = [
        completed_job(satellite, m, n, start + timedelta(seconds=n * spread_s))
        for n in range(jobs)
        for m in MODELS
    ]
    from psycopg_pool import ConnectionPool

    params = {
        "satellite": satellite,
        "metric": "temperature",
        "start": start,
        "end": start + timedelta(minutes=5),
    }
    try:
        with ConnectionPool(settings.pg_dsn, min_size=1, max_size=1) as pool:
            began = time.perf_counter()
            for first in range(0, len(rows), BATCH):
                upsert_rows(pool, rows[first : first + BATCH])
            write_us = (time.perf_counter() - began) / len(rows) * 1e6
        with psycopg.connect(settings.pg_dsn, autocommit=True) as conn:
            by_key: list[float] = []
            sorted_all: list[float] = []
            for _ in range(rounds):
                began = time.perf_counter()
                points = forecast_points(
                    conn, satellite, "temperature", None, params["start"], params["end"]
                )
                by_key.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                replaced = conn.execute(EVERY_JOB_SORTED, params).fetchall()
                sorted_all.append((time.perf_counter() - began) * 1000)
            if points != replaced:
                raise SystemExit("latest_forecasts and the sort over every job disagree")
    finally:
        with psycopg.connect(settings.pg_dsn, autocommit=True) as conn:
            conn.execute("DELETE FROM inference_results WHERE satellite_id = %s", (satellite,))
            conn.execute("DELETE FROM latest_forecasts WHERE satellite_id = %s", (satellite,))
    new, old = _pcts(by_key), _pcts(sorted_all)
    label = f"latest forecasts, {len(rows):,} jobs on one series"
    return [
        (
            label,
            f"{len(points)} points, p50 {new[0]:.2f} / p99 {new[1]:.2f} ms",
            f"{old[1] / new[1]:.0f}× faster p99",
            "",
        ),
        ("  sort over every job (replaced)", f"p50 {old[0]:.1f} / p99 {old[1]:.1f} ms", "", ""),
        (f"  storing those jobs, {BATCH} a transaction", f"{write_us:.0f} µs/job", "", ""),
    ]


def _pcts(samples: list[float]) -> tuple[float, float]:
    values = np.asarray(samples)
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))
