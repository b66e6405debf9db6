"""``latest_forecasts`` on the real PostgreSQL: completed jobs stored in any order (and
again) leave each timestamp with the forecast of the job requested last, the same points
as sorting every job's points of the range (the read it replaced, which the API bench
times beside it)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from bench.api_forecasts import EVERY_JOB_SORTED
from satmon.settings import Settings
from satmon.store.latest_forecasts import forecast_points
from satmon.store.results import COLUMNS, upsert_rows

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 30, 12, tzinfo=UTC)


def job(sat: str, model: str, n: int, status: str = "completed") -> tuple:
    """Job ``n``: requested at T0 + 2n s, forecasting the 10 s after, values n + i / 10."""
    requested = T0 + timedelta(seconds=2 * n)
    row = dict.fromkeys(COLUMNS)
    row |= {
        "job_id": f"{sat}-{model}-{n:03d}",
        "satellite_id": sat,
        "metric": "battery",
        "model": model,
        "status": status,
        "trigger": "schedule",
        "requested_at": requested,
    }
    if status == "completed":
        row |= {
            "completed_at": requested + timedelta(milliseconds=50),
            "input_window": [float(n)] * 20,
            "input_timestamps": [requested - timedelta(seconds=20 - i) for i in range(20)],
            "predictions": [n + i / 10 for i in range(10)],
            "prediction_timestamps": [requested + timedelta(seconds=1 + i) for i in range(10)],
            "lower_bound": [n + i / 10 - 1 for i in range(10)] if model == "vae" else None,
            "upper_bound": [n + i / 10 + 1 for i in range(10)] if model == "vae" else None,
        }
    return tuple(row[c] for c in COLUMNS)


def test_each_timestamp_keeps_the_forecast_of_the_job_requested_last(settings: Settings) -> None:
    sat = f"LATEST-{uuid.uuid4().hex[:8]}"
    rows = [job(sat, model, n) for model in ("vae", "transformer") for n in range(40)]
    shuffled = random.Random(7).sample(rows, len(rows))
    with ConnectionPool(settings.pg_dsn, min_size=1, max_size=1) as pool:
        for first in range(0, len(shuffled), 13):  # batches in any order, some twice
            upsert_rows(pool, shuffled[first : first + 13])
        upsert_rows(pool, shuffled[:20])
        upsert_rows(pool, [job(sat, "vae", 39, "running")])  # a late event changes nothing
    start, end = T0, T0 + timedelta(minutes=5)
    with psycopg.connect(settings.pg_dsn) as conn:
        points = forecast_points(conn, sat, "battery", None, start, end)
        every = {"satellite": sat, "metric": "battery", "start": start, "end": end}
        assert points == conn.execute(EVERY_JOB_SORTED, every).fetchall()
        only_vae = forecast_points(conn, sat, "battery", ["vae"], start, end)
    assert len(points) == 2 * (2 * 39 + 10)  # one point per second from T0 + 1 s to + 88 s
    by_key = {(p[0], p[1]): p for p in points}
    newest = by_key[("vae", T0 + timedelta(seconds=21))]  # jobs 6..10 forecast it: 10 wins
    assert (newest[2], newest[3], newest[5], newest[7]) == (10.0, 9.0, f"{sat}-vae-010", 10.0)
    assert by_key[("transformer", T0 + timedelta(seconds=1))][3] is None  # no band
    assert {p[0] for p in only_vae} == {"vae"} and len(only_vae) == len(points) // 2
