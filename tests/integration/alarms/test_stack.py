"""On the running stack (``satmon up``: Kafka → alarm-dispatcher → alarm-evaluator →
PostgreSQL, limits stored through the running API): the simulator's labelled anomalies
raise exactly the limit alarms the rules say, nominal data raises none, and precision /
recall against the labels are printed (and written to ``.satmon/alarm-quality.json``),
with the contract's default limits and with operators' limits around the nominal
envelope (stored per satellite with PUT /limits)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from satmon.contract.limits import default_limits
from satmon.settings import Settings
from tests.integration.alarms.fleet import (
    Fleet,
    Limits,
    envelope_limits,
    expected_limit_steps,
    judged,
    quality,
    send,
    simulated,
    stored_limit_steps,
)
from tests.integration.alarms.support import forget, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
HOURS = 3.0
SATELLITES = 6
ANOMALIES_PER_HOUR = 6.0


@pytest.fixture(scope="module")
def fleets(settings: Settings, kafka_bootstrap: str) -> Iterator[dict[str, Fleet]]:
    """Three hours of six satellites each: with anomalies under the default limits, with
    anomalies under envelope limits, and nominal under envelope limits."""
    made = {
        "defaults": simulated(SATELLITES, HOURS, 11, ANOMALIES_PER_HOUR),
        "envelope": simulated(SATELLITES, HOURS, 12, ANOMALIES_PER_HOUR),
        "nominal": simulated(SATELLITES, HOURS, 13, None),
    }
    conn = psycopg.connect(settings.pg_dsn, autocommit=True)
    everyone = [s for fleet in made.values() for s in fleet.satellites]
    try:
        put_envelope(settings, made["envelope"].satellites + made["nominal"].satellites)
        send([s for fleet in made.values() for s in fleet.samples])
        wait_for(lambda: all(judged(conn, f) for f in made.values()), 300,
                 "the stack's evaluator to judge every sample", 0.5)  # fmt: skip
        yield made
    finally:
        forget(conn, everyone)
        conn.close()


def put_envelope(settings: Settings, satellites: list[str]) -> None:
    """The envelope limits of every limited metric, per satellite, through the running API."""
    base = f"http://{settings.api_host}:{settings.api_port}/api/v1/limits"
    headers = {"Authorization": f"Bearer {settings.api_token}"}
    with httpx.Client(timeout=10, headers=headers) as http:
        for sat in satellites:
            for metric in ("temperature", "altitude", "velocity", "battery", "solar_power"):
                body = {**envelope_limits(metric).to_dict(), "satellite": sat, "operator": "test"}
                answer = http.put(f"{base}/{metric}", json=body)
                assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("name", "limits_of"), [("defaults", default_limits), ("envelope", envelope_limits)]
)
def test_injected_anomalies_raise_exactly_the_limit_alarms_the_rules_say(
    fleets: dict[str, Fleet],
    pg: psycopg.Connection,
    settings: Settings,
    name: str,
    limits_of: Limits,
) -> None:
    fleet = fleets[name]
    expected = expected_limit_steps(fleet, limits_of)
    assert stored_limit_steps(pg, fleet) == expected
    figures = quality(pg, fleet, limits_of)
    print(f"\nlimit alarms ({name} limits) against the simulator's labels:", json.dumps(figures))
    out = settings.run_dir / "alarm-quality.json"
    report = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**report, name: figures}, indent=2) + "\n")
    if name == "envelope":
        assert expected, "no anomaly crossed a limit: nothing would be proven"
    if figures["limit_alarm_raises"]:
        assert figures["precision"] == 1.0  # every limit alarm lies inside a labelled anomaly
    if figures["labels_beyond_yellow"]:
        assert figures["recall_beyond_yellow"] == 1.0  # every anomaly past a limit alarmed


def test_nominal_data_raises_no_limit_or_anomaly_alarm(
    fleets: dict[str, Fleet], pg: psycopg.Connection
) -> None:
    nominal = fleets["nominal"]
    assert expected_limit_steps(nominal, envelope_limits) == set()
    rows = pg.execute(
        "SELECT kind, count(*) FROM alarms WHERE satellite_id = ANY(%s) GROUP BY kind",
        (nominal.satellites,),
    ).fetchall()
    assert {kind for kind, _ in rows} <= {"stale"}  # they do fall silent once sent


def test_the_running_api_lists_the_fleets_alarms_with_their_history(
    fleets: dict[str, Fleet], settings: Settings
) -> None:
    fleet = fleets["envelope"]
    base = f"http://{settings.api_host}:{settings.api_port}/api/v1/alarms"
    with httpx.Client(timeout=10) as http:
        page = http.get(
            base, params={"satellite": fleet.satellites, "kind": "limit", "limit": 500}
        ).json()
        assert page["items"] and {a["satellite"] for a in page["items"]} <= set(fleet.satellites)
        assert {a["state"] for a in page["items"]} <= {
            "active_unacknowledged",
            "returned_unacknowledged",
        }
        oldest = http.get(f"{base}/{page['items'][-1]['id']}").json()
    assert oldest["history"][0]["action"] == "raised"
    assert all(step["published"] for step in oldest["history"])  # on the alarms topic
