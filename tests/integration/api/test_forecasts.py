"""``/trends/prediction`` and ``/trends/compare`` on forecasts made by the real forecaster
while the simulator ran live: points aligned with the samples at their timestamps, MAE
and RMSE equal to what the test computes itself from the job results and VictoriaMetrics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from satmon.clients.vm import VictoriaMetrics, metric_selector

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _window(results: list[dict[str, Any]]) -> dict[str, str]:
    first = min(_ms(r["forecast"][0]["timestamp"]) for r in results)
    last = max(_ms(r["forecast"][-1]["timestamp"]) for r in results)
    start = datetime.fromtimestamp(first / 1000).astimezone() - timedelta(seconds=1)
    end = datetime.fromtimestamp(last / 1000).astimezone() + timedelta(seconds=1)
    return {"start": start.isoformat(), "end": end.isoformat()}


def test_prediction_latest_points_come_from_the_stored_jobs(
    api: TestClient, live_forecasts: dict[str, Any]
) -> None:
    results = live_forecasts["results"]
    params = {"satellite": "SAT-001", "metric": "temperature"} | _window(results)
    body = api.get("/api/v1/trends/prediction", params=params).json()
    assert body["latest"] is True and body["unit"] == "°C"
    assert {s["model"] for s in body["series"]} >= {"vae_timeseries", "transformer_timeseries"}
    for series in body["series"]:
        assert series["timestamps"] == sorted(set(series["timestamps"]))
        for job_id in set(series["job_ids"]):  # each point is its job's forecast there
            job = api.get(f"/api/v1/inference/result/{job_id}").json()
            stored = {_ms(p["timestamp"]): p["value"] for p in job["forecast"]}
            for t, v, j in zip(
                series["timestamps"], series["values"], series["job_ids"], strict=True
            ):
                if j == job_id:
                    assert stored[t] == v
    every = api.get("/api/v1/trends/prediction", params=params | {"latest": "false"}).json()
    ids = {j["job_id"] for j in every["jobs"]}
    assert {r["job_id"] for r in results} <= ids


def test_compare_aligns_samples_and_computes_errors_against_persistence(
    api: TestClient, live_forecasts: dict[str, Any], vm: VictoriaMetrics
) -> None:
    results = live_forecasts["results"]
    params = {"satellite": "SAT-001", "metric": "temperature"} | _window(results)
    answer = api.get("/api/v1/trends/compare", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    series = vm.export(
        metric_selector("temperature", "SAT-001"),
        start=_ms(params["start"].replace("+00:00", "Z")) / 1000 - 5,
        end=_ms(params["end"].replace("+00:00", "Z")) / 1000 + 5,
    )[0]
    samples = dict(zip(series.timestamps, series.values, strict=True))
    for t, actual in zip(body["timestamps"], body["actual"], strict=True):
        assert actual == samples.get(t)
    errors = {e["model"]: e for e in body["errors"]}
    for model in ("vae_timeseries", "transformer_timeseries"):
        column = body["forecasts"][model]
        pairs = [
            (f, a)
            for f, a in zip(column, body["actual"], strict=True)
            if f is not None and a is not None
        ]
        assert errors[model]["points"] == len(pairs) > 0
        diff = np.asarray([f - a for f, a in pairs])
        assert errors[model]["mae"] == pytest.approx(float(np.mean(np.abs(diff))), rel=1e-9)
        assert errors[model]["rmse"] == pytest.approx(float(np.sqrt(np.mean(diff**2))), rel=1e-9)
    # persistence: the last input of the job behind each point, carried forward
    prediction = api.get("/api/v1/trends/prediction", params=params | {"model": "vae"}).json()
    vae = prediction["series"][0]
    last_input = {}
    for job_id in set(vae["job_ids"]):
        last_input[job_id] = api.get(f"/api/v1/inference/result/{job_id}").json()["input"][-1]
    job_at = dict(zip(vae["timestamps"], vae["job_ids"], strict=True))
    carried = [
        (last_input[job_at[t]]["value"], a)
        for t, f, a in zip(
            body["timestamps"], body["forecasts"]["vae_timeseries"], body["actual"], strict=True
        )
        if f is not None and a is not None
    ]
    expected = float(np.mean([abs(p - a) for p, a in carried]))
    assert errors["vae_timeseries"]["persistence_mae"] == pytest.approx(expected, rel=1e-9)
    for job_id, point in last_input.items():  # a last input is the sample VictoriaMetrics holds
        assert point["value"] == samples.get(_ms(point["timestamp"]), point["value"]), job_id
    assert body["baseline"]["points"] >= errors["vae_timeseries"]["points"]
