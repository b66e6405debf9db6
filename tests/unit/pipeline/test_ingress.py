"""Ingress logic: auth, methods, modes, schema errors naming the field, dedupe, acks, overload."""

import json

import pytest

from satmon.clients.kafka_limits import RecordLimit
from satmon.clients.transactions import TransactionalProducers
from satmon.contract.events import TOPIC_REQUESTS, TOPIC_TELEMETRY, from_kafka
from satmon.contract.http import BATCH_JSON, HttpProblem, decode_structured
from satmon.pipeline.ingress import Ingress, IngressSettings, route_event
from satmon.pipeline.ingress_limits import check_records
from satmon.store.dedupe import MemoryDedupe
from tests.fakes import FakeProducer
from tests.samples import CONTRACT_TELEMETRY

TOKEN = "test-token-123"
TELEMETRY = dict(CONTRACT_TELEMETRY)


def binary_headers(event_id="e-1", event_type="io.satmon.telemetry.v1", **extra):
    return {
        "Authorization": f"Bearer {TOKEN}",
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-source": "/satellites/SAT-001",
        "ce-type": event_type,
        "Content-Type": "application/json",
        **extra,
    }


@pytest.fixture
def producer():
    return FakeProducer()


def make_ingress(producer, **settings):
    batches = TransactionalProducers({}, factory=lambda _config: producer)
    return Ingress(producer, MemoryDedupe(), TOKEN, IngressSettings(**settings), batches=batches)


@pytest.fixture
def ingress(producer):
    return make_ingress(producer, max_in_flight=4)


def post(ingress, headers, body):
    text, status, out_headers = ingress.handle("POST", headers, body)
    return status, json.loads(text) if text else None, out_headers


def test_binary_telemetry_is_produced_then_202(ingress, producer):
    status, body, _ = post(ingress, binary_headers(), json.dumps(TELEMETRY).encode())
    assert (status, body) == (202, {"accepted": 1, "duplicates": 0})
    [record] = producer.records
    assert record["topic"] == TOPIC_TELEMETRY
    assert record["key"] == b"SAT-001"
    event = from_kafka(
        record["topic"], record["key"], record["value"], list(record["headers"].items())
    )
    assert event["id"] == "e-1"
    assert event.get_data()["battery"] == 3.91


def test_duplicate_is_a_2xx_noop(ingress, producer):
    body = json.dumps(TELEMETRY).encode()
    assert post(ingress, binary_headers(), body)[0] == 202
    status, answer, _ = post(ingress, binary_headers(), body)
    assert (status, answer) == (200, {"accepted": 0, "duplicates": 1})
    assert len(producer.records) == 1


def test_structured_forecast_request_goes_to_inference_requests(ingress, producer):
    event = {
        "specversion": "1.0",
        "id": "job-7",
        "source": "/integrators/acme",
        "type": "io.satmon.forecast.requested.v1",
        "data": {"satellite_id": "SAT-001", "metric": "battery", "model": "vae"},
    }
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cloudevents+json"}
    status, _, _ = post(ingress, headers, json.dumps(event).encode())
    assert status == 202
    [record] = producer.records
    assert record["topic"] == TOPIC_REQUESTS
    data = json.loads(record["value"])
    assert data["job_id"] == "job-7"
    assert data["model"] == "vae_timeseries"


def test_batch_is_all_or_nothing_with_the_index_in_field(ingress, producer):
    good = {
        "specversion": "1.0",
        "id": "a",
        "source": "/s",
        "type": "io.satmon.telemetry.v1",
        "data": TELEMETRY,
    }
    bad = dict(good, id="b", data=dict(TELEMETRY, latitude=123.0))
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": "application/cloudevents-batch+json",
    }
    status, problem, out = post(ingress, headers, json.dumps([good, bad]).encode())
    assert (status, problem["field"]) == (400, "[1].data.latitude")
    assert out["Content-Type"] == "application/problem+json"
    assert producer.records == []
    status, answer, _ = post(ingress, headers, json.dumps([good, dict(good, id="c")]).encode())
    assert (status, answer) == (202, {"accepted": 2, "duplicates": 0})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"battery": "full"}, "data.battery"),
        ({"satellite_id": ""}, "data.satellite_id"),
        ({"timestamp": "2026-11-28T10:00:00"}, "data.timestamp"),
        ({"extra": 1}, "data.extra"),
    ],
)
def test_schema_failures_are_400_naming_the_field(ingress, change, field):
    status, problem, _ = post(ingress, binary_headers(), json.dumps(TELEMETRY | change).encode())
    assert (status, problem["field"]) == (400, field)


