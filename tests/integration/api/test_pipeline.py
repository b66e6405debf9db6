"""``/pipeline``: rates, lag, dead letters, functions and models, read from the real Kafka,
the stack's functions and Triton. A poison event sent through the real pipeline must
come back as a dead letter with its reason and body."""

from __future__ import annotations

import time
import uuid

import orjson
import pytest
from fastapi.testclient import TestClient

from satmon.api import create_app
from satmon.clients.kafka import make_producer
from satmon.contract.events import TOPIC_TELEMETRY
from satmon.settings import Settings
from tests.integration.api.conftest import closed_port, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def poison(settings: Settings, kafka_bootstrap: str) -> str:
    """A telemetry value the writer can never store (no valid timestamp), produced on
    the telemetry topic; its marker finds it again among the dead letters."""
    marker = f"poison-{uuid.uuid4().hex[:12]}"
    producer = make_producer(settings)
    body = {"satellite_id": "SAT-001", "timestamp": "not a time", "note": marker}
    producer.produce(TOPIC_TELEMETRY, key=b"SAT-001", value=orjson.dumps(body))
    assert producer.flush(10) == 0
    return marker


def test_topics_count_what_arrives(api: TestClient, settings: Settings) -> None:
    producer = make_producer(settings)
    before = _topic(api, "satellite-telemetry")
    for i in range(20):
        sample = {"satellite_id": "SAT-001", "timestamp": _now_iso(i), "temperature": 1.0}
        producer.produce(TOPIC_TELEMETRY, key=b"SAT-001", value=orjson.dumps(sample))
    assert producer.flush(10) == 0
    after = _topic(api, "satellite-telemetry")
    assert after["end_offset"] - before["end_offset"] >= 20
    assert after["arrived"] >= 20 and after["rate_per_s"] == pytest.approx(after["arrived"] / 60)
    assert after["partitions"] >= 1 and not after["dead_letter_topic"]
    assert _topic(api, "satellite-telemetry.dlq")["dead_letter_topic"]


def test_lag_per_subscription_of_the_manifests(api: TestClient) -> None:
    rows = api.get("/api/v1/pipeline/subscriptions").json()
    by_name = {(r["name"], r["topic"]): r for r in rows}
    writer = by_name[("telemetry-writer", "satellite-telemetry")]
    assert (
        writer["group"] == "satmon-telemetry-writer" and writer["subscriber"] == "telemetry-writer"
    )
    assert ("forecaster", "inference.requests") in by_name
    # the writer keeps up with a trickle: its lag drains to 0 (what it has not committed)
    caught_up = wait_for(
        lambda: _writer_lag(api) == 0, 60, "telemetry-writer's consumer lag back to 0"
    )
    assert caught_up


def test_a_poison_event_is_a_dead_letter_with_reason_and_body(api: TestClient, poison: str) -> None:
    # every subscriber of the topic (telemetry-writer :8082, alarm-evaluator :8085)
    # dead-letters the poison event on its own; the writer's letter is checked here
    def found() -> list[dict] | None:
        doc = api.get("/api/v1/pipeline/dead-letters", params={"limit": 500}).json()
        letters = [d for d in doc["recent"] if poison in d["body"]]
        subscribers = " ".join(str(d.get("subscriber")) for d in letters)
        return letters if ":8082" in subscribers and ":8085" in subscribers else None

    letters = wait_for(found, 90, f"dead letters of {poison} from both subscribers")
    letter = next(d for d in letters if ":8082" in str(d["subscriber"]))
    for each in letters:
        assert each["topic"] == "satellite-telemetry.dlq"
        assert each["original_topic"] == "satellite-telemetry"
        assert each["reason"], each
        assert orjson.loads(each["body"])["note"] == poison
    assert letter["reason"], letter
    doc = api.get("/api/v1/pipeline/dead-letters").json()
    assert doc["total"] >= 1 and doc["by_topic"]["satellite-telemetry.dlq"] >= 1
    assert any(r["original_topic"] == "satellite-telemetry" for r in doc["reasons"])

    functions = api.get("/api/v1/pipeline/functions").json()["functions"]
    writer = next(f for f in functions if f["name"] == "telemetry-writer")
    assert writer["up"] and writer["health"].startswith("200")
    assert writer["dead_lettered"] >= 1 and writer["arrived"] >= 1
    assert writer["error_rate"] == pytest.approx(writer["dead_lettered"] / writer["arrived"])


def test_triton_models_with_state_and_latency(
    api: TestClient, token_headers: dict[str, str], recent_telemetry: list[str]
) -> None:
    first = {m["name"]: m for m in api.get("/api/v1/pipeline/models").json()["models"]}
    assert first["vae_timeseries"]["state"] == "READY"
    assert first["transformer_timeseries"]["state"] == "READY"
    submitted = api.post(
        "/api/v1/inference/submit",
        json={"satellite": "SAT-001", "metric": "temperature", "model": "vae"},
        headers=token_headers,
    )
    assert submitted.status_code == 202, submitted.text
    job = submitted.json()["job_id"]
    wait_for(
        lambda: api.get(f"/api/v1/inference/result/{job}").json()["status"] == "completed",
        90,
        "the job through the forecaster and Triton",
    )
    later = {m["name"]: m for m in api.get("/api/v1/pipeline/models").json()["models"]}
    vae = later["vae_timeseries"]
    assert vae["inferences"] > first["vae_timeseries"]["inferences"]
    assert vae["mean_ms"] > 0 and vae["recent_inferences"] >= 1 and vae["recent_mean_ms"] > 0


def test_kafka_down_is_a_503_naming_it(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"kafka_bootstrap": f"127.0.0.1:{closed_port()}", "api_dependency_timeout_s": 1.0}
    )
    with TestClient(create_app(broken)) as client:
        answer = client.get("/api/v1/pipeline/topics")
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["dependency"] == "Kafka"


def _topic(api: TestClient, name: str) -> dict:
    answer = api.get("/api/v1/pipeline/topics", params={"window_s": 60})
    assert answer.status_code == 200, answer.text
    return next(t for t in answer.json()["topics"] if t["topic"] == name)


def _writer_lag(api: TestClient) -> int:
    rows = api.get("/api/v1/pipeline/subscriptions").json()
    return next(r["lag"] for r in rows if r["name"] == "telemetry-writer")


def _now_iso(offset_ms: int) -> str:
    moment = time.time() - 5 + offset_ms / 1000
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
        + f".{int(moment * 1000) % 1000:03d}Z"
    )
