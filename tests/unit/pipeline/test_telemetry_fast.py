"""The telemetry-writer's fast batch path against the reference decoders (pydantic).

``fast_sample`` may only say "valid, with these values" where ``decode_structured`` +
``telemetry_from_event`` accept the event with the very same values and millisecond
timestamp; everything else it leaves to them. ``write_batch_items`` must answer a batch
exactly as the CloudEvent path (``decode_batch_lenient`` + ``write_events``) does.
"""

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from satmon.contract.events import METRICS, EventError
from satmon.contract.http import HttpProblem, decode_batch_lenient, decode_structured
from satmon.contract.http import rejection as make_rejection
from satmon.pipeline.telemetry_writer import (
    fast_sample,
    telemetry_from_event,
    write_batch_items,
    write_events,
)
from tests.fakes import FakeVictoriaMetrics
from tests.samples import CONTRACT_TELEMETRY

DATA = {**CONTRACT_TELEMETRY, "timestamp": "2026-11-28T10:00:00.123Z"}  # ms that matter
ATTRS = {
    "id": "e-1",
    "source": "/satellites/SAT-001",
    "type": "io.satmon.telemetry.v1",
    "specversion": "1.0",
    "time": "2026-11-28T10:00:00.123Z",
    "subject": "SAT-001",
    "datacontenttype": "application/json",
    "partitionkey": "SAT-001",
}
ODD_VALUES = [
    None,
    True,
    False,
    0,
    -0.0,
    1,
    -1,
    2**53,
    2**53 + 1,
    -(2**63),
    10**400,
    1e308,
    -1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    90,
    90.0,
    90.0000001,
    -90.0,
    180,
    180.5,
    -180.0,
    "",
    "12.5",
    " 12.5",
    "abc",
    "nan",
    "inf",
    [],
    [1.0],
    {},
    {"a": 1},
    3.5,
    -273.15,
    "SAT-001",
    "sat_9.x-Y",
    "SAT 001",
    "SAT-001\n",
    "é",
    "a" * 64,
    "a" * 65,
    "0",
    "2026-11-28T10:00:00Z",
    "2026-11-28T10:00:00.5Z",
    "2026-11-28T10:00:00.123456Z",
    "2026-11-28T10:00:00.1234567Z",
    "2026-11-28t10:00:00Z",
    "2026-11-28T10:00:00z",
    "2026-11-28 10:00:00Z",
    "2026-11-28T10:00:00",
    "2026-11-28T10:00:00+01:00",
    "2026-11-28T10:00:00-05:30",
    "2026-11-28T10:00:00+23:59",
    "2026-11-28T10:00:00+24:00",
    "2026-11-28T10:00:00+0100",
    "2026-02-29T10:00:00Z",
    "2024-02-29T23:59:59.999Z",
    "2026-13-01T00:00:00Z",
    "2026-11-31T00:00:00Z",
    "2026-11-28T24:00:00Z",
    "2026-11-28T10:60:00Z",
    "2026-11-28T10:00:60Z",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2026-11-28T10:00:00.123Z\n",
    "2026-11-28",
    "1795860000",
    1795860000,
    1795860000123,
    1795860000.5,
    "2026-11-28T10:00:00,5Z",
    "+2026-11-28T10:00:00Z",
    "２０２６-11-28T10:00:00Z",
    # the 24-character shape the minute cache reads in pieces
    "2026-11-28T10:00:60.123Z",
    "2026-11-28T24:00:00.000Z",
    "2026-02-30T10:00:00.000Z",
    "1970-12-31T23:59:59.999Z",
    "2026-11-28T10:00:5５.123Z",
    "2026-11-28T10:00:59.1２3Z",
    "2026-11-28T1０:00:00.123Z",
    "2026-11-28T10:00:00.12aZ",
    "2026-11-28T10:00:+1.123Z",
    "2026-11-28T10:00:00.-12Z",
    "2026-11-28t10:00:00.123Z",
    "2026-11-28T10:00:00.123z",
]


def reference(item):
    """("ok", (sat, ms, values)) or ("rejected", field, detail) by the reference path."""
    try:
        event = decode_structured(item)
        sample = telemetry_from_event(event)
    except HttpProblem as exc:
        return ("rejected", exc.field, exc.detail)
    except EventError as exc:
        return ("rejected", exc.field, str(exc))
    values = tuple(float(getattr(sample, m)) for m in METRICS)
    return ("ok", (sample.satellite_id, sample.timestamp_ms, values))


def check(item):
    fast = fast_sample(item)
    ref = reference(item)
    if fast is not None:
        assert ref == ("ok", fast), item
        assert [repr(v) for v in fast[2]] == [repr(v) for v in ref[1][2]], item
    return fast, ref