def test_unknown_type_and_non_json_data_are_400(ingress):
    status, problem, _ = post(ingress, binary_headers(event_type="com.example.x"), b"{}")
    assert (status, problem["field"]) == (400, "type")
    headers = binary_headers(**{"Content-Type": "text/plain"})
    status, problem, _ = post(ingress, headers, b"hello")
    assert (status, problem["field"]) == (400, "datacontenttype")


def test_unknown_model_is_400(ingress):
    data = {"satellite_id": "SAT-001", "metric": "battery", "model": "gpt"}
    headers = binary_headers(event_type="io.satmon.forecast.requested.v1")
    status, problem, _ = post(ingress, headers, json.dumps(data).encode())
    assert (status, problem["field"]) == (400, "data.model")


def test_methods_auth_and_content_types(ingress):
    _, status, headers = ingress.handle("GET", {}, b"")
    assert (status, headers["Allow"]) == (405, "POST")
    no_token = {k: v for k, v in binary_headers().items() if k != "Authorization"}
    status, _, headers = post(ingress, no_token, b"{}")
    assert status == 401 and "Bearer" in headers["WWW-Authenticate"]
    status, problem, _ = post(ingress, binary_headers(Authorization="Bearer nope"), b"{}")
    assert (status, problem["field"]) == (403, "Authorization")
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cloudevents+xml"}
    assert post(ingress, headers, b"<e/>")[0] == 415


def test_batches_refused_when_disabled(producer):
    ingress = make_ingress(producer, accept_batch=False)
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": "application/cloudevents-batch+json",
    }
    assert post(ingress, headers, b"[]")[0] == 415


def test_full_producer_queue_is_429_with_retry_after():
    ingress = Ingress(FakeProducer(queue_full=True), MemoryDedupe(), TOKEN)
    status, _, headers = post(ingress, binary_headers(), json.dumps(TELEMETRY).encode())
    assert (status, headers["Retry-After"]) == (429, "1")


def test_kafka_failure_is_503_and_not_remembered():
    producer = FakeProducer(fail_with="broker down")
    ingress = Ingress(producer, MemoryDedupe(), TOKEN)
    body = json.dumps(TELEMETRY).encode()
    status, _, headers = post(ingress, binary_headers(), body)
    assert status == 503 and "Retry-After" in headers
    producer.fail_with = None
    assert post(ingress, binary_headers(), body)[0] == 202


def test_unacknowledged_event_times_out_as_503():
    settings = IngressSettings(produce_timeout_s=0.1)
    ingress = Ingress(FakeProducer(never_ack=True), MemoryDedupe(), TOKEN, settings)
    assert post(ingress, binary_headers(), json.dumps(TELEMETRY).encode())[0] == 503


def test_too_many_in_flight_is_429(ingress):
    for _ in range(4):
        ingress._slots.acquire()
    assert post(ingress, binary_headers(), json.dumps(TELEMETRY).encode())[0] == 429


# --- the size limit, all-or-nothing batches, the webhook handshake -----------------------


def batch_headers():
    return {"Authorization": f"Bearer {TOKEN}", "Content-Type": BATCH_JSON}


def structured_event(event_id, **extensions):
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "/satellites/SAT-001",
        "type": "io.satmon.telemetry.v1",
        "data": TELEMETRY,
        **extensions,
    }


def test_a_body_over_the_kafka_limit_is_413_naming_it(producer):
    limit = RecordLimit(2_000, "topic t's max.message.bytes (3,048 bytes) less record framing")
    batches = TransactionalProducers({}, factory=lambda _config: producer)
    ingress = Ingress(producer, MemoryDedupe(), TOKEN, batches=batches, kafka_limit=lambda: limit)
    status, problem, headers = post(ingress, binary_headers(), b" " * 2_001)
    assert (status, problem["field"], problem["limit_bytes"]) == (413, "body", 2_000)
    assert "2,000 bytes, topic t's max.message.bytes" in problem["detail"]
    assert headers["Content-Type"] == "application/problem+json"
    _, status, _ = ingress.handle("POST", binary_headers(), None)  # left unread: too long
    assert status == 413
    assert producer.records == []


def test_a_configured_cap_lowers_the_limit_only(producer):
    ingress = make_ingress(producer, max_body_bytes=500)
    assert (ingress.body_limit().max_bytes, ingress.body_limit().source) == (
        500,
        "SATMON_INGRESS_MAX_BODY_BYTES (500 bytes)",
    )
    assert make_ingress(producer, max_body_bytes=10**9).body_limit().max_bytes == 1_000_000


