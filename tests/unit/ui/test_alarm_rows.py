"""Alarm ordering: active first, worst first, newest first; states said in words."""

from __future__ import annotations

from ui.alarm_rows import items, ordered, row
from ui.limits import Level


def test_order_is_active_then_severity_then_time() -> None:
    alarms = [
        {"id": 1, "severity": "yellow", "state": "active", "raised_at": "2026-11-28T10:05:00Z"},
        {"id": 2, "severity": "red", "state": "cleared", "raised_at": "2026-11-28T10:09:00Z"},
        {"id": 3, "severity": "red", "state": "active", "raised_at": "2026-11-28T10:01:00Z"},
        {"id": 4, "severity": "red", "state": "active", "raised_at": "2026-11-28T10:03:00Z"},
    ]
    assert [r.id for r in ordered(alarms)] == ["4", "3", "1", "2"]


def test_state_words_and_levels() -> None:
    cleared = row({"id": "a", "severity": "RED", "state": "cleared", "acknowledged": False})
    assert cleared.state == "returned to normal, unacknowledged" and cleared.level is Level.RED
    shelved = row(
        {
            "id": "b",
            "severity": "yellow",
            "shelved_until": "2026-11-28T11:00:00Z",
            "acknowledged_at": "x",
        }
    )
    assert (
        shelved.state == "shelved, active, acknowledged"
        and shelved.shelved
        and shelved.acknowledged
    )
    assert row({"id": "c", "severity": "stale"}).level is Level.STALE


def test_the_api_shape_of_a_stale_and_a_shelved_alarm() -> None:
    stale = row(
        {"id": 7, "satellite": "SAT-001", "metric": None, "kind": "stale",
         "state": "active_unacknowledged", "severity": "warning", "active": True,
         "acknowledged": False, "shelved_until": None}
    )  # fmt: skip
    assert stale.title == "SAT-001 · stale" and stale.state == "active, unacknowledged"
    assert stale.level is Level.YELLOW and stale.active
    returned = row(
        {"id": 8, "satellite": "SAT-002", "metric": "battery", "kind": "limit",
         "state": "returned_unacknowledged", "severity": "critical", "active": False,
         "acknowledged": False, "shelved_until": "2026-11-28T09:00:00Z"}
    )  # fmt: skip
    assert returned.title == "SAT-002 · battery · limit"
    assert returned.state == "returned to normal, unacknowledged" and not returned.shelved
    shelved = row({"id": 9, "state": "shelved", "severity": "warning", "active": True})
    assert shelved.shelved and shelved.state.startswith("shelved, active")


def test_items_accepts_a_page_or_a_list() -> None:
    assert items({"items": [{"id": 1}, "junk"]}) == [{"id": 1}]
    assert items([{"id": 2}]) == [{"id": 2}] and items(None) == []
