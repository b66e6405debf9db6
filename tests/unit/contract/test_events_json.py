"""``contract.events.json_value``: the Kafka value decodes to what the stdlib's JSON did."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest

from satmon.contract.events import from_kafka, json_value, make_event, to_kafka


def _stdlib(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    "data",
    [
        {"job_id": "a-1", "metric": "temperature", "requested_at": "2026-12-03T11:56:15.2Z"},
        {"values": [1e16, 1e-07, 0.1, -0.0, 5e-324, 1.7976931348623157e308, 3, -7]},
        {"text": "température °C ✓", "nested": {"list": [True, False, "x"], "n": 2**63 - 1}},
        [],
    ],
)
def test_same_value_as_the_stdlib(data: object) -> None:
    assert json.loads(json_value(data)) == json.loads(_stdlib(data))


@pytest.mark.parametrize(
    "data",
    [
        {"score": math.nan, "upper": math.inf, "lower": -math.inf},  # orjson would say null
        {"lower": None, "upper": [None, 1.5]},
        {1: "int key"},  # orjson refuses non-string keys
        {"big": 2**70},  # and integers beyond 64 bits
    ],
)
def test_the_stdlib_writes_what_orjson_would_change_or_refuse(data: object) -> None:
    assert json_value(data) == _stdlib(data)


def test_what_neither_can_write_still_fails() -> None:
    with pytest.raises(TypeError):
        json_value({"at": datetime.now(UTC)})


def test_a_request_event_round_trips_through_the_kafka_binding() -> None:
    data = {"job_id": "j-1", "satellite_id": "SAT-001", "metric": "battery", "model": "vae"}
    event = make_event("io.satmon.forecast.requested.v1", "/t", data, key="SAT-001")
    key, value, headers = to_kafka(event)
    assert key == b"SAT-001" and value == _stdlib(data)  # ASCII, no floats: the same bytes
    back = from_kafka("inference.requests", key, value, headers)
    assert back.get_data() == data and back["id"] == event["id"]
