"""``/trends``: real samples and buckets equal to what the simulator sent through the
pipeline, a hole as count = 0 buckets; metrics; satellites."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from satmon.api import create_app
from satmon.clients.vm import ImportLines, VictoriaMetrics, metric_selector
from satmon.contract.events import METRICS
from satmon.settings import Settings

pytestmark = pytest.mark.integration
RAW = "/api/v1/trends/raw"


def _window(history: dict[str, Any], minutes: int = 80) -> dict[str, str]:
    end = history["start"] + timedelta(minutes=minutes)
    return {"start": history["start"].isoformat(), "end": end.isoformat()}


def test_samples_mode_returns_every_sample_the_simulator_sent(
    api: TestClient, history: dict[str, Any]
) -> None:
    answer = api.get(
        RAW,
        params={"satellite": "SAT-002", "metric": ["temperature", "battery"], "mode": "samples"}
        | _window(history),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    truth = history["truth"]["SAT-002"]
    assert body["mode"] == "samples" and body["samples"] == 2 * len(truth["t"]) == 2 * 4200
    for series in body["series"]:
        assert series["timestamps"] == truth["t"]
        assert series["values"] == [getattr(s, series["metric"]) for s in truth["samples"]]
        assert series["unit"] == METRICS[series["metric"]][0]


def test_buckets_hold_min_max_avg_count_and_a_hole_is_count_zero(
    api: TestClient, history: dict[str, Any]
) -> None:
    answer = api.get(
        RAW,
        params={"satellite": "SAT-001", "metric": "altitude", "buckets": 80, "mode": "buckets"}
        | _window(history),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["mode"] == "buckets" and body["bucket_ms"] == 60_000
    series = body["series"][0]
    start_ms = int(history["start"].timestamp() * 1000)
    assert series["timestamps"] == [start_ms + i * 60_000 for i in range(80)]
    truth = history["truth"]["SAT-001"]
    stamps = np.asarray(truth["t"])
    values = np.asarray([s.altitude for s in truth["samples"]])
    for i, lo in enumerate(series["timestamps"]):  # a bucket holds lo < t <= lo + width
        inside = values[(stamps > lo) & (stamps <= lo + 60_000)]
        assert series["count"][i] == len(inside), i
        if len(inside):
            assert series["min"][i] == inside.min() and series["max"][i] == inside.max()
            assert series["avg"][i] == pytest.approx(inside.mean(), rel=1e-12)
        else:
            assert series["min"][i] is series["max"][i] is series["avg"][i] is None
    assert series["count"][40:49] == [0] * 9  # the hole: minutes 40 to 50 (50:00 is in 49)
    assert series["count"][:39] == [60] * 39 and series["count"][50:79] == [60] * 29
    assert series["count"][39] == series["count"][79] == 59 and series["count"][49] == 1


def test_auto_mode_gives_samples_up_to_the_limit_and_buckets_beyond(
    api: TestClient, history: dict[str, Any], settings: Settings
) -> None:
    day = {  # a day around the history still holds only its 4,200 samples
        "start": (history["start"] - timedelta(hours=12)).isoformat(),
        "end": (history["start"] + timedelta(hours=12)).isoformat(),
    }
    short = api.get(RAW, params={"satellite": "SAT-003", "metric": "velocity"} | day)
    assert short.json()["mode"] == "samples" and short.json()["samples"] == 4200
    with TestClient(create_app(settings.model_copy(update={"api_raw_sample_limit": 4199}))) as c:
        body = c.get(RAW, params={"satellite": "SAT-003", "metric": "velocity"} | day).json()
    assert body["mode"] == "buckets" and body["bucket_ms"] == 173_000  # 86,400 s / 500
    assert len(body["series"][0]["count"]) in (500, 501)
    assert sum(body["series"][0]["count"]) == body["samples"] == 4200


def test_every_parameter_is_checked_before_any_query(
    api: TestClient, history: dict[str, Any]
) -> None:
    for params, field in [
        ({"satellite": 'SAT-001"} or vector(1) {'}, "query.satellite"),
        ({"satellite": "SAT-404"}, "query.satellite"),
        ({"satellite": "SAT-001", "metric": "temperature|.*"}, "query.metric.0"),
        ({"satellite": "SAT-001", "range": "1y"}, "query.range"),
        ({"satellite": "SAT-001", "start": "yesterday'; DROP TABLE x;--"}, "query.start"),
        ({"satellite": "SAT-001", "buckets": "0"}, "query.buckets"),
    ]:
        answer = api.get(RAW, params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["field"] == field, params


def test_metrics_have_units_and_ranges(api: TestClient) -> None:
    body = api.get("/api/v1/trends/metrics").json()
    assert [m["name"] for m in body] == list(METRICS)
    assert body[0] == {
        "name": "temperature",
        "unit": "°C",
        "minimum": -50.0,
        "maximum": 50.0,
        "series": "satellite_temperature",
    }


def test_satellites_show_first_and_last_seen_staleness_and_latest_values(
    api: TestClient, history: dict[str, Any], recent_telemetry: list[str], vm: VictoriaMetrics
) -> None:
    asked = time.time()
    body = {s["id"]: s for s in api.get("/api/v1/trends/satellites").json()}
    answered = time.time()
    sat = body["SAT-001"]
    assert sat["first_seen"] <= history["start"].isoformat().replace("+00:00", "Z")
    assert sat["cadence_s"] == 1.0
    last = vm.export(metric_selector("temperature", "SAT-001"), start=time.time() - 3600)[0]
    assert sat["last_seen"].startswith(
        time.strftime("%Y-%m-%dT", time.gmtime(last.timestamps[-1] / 1000))
    )
    assert sat["latest"]["temperature"] == last.values[-1]
    limit = 3 * sat["cadence_s"]  # stale or not by the lag while the API computed it
    if asked - last.timestamps[-1] / 1000 > limit:
        assert sat["stale"]
    elif answered - last.timestamps[-1] / 1000 <= limit:
        assert not sat["stale"]


@pytest.fixture
def crowded_fleet(settings: Settings, vm: VictoriaMetrics) -> Iterator[list[str]]:
    """Hundreds of quiet satellites with long ids: together their ids are longer than
    VictoriaMetrics takes in one query (16 KiB), so any listing that names them all in one
    selector fails. Their series are deleted afterwards."""
    run = f"CROWD-{int(time.time())}"
    ids = [f"{run}-{i:04d}-{'x' * 24}" for i in range(600)]
    two_hours_ago_ms = int((time.time() - 7200) * 1000)
    lines = ImportLines()
    for sat in ids:
        lines.add(sat, two_hours_ago_ms, (20.0, 500.0, 7.6, 80.0, 100.0, 0.0, 0.0))
    vm.import_lines(lines.body())
    vm.flush_search_cache()
    yield ids
    httpx.post(
        f"{settings.vm_url}/api/v1/admin/tsdb/delete_series",
        params={"match[]": f'{{satellite_id=~"{run}-.*"}}'},
        timeout=30,
    ).raise_for_status()


def test_satellites_lists_a_fleet_whose_ids_exceed_one_query(
    settings: Settings, crowded_fleet: list[str]
) -> None:
    with TestClient(create_app(settings)) as client:  # a fresh directory sees the crowd
        answer = client.get("/api/v1/trends/satellites")
    assert answer.status_code == 200, answer.text
    body = {s["id"]: s for s in answer.json()}
    missing = [sat for sat in crowded_fleet if sat not in body]
    assert not missing, f"{len(missing)} of {len(crowded_fleet)} not listed, e.g. {missing[:3]}"
    sample = body[crowded_fleet[0]]
    assert sample["stale"] is True
    assert sample["first_seen"] == sample["last_seen"]


def test_satellites_read_again_only_what_sent_something_new(
    settings: Settings, vm: VictoriaMetrics
) -> None:
    """A satellite's cadence and latest values are kept with its last sample: a new
    sample shows at once, an unchanged satellite keeps its figures."""
    sat = f"FLEET-{int(time.time())}"
    now_ms = int(time.time() * 1000)

    def send(first_ms: int, count: int, every_ms: int, temperature: float) -> None:
        lines = ImportLines()
        for i in range(count):
            stamp = first_ms + i * every_ms
            lines.add(sat, stamp, (temperature, 500.0, 7.6, 80.0, 100.0, 0.0, 0.0))
        vm.import_lines(lines.body())
        vm.flush_search_cache()

    try:
        send(now_ms - 60_000, 200, 10, 20.0)  # 100 Hz for 2 s, a minute ago
        with TestClient(create_app(settings)) as client:
            first = {s["id"]: s for s in client.get("/api/v1/trends/satellites").json()}[sat]
            assert first["cadence_s"] == pytest.approx(0.01)
            assert first["latest"]["temperature"] == 20.0 and first["stale"] is True
            send(now_ms - 5_000, 3, 1000, 21.5)  # then 1 Hz, newer
            again = {s["id"]: s for s in client.get("/api/v1/trends/satellites").json()}[sat]
    finally:
        httpx.post(
            f"{settings.vm_url}/api/v1/admin/tsdb/delete_series",
            params={"match[]": f'{{satellite_id="{sat}"}}'},
            timeout=30,
        ).raise_for_status()
    assert again["latest"]["temperature"] == 21.5
    assert again["last_seen"] > first["last_seen"]
    assert again["cadence_s"] is not None
