"""``/alarms`` on the real PostgreSQL and Kafka, with alarms the real evaluator raised:
filters and paging, one alarm with its history, and the lifecycle an operator drives
(acknowledge, returned to normal unacknowledged, shelve with expiry, unshelve)."""

# ruff: noqa: F811 -- the evaluator fixture comes from the alarm tests, then is an argument

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.integration.alarms.conftest import evaluator  # noqa: F401
from tests.integration.alarms.support import (
    AlarmEvents,
    forget,
    post_batch,
    satellite,
    series,
    tick_item,
)

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


@pytest.fixture
def sat(pg: psycopg.Connection) -> Iterator[str]:
    name = satellite("API")
    yield name
    forget(pg, [name])


def raise_one(evaluator: Any, sat: str, values: list[float], metric: str = "temperature") -> None:
    start = datetime.now(UTC) - timedelta(minutes=10)
    post_batch(evaluator, series(sat, start, metric, values))


def only(api: TestClient, sat: str, **params: Any) -> dict[str, Any]:
    # kind=limit: a running stack's evaluator raises stale alarms for these old samples
    answer = api.get("/api/v1/alarms", params={"satellite": sat, "kind": "limit", **params})
    assert answer.status_code == 200, answer.text
    (item,) = answer.json()["items"]
    return item  # type: ignore[no-any-return]


def act(api: TestClient, headers: dict[str, str], alarm_id: int, step: str, **body: Any):
    return api.post(f"/api/v1/alarms/{alarm_id}/{step}", json=body, headers=headers)


def test_acknowledged_then_back_to_normal_clears(
    api: TestClient, token_headers, evaluator, sat
) -> None:
    raise_one(evaluator, sat, [10.0, 49.9])
    alarm = only(api, sat)
    assert (alarm["state"], alarm["severity"], alarm["kind"]) == (
        "active_unacknowledged", "critical", "limit",
    )  # fmt: skip
    events = AlarmEvents()
    try:
        answer = act(
            api, token_headers, alarm["id"], "acknowledge", operator="jdoe", comment="on it"
        )
        assert answer.status_code == 200, answer.text
        acked = answer.json()
        assert acked["state"] == "active_acknowledged" and acked["acknowledged_by"] == "jdoe"
        last = acked["history"][-1]
        assert (last["action"], last["actor"], last["comment"]) == ("acknowledged", "jdoe", "on it")
        assert last["published"] is True
        (event,) = events.of(sat, 1)
        assert event["type"] == "io.satmon.alarm.changed.v1"
        assert event["data"]["action"] == "acknowledged" and event["data"]["actor"] == "jdoe"
    finally:
        events.close()
    again = act(api, token_headers, alarm["id"], "acknowledge", operator="asmith")
    assert again.status_code == 409 and "already acknowledged by jdoe" in again.json()["detail"]
    post_batch(evaluator, series(sat, datetime.now(UTC), "temperature", [10.0]))  # normal again
    done = api.get(f"/api/v1/alarms/{alarm['id']}").json()
    assert done["state"] == "cleared" and done["cleared_at"] is not None
    assert [s["action"] for s in done["history"]] == ["raised", "acknowledged", "cleared"]


def test_returned_unacknowledged_stays_visible_until_acknowledged(
    api: TestClient, token_headers, evaluator, sat
) -> None:
    raise_one(evaluator, sat, [3.9, 4.18, 3.9], metric="battery")
    alarm = only(api, sat, state="returned_unacknowledged")
    assert alarm["active"] is False and alarm["cleared_at"] is None
    events = AlarmEvents()
    try:
        acked = act(api, token_headers, alarm["id"], "acknowledge", operator="jdoe").json()
        (event,) = events.of(sat, 1)
    finally:
        events.close()
    assert acked["state"] == "cleared" and event["type"] == "io.satmon.alarm.cleared.v1"
    assert only(api, sat, state="cleared")["id"] == alarm["id"]


def test_shelving_expiry_returns_the_alarm_to_the_list(
    api: TestClient, token_headers, evaluator, sat
) -> None:
    raise_one(evaluator, sat, [10.0, 48.0])
    alarm = only(api, sat)
    shelved = act(api, token_headers, alarm["id"], "shelve", operator="jdoe",
                  reason="heater test", duration_s=1)  # fmt: skip
    assert shelved.status_code == 200, shelved.text
    assert shelved.json()["state"] == "shelved" and shelved.json()["shelve_reason"] == "heater test"
    assert only(api, sat, state="shelved")["id"] == alarm["id"]
    time.sleep(1.2)
    # the shelve has run out: the alarm shows as active again before any tick recorded it
    assert only(api, sat)["state"] == "active_unacknowledged"
    post_batch(evaluator, [tick_item()])  # the evaluator's tick records the expiry
    history = api.get(f"/api/v1/alarms/{alarm['id']}").json()["history"]
    assert [(s["action"], s["actor"]) for s in history] == [
        ("raised", "alarm-evaluator"),
        ("shelved", "jdoe"),
        ("unshelved", "alarm-evaluator"),
    ]
    assert history[1]["comment"] == "heater test" and "shelve expired" in history[2]["comment"]


