"""Overload (issue 14): the ingress answers 429 / 503 with Retry-After, never a timeout,
and a burst of ten times the forecasting capacity leaves no job stuck.

The forecaster's Trigger delivers at most 100 jobs a second (eventing/forecaster.yaml);
1,000 jobs arrive in two batches within a second, through the stack's own ingress.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from satmon.clients.vm import VictoriaMetrics
from satmon.contract.events import Telemetry
from satmon.settings import Settings
from tests.integration.functions.ingress_support import (
    Answer,
    go_request,
    ingress_server,
    send,
    token_header,
)
from tests.samples import CONTRACT_TELEMETRY

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BATCH = (b"Content-Type", b"application/cloudevents-batch+json")
STACK_INGRESS = 8081
FORECAST_CAPACITY_PER_S = 100
FORECAST_METRICS = ("temperature", "battery", "altitude", "velocity")


def forecast_batch(sat: str, run: str, first: int, n: int) -> bytes:
    events = [
        {
            "specversion": "1.0",
            "id": f"{run}-{i}",
            "source": "/tests/overload",
            "type": "io.satmon.forecast.requested.v1",
            "data": {
                "job_id": f"{run}-{i}",
                "satellite_id": sat,
                "metric": FORECAST_METRICS[i % 4],
                "model": ("vae", "transformer")[i % 2],
            },
        }
        for i in range(first, first + n)
    ]
    return json.dumps(events).encode()


def test_ingress_under_overload_answers_429_with_retry_after_never_a_timeout() -> None:
    env = {"SATMON_INGRESS_MAX_IN_FLIGHT": "2", "SATMON_INGRESS_DEDUPE": "memory"}
    with ingress_server(env) as port:
        run = uuid.uuid4().hex[:8]
        bodies = [forecast_batch("SAT-OVERLOAD", f"{run}-{k}", 0, 400) for k in range(24)]

        def post(body: bytes) -> tuple[Answer, float]:
            began = time.monotonic()
            answer = send(port, go_request(port, [token_header(), BATCH], body), timeout=15)
            return answer, time.monotonic() - began

        with ThreadPoolExecutor(24) as pool:
            results = list(pool.map(post, bodies))
    statuses = sorted(a.status for a, _ in results)
    assert set(statuses) <= {202, 429, 503}, statuses
    assert 202 in statuses and 429 in statuses, statuses
    for answer, _ in results:
        if answer.status != 202:
            assert int(answer.headers["retry-after"]) >= 1
            assert answer.content_type == "application/problem+json"
    assert max(took for _, took in results) < 15


def test_a_burst_of_ten_times_the_forecast_capacity_leaves_no_job_stuck(
    settings: Settings, vm: VictoriaMetrics
) -> None:
    sat = f"BURST-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC).replace(microsecond=0)
    vm.write_telemetry(
        [
            Telemetry.model_validate(
                {
                    **CONTRACT_TELEMETRY,
                    "satellite_id": sat,
                    "timestamp": now - timedelta(seconds=40 - i),
                }
            )
            for i in range(40)
        ]
    )
    # The jobs need their windows readable: under load VictoriaMetrics takes a few
    # seconds to make fresh samples searchable, and a job that reads too early fails
    # with "not enough data" (correctly, but not what this test is about).
    visible_by = time.monotonic() + 60
    while time.monotonic() < visible_by:
        windows = [vm.last_points(sat, m, 20) for m in FORECAST_METRICS]
        if all(w is not None and len(w.values) >= 20 for w in windows):
            break
        time.sleep(0.5)
    run = uuid.uuid4().hex[:8]
    jobs = 10 * FORECAST_CAPACITY_PER_S
    for first in range(0, jobs, 500):
        body = forecast_batch(sat, run, first, 500)
        answer = send(STACK_INGRESS, go_request(STACK_INGRESS, [token_header(), BATCH], body))
        assert answer.status == 202, answer.body[:300]

    def count_by(column: str, where: str = "") -> dict[str, int]:
        with psycopg.connect(settings.pg_dsn, autocommit=True) as conn:
            rows = conn.execute(
                f"SELECT coalesce({column}, ''), count(*) FROM inference_results"
                f" WHERE job_id LIKE %s {where} GROUP BY 1",
                (f"{run}-%",),
            ).fetchall()
        return dict(rows)

    def states() -> dict[str, int]:
        return count_by("status")

    def failure_reasons() -> dict[str, int]:
        return count_by("error", "AND status = 'failed'")

    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        seen = states()
        if sum(seen.values()) == jobs and set(seen) <= {"completed", "failed"}:
            break
        time.sleep(2)
    assert sum(seen.values()) == jobs and set(seen) <= {"completed", "failed"}, seen
    assert seen.get("completed", 0) >= jobs * 0.9, (seen, failure_reasons())
