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


def test_items_accepts_a_page_or_a_list() -> None:
    assert items({"items": [{"id": 1}, "junk"]}) == [{"id": 1}]
    assert items([{"id": 2}]) == [{"id": 2}] and items(None) == []
