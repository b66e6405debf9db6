"""Telemetry writer logic: samples per event, batch with rejects, outage is transient."""

import pytest
from cloudevents.http import CloudEvent

from satmon.contract.events import EventError
from satmon.errors import TransientError
from satmon.pipeline.telemetry_writer import write_event, write_events
from tests.fakes import FakeVictoriaMetrics
from tests.samples import CONTRACT_TELEMETRY

TELEMETRY = dict(CONTRACT_TELEMETRY)


def event(data, event_id="1", event_type="io.satmon.telemetry.v1", **attrs):
    return CloudEvent(
        {
            "id": event_id,
            "source": "/satellites/SAT-001",
            "type": event_type,
            "specversion": "1.0",
            **attrs,
        },
        data,
    )


def test_one_event_writes_seven_samples_at_its_own_timestamp():
    vm = FakeVictoriaMetrics()
    write_event(vm, event(TELEMETRY))
    assert len(vm.samples) == 7
    assert vm.samples[("battery", "SAT-001", 1_795_860_000_000)] == 3.91


def test_redelivery_leaves_one_sample_per_series_and_time():
    vm = FakeVictoriaMetrics()
    write_event(vm, event(TELEMETRY))
    write_event(vm, event(TELEMETRY))
    assert len(vm.samples) == 7


def test_bytes_data_and_wrong_type():
    vm = FakeVictoriaMetrics()
    import json

    write_event(vm, event(json.dumps(TELEMETRY).encode()))
    with pytest.raises(EventError) as info:
        write_event(vm, event(TELEMETRY, event_type="io.satmon.other.v1"))
    assert info.value.field == "type"
    with pytest.raises(EventError) as info:
        write_event(vm, event("x", datacontenttype="text/plain"))
    assert info.value.field == "datacontenttype"


def test_batch_writes_good_events_in_one_import_and_reports_bad_ones():
    vm = FakeVictoriaMetrics()
    events = [
        event(TELEMETRY | {"timestamp": f"2026-11-28T10:00:0{i}.000Z"}, str(i)) for i in range(5)
    ]
    events.insert(2, event(TELEMETRY | {"velocity": None}, "bad"))
    rejected = write_events(vm, events)
    assert [(r.position, r.field) for r in rejected] == [(2, "data.velocity")]
    assert vm.imports == 1
    assert len(vm.samples) == 5 * 7


def test_outage_is_transient_for_the_whole_batch():
    vm = FakeVictoriaMetrics()
    vm.down = True
    with pytest.raises(TransientError):
        write_events(vm, [event(TELEMETRY)])
