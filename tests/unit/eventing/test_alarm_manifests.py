"""The alarm-evaluator's manifests: its own ordered, batched Trigger on satellite-telemetry
(its own consumer group), completed forecasts, and a tick every second."""

from __future__ import annotations

from satmon.contract.events import TOPIC_ALARMS, all_topics
from satmon.eventing.manifests import load_topology
from satmon.eventing.runner import HELD_FETCH_MIN_BYTES, held_fetch_config
from satmon.settings import REPO_ROOT

EVENTING = REPO_ROOT / "eventing"


def test_telemetry_trigger_is_ordered_batched_and_has_its_own_group() -> None:
    topo = load_topology(EVENTING)
    subs = {s.name: s for s in topo.subscriptions}
    alarm, writer = subs["alarm-evaluator"], subs["telemetry-writer"]
    assert alarm.topics == writer.topics == ("satellite-telemetry",)
    assert alarm.group != writer.group
    assert alarm.ordered and alarm.batched and alarm.batch_max_events >= 100
    assert alarm.sink.url == "http://127.0.0.1:8085"
    assert alarm.dead_letter_topic == "satellite-telemetry.dlq"
    assert alarm.accept({"type": "io.satmon.telemetry.v1"})
    assert not alarm.accept({"type": "io.satmon.forecast.completed.v1"})
    assert alarm.delivery.retry >= 10  # a PostgreSQL outage is waited out


def test_completed_forecasts_and_ticks_reach_the_evaluator() -> None:
    topo = load_topology(EVENTING)
    forecasts = next(s for s in topo.subscriptions if s.name == "alarm-evaluator-forecasts")
    assert forecasts.topics == ("inference.results",)
    assert forecasts.accept({"type": "io.satmon.forecast.completed.v1"})
    assert not forecasts.accept({"type": "io.satmon.forecast.started.v1"})
    (tick,) = [p for p in topo.pings if p.name == "alarm-ticks"]
    assert tick.schedule == "@every 1s"
    assert tick.sink.url == "http://127.0.0.1:8085"  # type: ignore[union-attr]


def test_alarms_topic_and_its_dead_letters_are_contract_topics() -> None:
    topo = load_topology(EVENTING)
    assert {"alarms", "alarms.dlq"} <= {b.topic for b in topo.brokers.values()}
    assert {TOPIC_ALARMS, TOPIC_ALARMS + ".dlq"} <= set(all_topics())


def test_only_the_alarm_telemetry_trigger_has_the_broker_hold_its_fetches() -> None:
    """Its 250 ms batch window is the broker's fetch wait; every other subscription keeps
    the broker answering as soon as a record arrives (the writer's latency goal)."""
    topo = load_topology(EVENTING)
    held = {s.name: held_fetch_config(s) for s in topo.subscriptions}
    assert held.pop("alarm-evaluator") == {
        "fetch.wait.max.ms": 250,
        "fetch.min.bytes": HELD_FETCH_MIN_BYTES,
    }
    assert held and not any(held.values()), held
