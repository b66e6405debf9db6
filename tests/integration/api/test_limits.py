"""``/limits`` on the real PostgreSQL: the contract defaults, per-satellite versions with
who and when, withdrawal, token and validation problems that name the field."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from satmon.contract.events import METRICS
from tests.integration.alarms.support import forget, satellite

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"
GOOD = {"yellow_low": -30.0, "yellow_high": 30.0, "red_low": -40.0, "red_high": 40.0,
        "persistence": 2, "deadband": 1.0}  # fmt: skip


@pytest.fixture
def sat(pg: psycopg.Connection) -> Iterator[str]:
    name = satellite("LIM")
    yield name
    forget(pg, [name])


def test_every_metric_has_a_set_in_force_from_the_contract(api: TestClient, sat: str) -> None:
    answer = api.get("/api/v1/limits", params={"satellite": sat})
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert [m["metric"] for m in page["metrics"]] == list(METRICS)
    battery = next(m for m in page["metrics"] if m["metric"] == "battery")
    assert battery["unit"] == "V" and battery["red_high"] == pytest.approx(4.155)
    assert all(o["satellite"] != sat for o in page["overrides"])


def test_per_satellite_versions_record_who_when_and_withdraw(
    api: TestClient, token_headers: dict[str, str], sat: str
) -> None:
    first = api.put(
        "/api/v1/limits/temperature",
        json={**GOOD, "satellite": sat, "operator": "jdoe", "comment": "thermal model v2"},
        headers=token_headers,
    )
    assert first.status_code == 200, first.text
    assert first.json() | {"changed_at": None} == {
        **GOOD, "metric": "temperature", "unit": "°C", "satellite": sat, "source": "stored",
        "version": 1, "changed_by": "jdoe", "changed_at": None, "comment": "thermal model v2",
    }  # fmt: skip
    second = api.put(
        "/api/v1/limits/temperature",
        json={**GOOD, "red_high": 45.0, "satellite": sat, "operator": "asmith"},
        headers=token_headers,
    )
    assert second.json()["version"] == 2 and second.json()["red_high"] == 45.0
    page = api.get("/api/v1/limits", params={"satellite": sat}).json()
    temperature = next(m for m in page["metrics"] if m["metric"] == "temperature")
    assert temperature["version"] == 2 and temperature["changed_by"] == "asmith"
    assert any(o["satellite"] == sat and o["metric"] == "temperature" for o in page["overrides"])
    fleet = api.get("/api/v1/limits").json()["metrics"]
    assert next(m for m in fleet if m["metric"] == "temperature")["satellite"] is None

    withdrawn = api.delete(
        "/api/v1/limits/temperature",
        params={"satellite": sat, "operator": "jdoe", "comment": "back to the fleet"},
        headers=token_headers,
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["satellite"] is None
    history = api.get("/api/v1/limits/temperature", params={"satellite": sat}).json()
    assert [(v["version"], v["withdrawn"], v["changed_by"]) for v in history["versions"]] == [
        (3, True, "jdoe"),
        (2, False, "asmith"),
        (1, False, "jdoe"),
    ]
    assert history["in_force"]["satellite"] is None


def test_writes_need_the_token(api: TestClient, sat: str) -> None:
    body = {**GOOD, "satellite": sat, "operator": "jdoe"}
    answer = api.put("/api/v1/limits/temperature", json=body)
    assert answer.status_code == 401 and answer.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"red_high": 20.0}, "body.red_high", "red lies outside yellow"),
        ({"yellow_low": 35.0}, "body.yellow_low", "must be below yellow_high"),
        ({"deadband": 40.0}, "body.deadband", "half the narrowest band"),
        ({"persistence": 0}, "body.persistence", "greater than or equal to 1"),
        ({"colour": "red"}, "body.colour", "Extra inputs"),
        ({"operator": ""}, "body.operator", "at least 1 character"),
    ],
)
def test_a_bad_set_is_a_problem_naming_the_field(
    api: TestClient, token_headers: dict[str, str], sat: str, changes, field, words
) -> None:
    body = {**GOOD, "satellite": sat, "operator": "jdoe", **changes}
    answer = api.put("/api/v1/limits/temperature", json=body, headers=token_headers)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert answer.json()["field"] == field and words in answer.json()["detail"]
    assert api.get("/api/v1/limits/temperature", params={"satellite": sat}).json()["versions"] == []


def test_an_unknown_metric_lists_the_known_ones(api: TestClient, token_headers) -> None:
    answer = api.put(
        "/api/v1/limits/humidity", json={**GOOD, "operator": "x"}, headers=token_headers
    )
    assert answer.status_code == 422 and answer.json()["field"] == "path.metric"
    assert "temperature" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "operator": "j\x00doe"}, "body.operator"),
        ({**GOOD, "operator": "' OR '1'='1"}, "body.operator"),
        ({**GOOD, "operator": "jdoe", "comment": "new model\x00"}, "body.comment"),
    ],
)
def test_names_with_quotes_and_text_with_nul_are_refused_before_the_database(
    api: TestClient, token_headers: dict[str, str], sat: str, body: dict, field: str
) -> None:
    answer = api.put(
        "/api/v1/limits/temperature", json={**body, "satellite": sat}, headers=token_headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM and answer.json()["field"] == field
    withdraw = api.delete(
        "/api/v1/limits/temperature",
        params={"operator": body["operator"], "satellite": sat},
        headers=token_headers,
    )
    assert withdraw.status_code == 422 if field == "body.operator" else 200, withdraw.text


def test_prose_is_stored_as_sent(api: TestClient, token_headers: dict[str, str], sat: str) -> None:
    comment = "after the 'safe mode' event; see OPS-12 <b>\n(two lines)"
    body = {**GOOD, "operator": "Night Shift", "comment": comment, "satellite": sat}
    answer = api.put("/api/v1/limits/temperature", json=body, headers=token_headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["comment"] == comment and answer.json()["changed_by"] == "Night Shift"
