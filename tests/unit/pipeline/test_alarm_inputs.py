"""The alarm-evaluator's inputs from a raw batch body (the compiled scan, ``from_body``)
against the parsed path (``from_items``), body by body.

``from_body`` must answer every body exactly as parsing it and calling ``from_items``
does: the same samples per satellite in the same order (values to the bit), the same
ticks and the same rejections; where it cannot be sure, None (the host then parses).
"""

import json
import random

import orjson
import pytest

from satmon.contract.http import HttpProblem, load_json
from satmon.pipeline import alarm_inputs, telemetry_body
from satmon.pipeline.alarm_inputs import Judging, SatelliteSamples
from tests.unit.pipeline.test_telemetry_body import ITEMS, PLAIN
from tests.unit.pipeline.test_telemetry_fast import ATTRS, DATA

compiled = pytest.mark.skipif(not telemetry_body.COMPILED, reason="the C scan is not built")
JUDGING = Judging()
TICK = {
    "specversion": "1.0",
    "id": "tick-1",
    "source": "/apis/v1/namespaces/satmon/pingsources/alarm-ticks",
    "type": "dev.knative.sources.ping",
    "time": "2026-11-28T10:00:01Z",
    "datacontenttype": "application/json",
    "data": {"reason": "test"},
}


def parsed_answer(body):
    try:
        items = load_json(body)
    except HttpProblem:
        return "unparsable"
    if not isinstance(items, list):
        return "not an array"
    inputs, rejected = alarm_inputs.from_items(items, JUDGING)
    return len(items), rejected, _shape(inputs)


def check(body):
    scanned = alarm_inputs.from_body(body, JUDGING)
    if scanned is None:
        return None
    inputs, count, rejected = scanned
    answer = (count, rejected, _shape(inputs))
    assert answer == parsed_answer(body), body[:300]
    return answer


def _shape(inputs):
    """Telemetry per satellite in order, each double by its repr (0.0 != -0.0 here)."""
    telemetry = [
        (sat, s.stamps, tuple(tuple(map(repr, column)) for column in s.columns))
        for sat, s in inputs.telemetry.items()
    ]
    return telemetry, inputs.completions, inputs.ticks


def many(n, satellites, seed):
    rng = random.Random(seed)
    items = []
    for i in range(n):
        sat = f"SAT-{rng.randrange(satellites):03d}"
        data = {
            **DATA,
            "satellite_id": sat,
            "timestamp": stamp(i, rng),
            "temperature": round(rng.uniform(-50, 60), rng.randrange(6)),
            "solar_power": rng.choice([0, -0.0, 100, 0.000123, 12.5]),  # no exponent: plain
            "longitude": rng.choice([-180, 180.0, round(rng.uniform(-180, 180), 6)]),
        }
        attrs = {**ATTRS, "id": f"e-{i}", "source": f"/satellites/{sat}", "time": data["timestamp"]}
        items.append({**attrs, "data": data})
    return items


@compiled
def test_plain_events_of_many_satellites_are_grouped_as_the_parsed_path_groups_them():
    items = many(3000, 120, 3)
    count, rejected, (telemetry, _, _) = check(orjson.dumps(items))
    assert (count, rejected) == (3000, [])
    assert [sat for sat, _, _ in telemetry] == list(
        dict.fromkeys(i["data"]["satellite_id"] for i in items)
    )
    assert sum(len(stamps) for _, stamps, _ in telemetry) == 3000


@compiled
def test_every_variant_alone_gets_the_parsed_answer():
    for item in ITEMS:  # ~1,400 events, one field off each (test_telemetry_fast.variants)
        check(json.dumps([item]).encode())


@compiled
def test_mixed_batches_with_ticks_and_bad_events_get_the_parsed_answer():
    items = [*many(300, 20, 5), TICK, {**TICK, "type": "io.example.other"}, 7, None, {}]
    items += [{**PLAIN, "data": {**DATA, "battery": "x"}}, {**TICK, "id": "tick-2", "time": "x"}]
    random.Random(9).shuffle(items)
    for body in (
        json.dumps(items, separators=(",", ":")).encode(),
        json.dumps(items, indent=2).encode(),
        json.dumps(items, ensure_ascii=False).encode(),
    ):
        count, rejected, (_, _, ticks) = check(body)
        assert count == len(items) and len(rejected) == 6 and len(ticks) == 1


@compiled
def test_a_telemetry_event_the_scan_leaves_alone_leaves_the_whole_body_to_the_parsed_path():
    """Its place among the scanned samples of its satellite matters: not guessed."""
    odd = {**PLAIN, "id": "e-2", "extension": "x"}  # valid, but not the plain shape
    body = orjson.dumps([PLAIN, odd, {**PLAIN, "id": "e-3"}])
    assert alarm_inputs.from_body(body, JUDGING) is None
    inputs, rejected = alarm_inputs.from_items(orjson.loads(body), JUDGING)
    assert rejected == [] and len(inputs.telemetry["SAT-001"].stamps) == 3


@compiled
@pytest.mark.parametrize("body", [b"", b"[", b"{}", b"[1,]", b"[] x", b"[1e400]", b"[]"])
def test_bodies_that_are_no_batch_are_left_to_the_parsed_path(body):
    scanned = alarm_inputs.from_body(body, JUDGING)
    assert scanned is None or scanned[0:2] == (alarm_inputs.Inputs(), 0)


def test_samples_out_of_order_keep_their_arrival_order():
    s = SatelliteSamples((3, 1, 2), ((3.0, 1.0, 2.0),) * 7)
    assert not s.ascending
    assert s.only([0, 2]) == SatelliteSamples((3, 2), ((3.0, 2.0),) * 7)
    assert SatelliteSamples((1, 2, 5), ((0.0, 0.0, 0.0),) * 7).ascending


def stamp(i, rng):
    return f"2026-11-28T10:{i // 60 % 60:02d}:{i % 60:02d}.{rng.randrange(1000):03d}Z"
