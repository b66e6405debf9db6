"""The alarm lifecycle, pure (ISA-18.2 as Yamcs keeps it): each step's resulting state,
who took it, and the steps an operator may not take."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from satmon.contract.alarms import event_type
from satmon.pipeline import alarm_lifecycle as life
from satmon.store.alarms import AlarmRecord

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def new(level: int = 1) -> AlarmRecord:
    alarm, first = life.raised(("SAT-1", "battery", "limit"), level, 4.18, 4.17, "m", T0, T0)
    alarm.id = 7
    assert (first.seq, first.action, first.state, first.actor) == (
        1, "raised", "active_unacknowledged", "alarm-evaluator",
    )  # fmt: skip
    return alarm


def test_acknowledged_alarm_clears_when_its_condition_returns() -> None:
    alarm = new()
    ack = life.acknowledge(alarm, "jdoe", "seen", T0 + timedelta(seconds=5))
    assert (ack.state, ack.actor, ack.comment) == ("active_acknowledged", "jdoe", "seen")
    back = life.condition_changed(alarm, 0, 3.9, None, None, T0 + timedelta(seconds=9), T0)
    assert (back.action, back.state) == ("cleared", "cleared")
    assert alarm.cleared_at == T0 + timedelta(seconds=9)
    assert event_type(back.action, back.state) == "io.satmon.alarm.cleared.v1"


def test_returned_to_normal_unacknowledged_stays_until_acknowledged() -> None:
    alarm = new()
    back = life.condition_changed(alarm, 0, 3.9, None, None, T0 + timedelta(seconds=2), T0)
    assert (back.action, back.state) == ("returned", "returned_unacknowledged")
    assert alarm.cleared_at is None and not alarm.active
    ack = life.acknowledge(alarm, "jdoe", None, T0 + timedelta(seconds=3))
    assert (ack.action, ack.state) == ("acknowledged", "cleared")
    assert event_type(ack.action, ack.state) == "io.satmon.alarm.cleared.v1"


def test_a_returned_alarm_whose_condition_comes_back_is_the_same_alarm_again() -> None:
    alarm = new()
    life.condition_changed(alarm, 0, 3.9, None, None, T0, T0)
    again = life.condition_changed(alarm, 2, 4.2, 4.19, "red", T0 + timedelta(seconds=1), T0)
    assert (again.action, again.state, again.severity) == (
        "reactivated", "active_unacknowledged", "critical",
    )  # fmt: skip
    assert alarm.max_severity == "critical" and alarm.seq == 3


def test_escalation_asks_for_a_new_acknowledgement_deescalation_does_not() -> None:
    alarm = new()
    life.acknowledge(alarm, "jdoe", None, T0)
    up = life.condition_changed(alarm, 2, 4.2, 4.19, None, T0, T0)
    assert (up.action, up.state) == ("escalated", "active_unacknowledged")
    life.acknowledge(alarm, "jdoe", None, T0)
    down = life.condition_changed(alarm, 1, 4.18, 4.17, None, T0, T0)
    assert (down.action, down.state, down.severity) == (
        "deescalated", "active_acknowledged", "warning",
    )  # fmt: skip
    assert alarm.max_severity == "critical"


def test_shelved_until_expiry_then_back_on_the_list() -> None:
    alarm = new()
    until = T0 + timedelta(minutes=5)
    shelved = life.shelve(alarm, "jdoe", "sensor swap", until, T0)
    assert (shelved.state, shelved.comment, shelved.shelved_until) == (
        "shelved",
        "sensor swap",
        until,
    )
    assert life.state_of(alarm, until - timedelta(seconds=1)) == "shelved"
    assert life.state_of(alarm, until) == "active_unacknowledged"  # expired, read-time
    done = life.expire_shelve(alarm, until)
    assert (done.action, done.actor, done.state) == (
        "unshelved", "alarm-evaluator", "active_unacknowledged",
    )  # fmt: skip
    assert "shelve expired at 2026-11-28 10:05:00 UTC" in (done.comment or "")


def test_a_shelved_alarm_still_follows_its_condition() -> None:
    alarm = new()
    life.shelve(alarm, "jdoe", "x", T0 + timedelta(hours=1), T0)
    back = life.condition_changed(alarm, 0, 3.9, None, None, T0, T0)
    assert back.state == "shelved" and not alarm.active
    ack = life.acknowledge(alarm, "jdoe", None, T0)
    assert ack.state == "cleared"


def test_steps_that_do_not_apply_are_conflicts() -> None:
    alarm = new()
    with pytest.raises(life.Conflict, match="not shelved"):
        life.unshelve(alarm, "jdoe", None, T0)
    with pytest.raises(life.Conflict, match="future"):
        life.shelve(alarm, "jdoe", "x", T0, T0)
    life.acknowledge(alarm, "jdoe", None, T0)
    with pytest.raises(life.Conflict, match="already acknowledged by jdoe"):
        life.acknowledge(alarm, "asmith", None, T0)
    life.condition_changed(alarm, 0, 3.9, None, None, T0, T0)
    for step in (
        lambda: life.acknowledge(alarm, "x", None, T0),
        lambda: life.shelve(alarm, "x", "y", T0 + timedelta(hours=1), T0),
    ):
        with pytest.raises(life.Conflict, match="cleared"):
            step()
    assert alarm.seq == 3  # raised, acknowledged, cleared: the refused steps left no trace


def test_every_step_numbers_on_and_names_its_event() -> None:
    alarm = new()
    steps = [
        life.acknowledge(alarm, "a", None, T0),
        life.shelve(alarm, "a", "r", T0 + timedelta(hours=1), T0),
        life.unshelve(alarm, "a", None, T0),
    ]
    assert [s.seq for s in steps] == [2, 3, 4]
    assert {event_type(s.action, s.state) for s in steps} == {"io.satmon.alarm.changed.v1"}
    data = life.step_event_data(alarm, steps[-1])
    assert data["alarm_id"] == 7 and data["satellite_id"] == "SAT-1" and data["seq"] == 4
