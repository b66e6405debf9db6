"""``/inference``: a submit reaches Kafka before its 202 and completes through the real
forecaster and Triton; its result shows the model's window and forecast."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from satmon.clients.vm import VictoriaMetrics, metric_selector
from satmon.contract.events import TOPIC_REQUESTS, TYPE_FORECAST_REQUESTED
from tests.integration.api.conftest import wait_for
from tests.integration.kafka_reading import consumer_at_end

pytestmark = pytest.mark.integration
SUBMIT = "/api/v1/inference/submit"


def test_submit_is_on_kafka_when_answered_and_completes_with_its_forecast(
    api: TestClient, token_headers: dict[str, str], recent_telemetry: list[str], vm: VictoriaMetrics
) -> None:
    consumer = consumer_at_end(TOPIC_REQUESTS)
    try:
        answer = api.post(
            SUBMIT,
            json={"satellite": "SAT-001", "metric": "temperature", "model": "vae"},
            headers=token_headers,
        )
        assert answer.status_code == 202, answer.text
        job = answer.json()
        assert job["status"] == "queued" and job["model"] == "vae_timeseries"
        assert answer.headers["location"] == f"/api/v1/inference/result/{job['job_id']}"
        # 202 means Kafka acknowledged it: the record is already on the topic
        record = _find(consumer, job["job_id"])
        assert dict(record.headers())["ce_type"] == TYPE_FORECAST_REQUESTED.encode()
    finally:
        consumer.close()

    first = api.get(answer.headers["location"])
    assert first.status_code == 200 and first.json()["status"] in ("queued", "running", "completed")
    done = wait_for(
        lambda: _finished(api, answer.headers["location"]), 90, "the job to complete", 0.5
    )
    assert done["status"] == "completed", done["error"]
    assert len(done["input"]) == 20 and len(done["forecast"]) == 10
    # the window is what VictoriaMetrics holds for those timestamps
    stamps = [p["timestamp"] for p in done["input"]]
    series = vm.export(
        metric_selector("temperature", "SAT-001"),
        start=_seconds(stamps[0]) - 0.001,
        end=_seconds(stamps[-1]),
    )[0]
    stored = dict(zip(series.timestamps, series.values, strict=True))
    assert [stored[int(_seconds(t) * 1000)] for t in stamps] == [p["value"] for p in done["input"]]
    forecast_times = [_seconds(p["timestamp"]) for p in done["forecast"]]
    assert forecast_times == sorted(forecast_times) and forecast_times[0] > _seconds(stamps[-1])
    assert all(p["lower"] <= p["upper"] for p in done["forecast"])  # the VAE band
    assert done["anomaly_score"] is not None and done["latency_ms"] > 0
    assert done["forecast_source"] in ("model", "persistence", "line")


def test_transformer_job_has_no_band(
    api: TestClient, token_headers: dict[str, str], recent_telemetry: list[str]
) -> None:
    answer = api.post(
        SUBMIT,
        json={"satellite": "SAT-002", "metric": "battery", "model": "transformer_timeseries"},
        headers=token_headers,
    )
    assert answer.status_code == 202, answer.text
    done = wait_for(lambda: _finished(api, answer.headers["location"]), 90, "completion", 0.5)
    assert done["status"] == "completed", done["error"]
    assert [p["lower"] for p in done["forecast"]] == [None] * 10


def test_idempotency_key_answers_the_same_job_and_refuses_another_request(
    api: TestClient, token_headers: dict[str, str], recent_telemetry: list[str]
) -> None:
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}", **token_headers}
    body = {"satellite": "SAT-003", "metric": "altitude", "model": "vae_timeseries"}
    first = api.post(SUBMIT, json=body, headers=key)
    again = api.post(SUBMIT, json=body, headers=key)
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    other = api.post(SUBMIT, json={**body, "metric": "velocity"}, headers=key)
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["field"] == "header.Idempotency-Key"


def test_unknown_satellite_metric_or_model_is_422_naming_field_and_allowed_values(
    api: TestClient, token_headers: dict[str, str], recent_telemetry: list[str]
) -> None:
    sat = api.post(
        SUBMIT,
        json={"satellite": "NOPE-1", "metric": "temperature", "model": "vae"},
        headers=token_headers,
    )
    assert sat.status_code == 422
    assert sat.json()["field"] == "body.satellite"
    detail = sat.json()["detail"]
    assert detail.startswith("unknown satellite 'NOPE-1'; known: ")
    # the first 20 known ids by name; a stack that has run the benchmarks knows hundreds
    assert "SAT-001" in detail or " more (GET /api/v1/trends/satellites lists them)" in detail
    metric = api.post(
        SUBMIT, json={"satellite": "SAT-001", "metric": "pressure", "model": "vae"},
        headers=token_headers,
    )  # fmt: skip
    assert metric.status_code == 422 and metric.json()["field"] == "body.metric"
    assert "'temperature'" in metric.json()["detail"] and "'longitude'" in metric.json()["detail"]
    model = api.post(
        SUBMIT, json={"satellite": "SAT-001", "metric": "battery", "model": "arima"},
        headers=token_headers,
    )  # fmt: skip
    assert model.status_code == 422 and model.json()["field"] == "body.model"
    assert "'vae_timeseries'" in model.json()["detail"]


def test_writes_need_the_token(api: TestClient) -> None:
    body = {"satellite": "SAT-001", "metric": "temperature", "model": "vae"}
    missing = api.post(SUBMIT, json=body)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = api.post(SUBMIT, json=body, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]


def test_unknown_job_is_404(api: TestClient) -> None:
    answer = api.get("/api/v1/inference/result/no-such-job' OR '1'='1")
    assert answer.status_code == 404
    assert answer.json()["field"] == "path.job_id"


def _finished(api: TestClient, location: str) -> dict | None:
    body = api.get(location).json()
    return body if body["status"] in ("completed", "failed") else None


def _seconds(rfc3339: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def _find(consumer, job_id: str):  # type: ignore[no-untyped-def]
    def seen():  # type: ignore[no-untyped-def]
        for message in consumer.consume(100, timeout=0.5):
            if (
                message.error() is None
                and dict(message.headers() or []).get("ce_id") == job_id.encode()
            ):
                return message
        return None

    return wait_for(seen, 15, f"job {job_id} on {TOPIC_REQUESTS}", every_s=0)
