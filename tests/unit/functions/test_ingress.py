"""ingress through functions-framework's http signature, in-process."""

import json

import pytest
from functions_framework import create_app

from satmon.contract.events import TOPIC_TELEMETRY
from satmon.settings import REPO_ROOT, get_settings
from tests.samples import CONTRACT_TELEMETRY

SOURCE = str(REPO_ROOT / "functions" / "ingress" / "main.py")
TELEMETRY = dict(CONTRACT_TELEMETRY)


@pytest.fixture
def producer(ingress_producer):
    return ingress_producer


@pytest.fixture
def client(producer):
    return create_app("ingest_cloudevent", SOURCE, "http").test_client()


def auth():
    return {"Authorization": f"Bearer {get_settings().api_token}"}


def binary(event_id="e-1"):
    return auth() | {
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-source": "/satellites/SAT-001",
        "ce-type": "io.satmon.telemetry.v1",
        "Content-Type": "application/json",
    }


def test_binary_202_after_kafka_ack_then_duplicate_200(client, producer):
    response = client.post("/", headers=binary(), data=json.dumps(TELEMETRY))
    assert response.status_code == 202
    assert [r["topic"] for r in producer.records] == [TOPIC_TELEMETRY]
    again = client.post("/", headers=binary(), data=json.dumps(TELEMETRY))
    assert (again.status_code, again.json["duplicates"]) == (200, 1)
    assert len(producer.records) == 1


def test_structured_and_batched(client, producer):
    event = {
        "specversion": "1.0",
        "id": "s-1",
        "source": "/satellites/SAT-001",
        "type": "io.satmon.telemetry.v1",
        "data": TELEMETRY,
    }
    response = client.post(
        "/",
        headers=auth() | {"Content-Type": "application/cloudevents+json"},
        data=json.dumps(event),
    )
    assert response.status_code == 202
    batch = [dict(event, id=f"b-{i}") for i in range(3)]
    response = client.post(
        "/",
        headers=auth() | {"Content-Type": "application/cloudevents-batch+json"},
        data=json.dumps(batch),
    )
    assert (response.status_code, response.json["accepted"]) == (202, 3)
    assert len(producer.records) == 4


def test_errors_are_problem_json(client, producer):
    response = client.post("/", headers=binary(), data=json.dumps(TELEMETRY | {"altitude": []}))
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.json["field"] == "data.altitude"
    assert client.get("/").status_code == 405
    assert client.put("/", headers=binary(), data="{}").status_code == 405
    headers = {k: v for k, v in binary().items() if k != "Authorization"}
    assert client.post("/", headers=headers, data=json.dumps(TELEMETRY)).status_code == 401
    assert (
        client.post(
            "/", headers=binary() | {"Authorization": "Bearer wrong"}, data=json.dumps(TELEMETRY)
        ).status_code
        == 403
    )
    xml = auth() | {"Content-Type": "application/cloudevents+xml"}
    assert client.post("/", headers=xml, data="<e/>").status_code == 415
    assert producer.records == []


def test_kafka_down_is_503(client, producer):
    producer.fail_with = "all brokers down"
    response = client.post("/", headers=binary(), data=json.dumps(TELEMETRY))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