def test_attributes_count_towards_the_limit_as_kafka_headers(producer):
    limit = RecordLimit(4_000, "the producer's message.max.bytes (4,000 bytes)")
    ingress = Ingress(producer, MemoryDedupe(), TOKEN, kafka_limit=lambda: limit)
    body = json.dumps(TELEMETRY).encode()  # a few hundred bytes: under the body limit
    headers = binary_headers(**{"ce-padding": "x" * 3_900})
    status, problem, _ = post(ingress, headers, body)
    assert (status, problem["limit_bytes"]) == (413, 4_000)
    assert "event would be a Kafka record of 4,2" in problem["detail"]
    assert producer.records == []


def test_a_batch_is_measured_whole_and_the_first_record_over_is_named():
    limit = RecordLimit(1_000, "the producer's message.max.bytes (1,000 bytes)")
    small, big = (structured_event("a"), structured_event("b", padding="x" * 1_000))
    records = [route_event(decode_structured(e)) for e in (small, small, big)]
    with pytest.raises(HttpProblem) as caught:
        check_records(records, limit, batch=True)
    assert (caught.value.status, caught.value.field) == (413, "[2]")


def test_a_batch_is_one_transaction_and_a_failed_commit_leaves_nothing(producer):
    ingress = make_ingress(producer)
    events = [structured_event(f"t-{i}") for i in range(3)]
    producer.fail_with = "broker gone"
    status, problem, headers = post(ingress, batch_headers(), json.dumps(events).encode())
    assert (status, headers["Retry-After"]) == (503, "1")
    assert "rolled back" in problem["detail"]
    assert (producer.records, len(producer.aborted)) == ([], 3)
    producer.fail_with = None
    status, answer, _ = post(ingress, batch_headers(), json.dumps(events).encode())
    assert (status, answer) == (202, {"accepted": 3, "duplicates": 0})  # nothing remembered
    assert (len(producer.records), producer.committed) == (3, 1)


def test_a_record_kafka_refuses_by_size_is_413_not_a_retry():
    from confluent_kafka import KafkaError

    producer = FakeProducer(fail_with=KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "too large"))
    status, problem, _ = post(
        make_ingress(producer), binary_headers(), json.dumps(TELEMETRY).encode()
    )
    assert status == 413
    assert "nothing of this request is in Kafka" in problem["detail"]


def test_attribute_values_must_be_printable_in_structured_mode_too(ingress, producer):
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cloudevents+json"}
    event = structured_event("c-1", comment="bell\u0007")
    status, problem, _ = post(ingress, headers, json.dumps(event).encode())
    assert (status, problem["field"]) == (400, "comment")
    assert producer.records == []


def test_webhook_handshake_and_health(producer):
    ingress = make_ingress(producer, webhook_allowed_origins=["sender.example.com"])
    _, status, headers = ingress.handle(
        "OPTIONS", {"WebHook-Request-Origin": "sender.example.com"}, b""
    )
    assert (status, headers["WebHook-Allowed-Origin"]) == (200, "sender.example.com")
    _, status, _ = ingress.handle("OPTIONS", {"WebHook-Request-Origin": "x.example.org"}, b"")
    assert status == 403
    assert ingress.handle("GET", {}, b"", "/_/health")[1] == 200
    assert ingress.handle("GET", {}, b"", "/other")[1] == 405


def test_webhook_origins_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SATMON_INGRESS_WEBHOOK_ALLOWED_ORIGINS", "a.example.com, b.example.com")
    assert IngressSettings().webhook_allowed_origins == ["a.example.com", "b.example.com"]
    monkeypatch.setenv("SATMON_INGRESS_WEBHOOK_ALLOWED_ORIGINS", '["*"]')
    assert IngressSettings().webhook_allowed_origins == ["*"]


def test_a_member_named_twice_is_a_400_naming_it(ingress, producer):
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cloudevents+json"}
    body = json.dumps(structured_event("d-1"))[:-1] + ', "id": "d-2"}'
    status, problem, _ = post(ingress, headers, body.encode())
    assert (status, problem["field"]) == (400, "id")
    assert "appears twice" in problem["detail"]
    data = json.dumps(TELEMETRY)[:-1] + ', "battery": "full"}'
    status, problem, _ = post(ingress, binary_headers(), data.encode())
    assert (status, problem["field"]) == (400, "battery")
    assert producer.records == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"temperature": -300.0}, "data.temperature"),
        ({"velocity": 12.5}, "data.velocity"),
        ({"battery": True}, "data.battery"),
        ({"altitude": "420"}, "data.altitude"),
    ],
)
def test_impossible_values_and_numbers_in_disguise_are_400(ingress, change, field):
    status, problem, _ = post(ingress, binary_headers(), json.dumps(TELEMETRY | change).encode())
    assert (status, problem["field"]) == (400, field)
