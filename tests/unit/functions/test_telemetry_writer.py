"""telemetry-writer through functions-framework (plain ff and the satmon batch host)."""

import json

import pytest
from functions_framework import create_app

from satmon.fnhost import clients
from satmon.fnhost.host import create_function_app
from satmon.pipeline import telemetry_body
from satmon.settings import REPO_ROOT
from tests.fakes import FakeVictoriaMetrics
from tests.samples import CONTRACT_TELEMETRY

SOURCE = str(REPO_ROOT / "functions" / "telemetry-writer" / "main.py")
TELEMETRY = dict(CONTRACT_TELEMETRY)
BINARY = {
    "ce-specversion": "1.0",
    "ce-id": "e-1",
    "ce-source": "/satellites/SAT-001",
    "ce-type": "io.satmon.telemetry.v1",
    "Content-Type": "application/json",
}


def structured(event_id, data):
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "/satellites/SAT-001",
        "type": "io.satmon.telemetry.v1",
        "datacontenttype": "application/json",
        "data": data,
    }


@pytest.fixture
def vm(monkeypatch):
    fake = FakeVictoriaMetrics()
    monkeypatch.setattr(clients, "victoria_metrics", lambda: fake)
    return fake


@pytest.fixture(params=["compiled-scan", "python-path"])
def batch_path(request, monkeypatch):
    """Batches through the compiled scan (where built) and through the parsed items path."""
    if request.param == "compiled-scan" and not telemetry_body.COMPILED:
        pytest.skip("the C scan is not built")
    if request.param == "python-path":
        monkeypatch.setattr(telemetry_body, "_telemetry_scan", None)
    return request.param


@pytest.fixture(params=["functions-framework", "satmon-host"])
def client(request, vm):
    if request.param == "functions-framework":
        app = create_app("write_telemetry", SOURCE, "cloudevent")
    else:
        app = create_function_app(SOURCE, "write_telemetry")
    return app.test_client()


def test_binary_event_is_written(client, vm):
    response = client.post("/", headers=BINARY, data=json.dumps(TELEMETRY))
    assert response.status_code == 200
    assert len(vm.samples) == 7


def test_structured_event_is_written(client, vm):
    response = client.post(
        "/",
        headers={"Content-Type": "application/cloudevents+json"},
        data=json.dumps(structured("s-1", TELEMETRY)),
    )
    assert response.status_code == 200
    assert vm.samples[("altitude", "SAT-001", 1_795_860_000_000)] == 421.7


def test_duplicate_is_2xx_and_leaves_one_sample_per_series(client, vm):
    for _ in range(2):
        assert client.post("/", headers=BINARY, data=json.dumps(TELEMETRY)).status_code == 200
    assert len(vm.samples) == 7


def test_schema_failure_is_400_problem_naming_the_field(client, vm):
    response = client.post("/", headers=BINARY, data=json.dumps(TELEMETRY | {"battery": "x"}))
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.json["field"] == "data.battery"
    assert vm.samples == {}


def test_outage_is_503_with_retry_after(client, vm):
    vm.down = True
    response = client.post("/", headers=BINARY, data=json.dumps(TELEMETRY))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"


def test_batch_writes_good_events_in_one_import_and_lists_rejects(vm, batch_path):
    client = create_function_app(SOURCE, "write_telemetry").test_client()
    events = [
        structured(str(i), TELEMETRY | {"timestamp": f"2026-11-28T10:00:{i:02d}.000Z"})
        for i in range(50)
    ]
    events[7] = structured("7", TELEMETRY | {"longitude": 500})
    events.append({"id": "x", "source": "/s"})
    response = client.post(
        "/", headers={"Content-Type": "application/cloudevents-batch+json"}, data=json.dumps(events)
    )
    assert response.status_code == 200
    body = response.json
    assert body["accepted"] == 49
    assert [(r["index"], r["id"], r["status"], r["field"]) for r in body["rejected"]] == [
        (7, "7", 400, "data.longitude"),
        (50, "x", 400, "specversion"),
    ]
    assert vm.imports == 1
    assert len(vm.samples) == 49 * 7


def test_batch_during_outage_is_503_as_a_whole(vm, batch_path):
    vm.down = True
    client = create_function_app(SOURCE, "write_telemetry").test_client()
    response = client.post(
        "/",
        headers={"Content-Type": "application/cloudevents-batch+json"},
        data=json.dumps([structured("1", TELEMETRY)]),
    )
    assert response.status_code == 503


def test_batch_not_json_array_is_400_and_disabled_is_415(vm, batch_path):
    client = create_function_app(SOURCE, "write_telemetry").test_client()
    headers = {"Content-Type": "application/cloudevents-batch+json"}
    assert client.post("/", headers=headers, data="{}").status_code == 400
    off = create_function_app(SOURCE, "write_telemetry", accept_batch=False).test_client()
    assert off.post("/", headers=headers, data="[]").status_code == 415


def test_get_is_405(vm):
    client = create_function_app(SOURCE, "write_telemetry").test_client()
    assert client.get("/").status_code == 405


def test_health_paths_answer_get(vm):
    client = create_function_app(SOURCE, "write_telemetry").test_client()
    for path in ("/_/health", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert client.get("/other").status_code == 405
    assert not vm.samples