def test_unshelve_by_an_operator_and_conflicts(
    api: TestClient, token_headers, evaluator, sat
) -> None:
    raise_one(evaluator, sat, [10.0, 48.0])
    alarm_id = only(api, sat)["id"]
    assert act(api, token_headers, alarm_id, "unshelve", operator="jdoe").status_code == 409
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        act(
            api, token_headers, alarm_id, "shelve", operator="jdoe", reason="x", until=until
        ).json()["state"]
        == "shelved"
    )
    back = act(api, token_headers, alarm_id, "unshelve", operator="asmith", comment="test over")
    assert back.status_code == 200 and back.json()["state"] == "active_unacknowledged"
    assert back.json()["history"][-1]["actor"] == "asmith"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"operator": "jdoe", "duration_s": 60}, "body.reason"),
        ({"operator": "jdoe", "reason": "x"}, "body.until"),
        (
            {"operator": "jdoe", "reason": "x", "duration_s": 60, "until": "2030-01-01T00:00:00Z"},
            "body.until",
        ),
        ({"operator": "jdoe", "reason": "x", "until": "2020-01-01T00:00:00Z"}, "body.until"),
    ],
)
def test_a_bad_shelve_is_a_problem_naming_the_field(
    api: TestClient, token_headers, evaluator, sat, body, field
) -> None:
    raise_one(evaluator, sat, [10.0, 48.0])
    answer = act(api, token_headers, only(api, sat)["id"], "shelve", **body)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert answer.json()["field"] == field


def test_filters_paging_and_missing_alarms(api: TestClient, token_headers, evaluator, sat) -> None:
    start = datetime.now(UTC) - timedelta(minutes=10)
    for i, metric in enumerate(("temperature", "battery", "altitude")):
        high = {"temperature": 49.9, "battery": 4.12, "altitude": 445.0}[metric]
        post_batch(evaluator, series(sat, start + timedelta(seconds=10 * i), metric, [high]))
    first = api.get("/api/v1/alarms", params={"satellite": sat, "kind": "limit", "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(
        "/api/v1/alarms",
        params={"satellite": sat, "kind": "limit", "limit": 2, "cursor": first["next_cursor"]},
    ).json()
    ids = [a["id"] for a in first["items"] + rest["items"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True) and rest["next_cursor"] is None
    critical = api.get("/api/v1/alarms", params={"satellite": sat, "severity": "critical"}).json()
    assert [a["metric"] for a in critical["items"]] == ["temperature"]
    by_metric = api.get(
        "/api/v1/alarms", params={"satellite": sat, "metric": ["battery", "altitude"]}
    )
    assert {a["metric"] for a in by_metric.json()["items"]} == {"battery", "altitude"}
    later = api.get(
        "/api/v1/alarms",
        params={
            "satellite": sat,
            "kind": "limit",
            "start": (start + timedelta(seconds=5)).isoformat(),
        },
    ).json()
    assert {a["metric"] for a in later["items"]} == {"battery", "altitude"}
    assert (
        api.get("/api/v1/alarms", params={"satellite": sat, "kind": "stale"}).json()["items"] == []
    )
    bad = api.get("/api/v1/alarms", params={"state": "sleeping"})
    assert bad.status_code == 422 and bad.json()["field"] == "query.state.0"
    missing = api.get("/api/v1/alarms/999999999")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert act(api, token_headers, 999999999, "acknowledge", operator="x").status_code == 404
    assert (
        api.post(f"/api/v1/alarms/{ids[0]}/acknowledge", json={"operator": "x"}).status_code == 401
    )


def test_alarms_join_the_full_text_search(api: TestClient, token_headers, evaluator, sat) -> None:
    raise_one(evaluator, sat, [10.0, 49.9])
    alarm_id = only(api, sat)["id"]
    comment = f"heater relay {sat} suspected"
    act(api, token_headers, alarm_id, "acknowledge", operator="jdoe", comment=comment)
    found = api.get(
        "/api/v1/search/results", params={"q": f"heater relay {sat}", "kind": "alarm"}
    ).json()
    (hit,) = [r for r in found["items"] if r["id"] == str(alarm_id)]
    assert hit["link"] == f"/api/v1/alarms/{alarm_id}" and hit["satellite"] == sat
    assert "Critical limit alarm on temperature" in hit["title"]
    by_message = api.get(
        "/api/v1/search/results", params={"q": "above the red high limit", "satellite": sat}
    ).json()
    assert [r["id"] for r in by_message["items"]] == [str(alarm_id)]
