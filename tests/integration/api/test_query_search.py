"""``/query/jobs`` (filters, keyset paging), ``/query/stats`` and ``/search/results`` on
the jobs stored by the real pipeline, a failed one included."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from satmon.clients.kafka import make_producer, produce_event
from satmon.contract.events import TOPIC_TELEMETRY, Telemetry, telemetry_event
from tests.integration.api.conftest import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def failed_job(api: TestClient, token_headers: dict[str, str]) -> dict[str, Any]:
    """A satellite with five samples (sent through the pipeline) and a job that fails on
    it: the forecaster needs 20."""
    sat = f"APIFAIL-{uuid.uuid4().hex[:6]}"
    producer = make_producer()
    now = time.time()
    for i in range(5):
        sample = Telemetry(
            satellite_id=sat,
            timestamp=datetime.fromtimestamp(now - 5 + i, UTC),
            temperature=1.0 + i, altitude=420.0, velocity=7.7, battery=3.9,
            solar_power=50.0, latitude=0.0, longitude=0.0,
        )  # fmt: skip
        produce_event(producer, TOPIC_TELEMETRY, telemetry_event(sample))
    assert producer.flush(15) == 0
    body = {"satellite": sat, "metric": "temperature", "model": "vae"}

    def submitted() -> Any:
        answer = api.post("/api/v1/inference/submit", json=body, headers=token_headers)
        return answer if answer.status_code == 202 else None  # 422 until VictoriaMetrics has it

    location = wait_for(submitted, 30, f"{sat} known to the API").headers["location"]
    return wait_for(
        lambda: (r := api.get(location).json())["status"] == "failed" and r, 60, "the failure", 0.5
    )


def test_jobs_filter_and_keyset_pages_without_gaps_or_repeats(
    api: TestClient, failed_job: dict[str, Any]
) -> None:
    everything = api.get(
        "/api/v1/query/jobs", params={"range": "1h", "trigger": "api", "limit": 500}
    ).json()["items"]
    assert len(everything) >= 2
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"range": "1h", "trigger": "api", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/v1/query/jobs", params=params).json()
        seen += [j["job_id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None or len(seen) > len(everything) + 5:
            break
    assert seen[: len(everything)] == [j["job_id"] for j in everything]
    assert len(seen) == len(set(seen))
    requested = [j["requested_at"] for j in everything]
    assert requested == sorted(requested, reverse=True)
    only = api.get(
        "/api/v1/query/jobs",
        params={"satellite": failed_job["satellite"], "status": "failed", "sort": "requested_at"},
    ).json()["items"]
    assert [j["job_id"] for j in only] == [failed_job["job_id"]]
    assert "not enough data" in only[0]["error"]
    bad = api.get("/api/v1/query/jobs", params={"cursor": "' OR 1=1 --"})
    assert bad.status_code == 422 and bad.json()["field"] == "query.cursor"


def test_stats_count_by_status_and_model_with_ordered_percentiles(
    api: TestClient, failed_job: dict[str, Any]
) -> None:
    stats = api.get("/api/v1/query/stats", params={"range": "1h"}).json()
    assert stats["total"] == sum(stats["by_status"].values()) == sum(stats["by_model"].values())
    assert stats["by_status"].get("failed", 0) >= 1
    assert stats["jobs_per_minute"] == pytest.approx(stats["total"] / 60, rel=1e-6)
    overall = next(row for row in stats["latency"] if row["model"] is None)
    p = overall["latency_ms"]
    assert overall["completed"] >= 1 and p["p50"] <= p["p95"] <= p["p99"]
    one = api.get(
        "/api/v1/query/stats", params={"range": "1h", "satellite": failed_job["satellite"]}
    ).json()
    assert one["total"] == 1 and one["by_status"] == {"failed": 1}


def test_search_finds_the_failure_ranked_with_a_marked_escaped_snippet(
    api: TestClient, failed_job: dict[str, Any]
) -> None:
    answer = api.get(
        "/api/v1/search/results", params={"q": f"enough data {failed_job['satellite']}"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] >= 1
    hit = body["items"][0]
    assert hit["kind"] == "failure" and hit["id"] == failed_job["job_id"]
    assert hit["link"] == f"/api/v1/inference/result/{failed_job['job_id']}"
    assert "<mark>" in hit["snippet"] and "enough" in hit["snippet"].lower()
    ranks = [h["rank"] for h in body["items"]]
    assert ranks == sorted(ranks, reverse=True)
    forecasts = api.get(
        "/api/v1/search/results", params={"q": failed_job["satellite"], "kind": "forecast"}
    ).json()
    assert forecasts["items"] == []  # its only job failed


@pytest.mark.parametrize(
    "q", ["' OR '1'='1", "x; DROP TABLE search_documents", "<script>", "a)|(b"]
)
def test_search_refuses_what_no_word_needs(api: TestClient, q: str) -> None:
    answer = api.get("/api/v1/search/results", params={"q": q})
    assert answer.status_code == 422 and answer.json()["field"] == "query.q"


def test_search_finds_a_dead_letter_by_its_reason_and_satellite(
    api: TestClient, settings: Any
) -> None:
    from psycopg_pool import ConnectionPool

    from satmon.store import dead_letters

    sat = f"APIDLQ-{uuid.uuid4().hex[:6]}"
    row = dead_letters.DeadLetterRow(
        source=f"/satellites/{sat}", event_id=f"dl-{uuid.uuid4().hex[:8]}",
        original_topic=TOPIC_TELEMETRY, origin=f"{TOPIC_TELEMETRY}/0/7",
        event_type="io.satmon.telemetry.v1", subject=None,
        reason="data.battery: Input should be a valid number", error_code=400,
        error_dest="telemetry-writer", error_data=None, attempts=1,
        attributes={"partitionkey": sat}, body='{"battery": "flat"}', body_encoding="utf-8",
        body_bytes=19, body_truncated=False, event_time=None,
        dead_lettered_at=datetime.now(UTC),
    )  # fmt: skip
    with ConnectionPool(settings.pg_dsn, min_size=1, max_size=1) as pool:
        dead_letters.insert_rows(pool, [row])
    answer = api.get(
        "/api/v1/search/results",
        params={"q": "battery valid number", "kind": "dead_letter", "satellite": sat},
    )
    assert answer.status_code == 200, answer.text
    [hit] = answer.json()["items"]
    assert hit["kind"] == "dead_letter" and hit["satellite"] == sat
    assert "satellite-telemetry" in hit["title"] and "<mark>" in hit["snippet"]
