"""forecaster against the real VictoriaMetrics and Kafka: a tick queues jobs for active
satellites; a request is answered on inference.results (needs Triton + triton_io)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from satmon.contract.events import TOPIC_REQUESTS, TOPIC_RESULTS, Telemetry, from_kafka
from satmon.fnhost import clients
from satmon.fnhost.host import create_function_app
from satmon.settings import REPO_ROOT
from tests.integration.kafka_reading import consumer_at_end

pytestmark = pytest.mark.integration

SOURCE = str(REPO_ROOT / "functions" / "forecaster" / "main.py")


def write_history(vm, sat: str, n: int = 30) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    vm.write_telemetry(
        [
            Telemetry(
                satellite_id=sat,
                timestamp=now - timedelta(seconds=n - i),
                temperature=float(i),
                altitude=420.0 + i,
                velocity=7.7,
                battery=3.5 + i / 100,
                solar_power=50.0,
                latitude=10.0,
                longitude=20.0,
            )
            for i in range(n)
        ]
    )
    vm.flush_search_cache()


def drain(consumer, seconds: float = 8.0) -> list:
    """Every event that arrives within ``seconds`` (other writers share the topic)."""
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for msg in consumer.consume(num_messages=1000, timeout=0.25):
            if not msg.error():
                out.append(from_kafka(msg.topic(), msg.key(), msg.value(), msg.headers()))
    return out


def test_tick_queues_jobs_for_an_active_satellite(vm, kafka_bootstrap) -> None:
    sat = f"TEST-{uuid.uuid4().hex[:6]}"
    write_history(vm, sat)
    clients.producer.reset()  # type: ignore[attr-defined]
    client = create_function_app(SOURCE, "forecast_series").test_client()
    consumer = consumer_at_end(TOPIC_REQUESTS)
    # a time of its own: the live stack's PingSource may tick (on the minute) while this
    # drains, and its jobs for this active satellite carry that tick's time
    fired = datetime.now(UTC)
    tick = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/tests/ping",
        "type": "dev.knative.sources.ping",
        "time": fired.isoformat().replace("+00:00", "Z"),
        "data": {},
    }
    try:
        response = client.post(
            "/", headers={"Content-Type": "application/cloudevents+json"}, data=json.dumps(tick)
        )
        assert response.status_code == 200
        queued = [
            e
            for e in drain(consumer)
            if e.get_data().get("satellite_id") == sat
            and datetime.fromisoformat(e.get_data()["requested_at"].replace("Z", "+00:00")) == fired
        ]
    finally:
        consumer.close()
    assert len(queued) == 7 * 2
    assert {(e.get_data()["metric"], e.get_data()["model"]) for e in queued} == {
        (m, model)
        for m in (
            "temperature",
            "altitude",
            "velocity",
            "battery",
            "solar_power",
            "latitude",
            "longitude",
        )
        for model in ("vae_timeseries", "transformer_timeseries")
    }


@pytest.mark.parametrize("model", ["vae_timeseries", "transformer_timeseries"])
def test_request_is_forecast_by_triton(vm, kafka_bootstrap, model) -> None:
    sat = f"TEST-{uuid.uuid4().hex[:6]}"
    write_history(vm, sat)
    clients.producer.reset()  # type: ignore[attr-defined]
    client = create_function_app(SOURCE, "forecast_series").test_client()
    consumer = consumer_at_end(TOPIC_RESULTS)
    job = uuid.uuid4().hex
    request = {
        "specversion": "1.0",
        "id": job,
        "source": "/tests",
        "type": "io.satmon.forecast.requested.v1",
        "data": {"satellite_id": sat, "metric": "altitude", "model": model},
    }
    try:
        response = client.post(
            "/", headers={"Content-Type": "application/cloudevents+json"}, data=json.dumps(request)
        )
        assert response.status_code == 200, response.data
        mine = [e for e in drain(consumer) if e.get_data().get("job_id") == job]
    finally:
        consumer.close()
    assert [e["type"] for e in mine][-1] == "io.satmon.forecast.completed.v1"
    data = mine[-1].get_data()
    assert len(data["predictions"]) == 10
    assert data["input_window"] == [420.0 + i for i in range(10, 30)]
