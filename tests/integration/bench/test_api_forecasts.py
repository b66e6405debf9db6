"""The API bench's latest-forecasts part on the real PostgreSQL: both reads return the
same points (the part refuses to print otherwise), one per model and second of the jobs'
forecasts, and the bench's jobs are gone afterwards."""

from __future__ import annotations

import psycopg
import pytest

from bench.api_forecasts import forecast_rows
from satmon.settings import Settings

pytestmark = pytest.mark.integration


def test_the_latest_forecasts_part_reads_both_ways_and_leaves_nothing(settings: Settings) -> None:
    rows = forecast_rows(settings, jobs=240, rounds=3)
    label, measured, ratio, _ = rows[0]
    assert label == "latest forecasts, 480 jobs on one series"
    assert measured.startswith("258 points")  # 2 models × (120 s of requests + 10 s ahead - 1)
    assert ratio.endswith("faster p99") and "µs/job" in rows[2][1]
    with psycopg.connect(settings.pg_dsn) as conn:
        left = conn.execute(
            "SELECT (SELECT count(*) FROM inference_results WHERE satellite_id LIKE 'BENCH-%')"
            " + (SELECT count(*) FROM latest_forecasts WHERE satellite_id LIKE 'BENCH-%')"
        ).fetchone()
    assert left == (0,)