def variants():
    """Valid events with one field changed: data fields, attributes and the shape."""
    yield {**ATTRS, "data": DATA}
    for key in [*DATA, "missing"]:
        for value in ODD_VALUES:
            data = {**DATA, key: value}
            yield {**ATTRS, "data": data}
            if key in DATA:
                yield {**ATTRS, "data": {k: v for k, v in data.items() if k != key}}
    for key in [*ATTRS, "extension", "Upper", "data_base64", "with-dash"]:
        for value in ODD_VALUES:
            yield {**ATTRS, key: value, "data": DATA}
        yield {**{k: v for k, v in ATTRS.items() if k != key}, "data": DATA}
    for value in ODD_VALUES:
        yield {**ATTRS, "data": value}
        yield value
    yield {**ATTRS, "data": {**DATA, "extra": 1}}
    yield {**ATTRS, "data": json.dumps(DATA)}
    yield {k: v for k, v in ATTRS.items() if k != "datacontenttype"} | {"data": DATA}
    yield {**ATTRS, "datacontenttype": "application/json; charset=utf-8", "data": DATA}
    yield {**ATTRS, "datacontenttype": "text/plain", "data": DATA}
    yield {**ATTRS, "time": DATA["timestamp"][:-1] + "+00:00", "data": DATA}


@pytest.mark.parametrize("item", list(variants()), ids=lambda _: "")
def test_fast_path_never_disagrees_with_the_reference(item):
    check(item)


def test_plain_contract_events_take_the_fast_path():
    assert fast_sample({**ATTRS, "data": DATA}) is not None
    minimal = {k: ATTRS[k] for k in ("id", "source", "type", "specversion")}
    assert fast_sample({**minimal, "data": DATA}) is not None
    sat, ms, _ = fast_sample({**ATTRS, "data": {**DATA, "temperature": -3}})
    assert (sat, ms) == ("SAT-001", 1_795_860_000_123)


def test_random_timestamps_and_numbers_agree_exactly():
    rng = random.Random(7)
    start = datetime(1971, 1, 1, tzinfo=UTC)
    for _ in range(3000):
        moment = start + timedelta(microseconds=rng.randrange(0, 240_000_000_000_000_000))
        digits = rng.choice([0, 1, 3, 6])
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if digits:
            text += "." + f"{moment.microsecond:06d}"[:digits]
        offset = rng.choice(["Z", "+00:00", "-00:00", "+05:30", "-11:45", "+14:00"])
        data = {
            **DATA,
            "timestamp": text + offset,
            # within the contract's physical limits, which the reference checks (and the
            # fast path leaves to it): test_physically_impossible_values_are_left_to_the_reference
            "temperature": rng.uniform(-273.15, 1e6),
            "battery": rng.choice([rng.randint(0, 2**60), rng.random()]),
            "latitude": rng.uniform(-90, 90),
            "longitude": rng.uniform(-180.0, 180.0),
        }
        fast, ref = check({**ATTRS, "time": data["timestamp"], "data": data})
        assert fast is not None or (ref[0] == "ok" and abs(data["battery"]) > 2**53)


@pytest.mark.parametrize(
    ("metric", "value"),
    [("temperature", -273.16), ("altitude", -0.5), ("velocity", 11.3), ("battery", -0.1)],
)
def test_physically_impossible_values_are_left_to_the_reference(metric, value):
    fast, ref = check({**ATTRS, "data": {**DATA, metric: value}})
    assert fast is None and ref[0] != "ok"


def old_answer(items):
    """The CloudEvent path's answer: (rejected entries, samples written)."""
    vm = FakeVictoriaMetrics()
    good, rejected = decode_batch_lenient(json.dumps(items).encode())
    refused = write_events(vm, [event for _, event in good])
    for item in refused:
        index, event = good[item.position]
        rejected.append(
            make_rejection(index, event["id"], event["source"], item.detail, item.field)
        )
    rejected.sort(key=lambda r: r["index"])
    return rejected, vm.samples


def test_batch_answers_match_the_cloudevent_path():
    items = [item for item in variants() if _json_safe(item)]
    random.Random(3).shuffle(items)
    for start in range(0, len(items), 250):
        chunk = items[start : start + 250]
        vm = FakeVictoriaMetrics()
        rejected = write_batch_items(vm, json.loads(json.dumps(chunk)))
        assert (rejected, vm.samples) == old_answer(chunk)


def _json_safe(item):
    try:
        json.dumps(item, allow_nan=False)
    except ValueError:
        return False
    return True
