"""forecaster through functions-framework, with a fake forecaster object and fake VM/Kafka."""

import json
from datetime import UTC, datetime

import pytest
from functions_framework import create_app

from satmon.clients.vm import Series
from satmon.contract.events import (
    TOPIC_REQUESTS,
    TOPIC_RESULTS,
    TYPE_FORECAST_COMPLETED,
    format_time,
)
from satmon.fnhost import clients
from satmon.fnhost.host import create_function_app
from satmon.settings import REPO_ROOT
from tests.fakes import FakeForecaster, FakeProducer, FakeVictoriaMetrics

SOURCE = str(REPO_ROOT / "functions" / "forecaster" / "main.py")
T0 = 1_795_860_000_000
REQUEST = {"satellite_id": "SAT-001", "metric": "temperature", "model": "transformer"}


@pytest.fixture
def fakes(monkeypatch):
    vm, producer, model = FakeVictoriaMetrics(), FakeProducer(), FakeForecaster()
    vm.series[("SAT-001", "temperature")] = Series(
        {}, [float(i) for i in range(30)], [T0 + 1000 * i for i in range(30)]
    )
    monkeypatch.setattr(clients, "victoria_metrics", lambda: vm)
    monkeypatch.setattr(clients, "producer", lambda: producer)
    monkeypatch.setattr(clients, "forecast_model", lambda: model)
    return vm, producer, model


@pytest.fixture(params=["functions-framework", "satmon-host"])
def client(request, fakes):
    if request.param == "functions-framework":
        return create_app("forecast_series", SOURCE, "cloudevent").test_client()
    return create_function_app(SOURCE, "forecast_series").test_client()


def binary(event_type="io.satmon.forecast.requested.v1", event_id="job-1"):
    return {
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-source": "/api",
        "ce-type": event_type,
        "Content-Type": "application/json",
    }


def results(producer, topic=TOPIC_RESULTS):
    return [
        (dict(r["headers"])["ce_type"].decode(), json.loads(r["value"]))
        for r in producer.records
        if r["topic"] == topic
    ]


def test_request_publishes_started_then_completed(client, fakes):
    _, producer, model = fakes
    response = client.post("/", headers=binary(), data=json.dumps(REQUEST))
    assert response.status_code == 200
    published = results(producer)
    assert [t for t, _ in published] == ["io.satmon.forecast.started.v1", TYPE_FORECAST_COMPLETED]
    data = published[-1][1]
    assert data["input_window"] == [float(i) for i in range(10, 30)]
    assert data["predictions"] == [29.0] * 10
    assert model.calls == [("transformer_timeseries", (1, 20))]


def test_redelivered_request_gives_the_same_result_ids(client, fakes):
    _, producer, _ = fakes
    for _ in range(2):
        client.post("/", headers=binary(), data=json.dumps(REQUEST))
    ids = [dict(r["headers"])["ce_id"] for r in producer.records]
    assert ids[:2] == ids[2:]


def test_structured_tick_queues_jobs(client, fakes):
    _, producer, model = fakes
    tick = {
        "specversion": "1.0",
        "id": "t-1",
        "source": "/pingsources/forecast",
        "type": "dev.knative.sources.ping",
        "time": format_time(datetime.now(UTC)),
        "data": {"message": "tick"},
    }
    response = client.post(
        "/", headers={"Content-Type": "application/cloudevents+json"}, data=json.dumps(tick)
    )
    assert response.status_code == 200
    assert len(results(producer, TOPIC_REQUESTS)) == 7 * 2
    assert model.calls == []


def test_malformed_request_is_400(client, fakes):
    response = client.post("/", headers=binary(), data=json.dumps({"metric": "battery"}))
    assert response.status_code == 400
    assert response.json["field"] == "data.satellite_id"


def test_kafka_down_is_503(client, fakes):
    fakes[1].fail_with = "broker down"
    response = client.post("/", headers=binary(), data=json.dumps(REQUEST))
    assert response.status_code == 503


def test_batch_shares_one_model_call(fakes):
    _, _, model = fakes
    client = create_function_app(SOURCE, "forecast_series").test_client()
    batch = [
        {
            "specversion": "1.0",
            "id": f"j{i}",
            "source": "/api",
            "type": "io.satmon.forecast.requested.v1",
            "data": REQUEST,
        }
        for i in range(4)
    ]
    batch.append(
        {
            "specversion": "1.0",
            "id": "bad",
            "source": "/api",
            "type": "io.satmon.forecast.requested.v1",
            "data": {"metric": "mass"},
        }
    )
    response = client.post(
        "/", headers={"Content-Type": "application/cloudevents-batch+json"}, data=json.dumps(batch)
    )
    assert response.status_code == 200
    assert response.json["accepted"] == 4
    assert [r["id"] for r in response.json["rejected"]] == ["bad"]
    assert model.calls == [("transformer_timeseries", (4, 20))]
