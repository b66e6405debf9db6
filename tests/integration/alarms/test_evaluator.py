"""The alarm-evaluator in-process (functions-framework + the satmon host) on the real
PostgreSQL and Kafka: limit, stale and anomaly alarms, each transition one stored step
and one event on the ``alarms`` topic, and redelivery that changes nothing."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.alarms.support import (
    AlarmEvents,
    actors,
    post_batch,
    satellite,
    series,
    steps,
    telemetry_item,
    tick_item,
)

pytestmark = pytest.mark.integration


def new(made: list[str]) -> str:
    sat = satellite()
    made.append(sat)
    return sat


def test_limit_alarm_lifecycle_is_stored_and_published(evaluator, pg, made) -> None:
    sat = new(made)
    start = datetime.now(UTC) - timedelta(minutes=5)
    events = AlarmEvents()
    try:
        # temperature default limits: yellow high 45, red high 47.5, deadband 1.0
        values = [10.0, 46.0, 46.2, 48.0, 46.6, 46.0, 44.5, 43.9, 10.0]
        assert post_batch(evaluator, series(sat, start, "temperature", values))["rejected"] == []
        assert steps(pg, sat, "limit") == [
            ("limit", "temperature", "raised", "active_unacknowledged", "warning"),
            ("limit", "temperature", "escalated", "active_unacknowledged", "critical"),
            ("limit", "temperature", "deescalated", "active_unacknowledged", "warning"),
            ("limit", "temperature", "returned", "returned_unacknowledged", "warning"),
        ]
        assert actors(pg, sat) == {"alarm-evaluator"}
        published = events.of(sat, 4)
    finally:
        events.close()
    assert [e["type"] for e in published] == [
        "io.satmon.alarm.raised.v1",
        "io.satmon.alarm.changed.v1",
        "io.satmon.alarm.changed.v1",
        "io.satmon.alarm.changed.v1",
    ]
    assert [e["data"]["action"] for e in published] == [
        "raised",
        "escalated",
        "deescalated",
        "returned",
    ]
    assert len({e["id"] for e in published}) == 4
    first = published[0]["data"]
    assert first["value"] == 46.0 and "above the yellow high limit 45 °C" in first["message"]
    assert pg.execute(
        "SELECT count(*) FROM alarm_history h JOIN alarms a ON a.id = h.alarm_id"
        " WHERE a.satellite_id = %s AND a.kind = 'limit' AND h.published_at IS NULL",
        (sat,),
    ).fetchone() == (0,)


def test_redelivered_and_duplicated_batches_add_no_step(evaluator, pg, made) -> None:
    sat = new(made)
    start = datetime.now(UTC) - timedelta(minutes=5)
    items = series(sat, start, "battery", [3.9, 4.18, 4.18, 3.9])
    post_batch(evaluator, items)
    once = steps(pg, sat, "limit")
    assert [s[2] for s in once] == ["raised", "returned"]
    post_batch(evaluator, items)  # the whole batch again (a retry after a lost answer)
    post_batch(evaluator, items[1:2] + items[1:2])  # an event twice in one batch
    post_batch(evaluator, [*items, *items])
    assert steps(pg, sat, "limit") == once


def test_a_silent_satellite_goes_stale_on_a_tick_and_fresh_data_returns_it(
    evaluator, pg, made
) -> None:
    sat = new(made)
    last = datetime.now(UTC) - timedelta(seconds=20)
    post_batch(evaluator, series(sat, last - timedelta(seconds=4), "temperature", [1.0] * 5))
    post_batch(evaluator, [tick_item()])
    # its newest sample is old, but it was judged just now: a backlog, not silence
    assert steps(pg, sat, "stale") == []
    time.sleep(3.2)  # 3 × its 1 s cadence without a sample judged
    post_batch(evaluator, [tick_item()])
    assert steps(pg, sat, "stale") == [
        ("stale", None, "raised", "active_unacknowledged", "warning")
    ]
    raised_at, message = pg.execute(
        "SELECT raised_at, message FROM alarms WHERE satellite_id = %s AND kind = 'stale'", (sat,)
    ).fetchone()
    # dated when the silence passed 3 × the 1 s cadence, not when a tick saw it
    assert abs((raised_at - (last + timedelta(seconds=3))).total_seconds()) < 0.01
    assert f"no telemetry from {sat}" in message
    post_batch(evaluator, [tick_item()])  # a second tick raises nothing new
    post_batch(evaluator, [telemetry_item(sat, datetime.now(UTC))])
    assert [s[2:4] for s in steps(pg, sat, "stale")] == [
        ("raised", "active_unacknowledged"),
        ("returned", "returned_unacknowledged"),
    ]


def test_a_vae_outcome_over_its_threshold_raises_an_anomaly_alarm(evaluator, pg, made) -> None:
    sat = new(made)
    end = datetime.now(UTC) - timedelta(minutes=1)
    high = _completed(sat, "battery", end, 1.7)
    assert (
        post_batch(
            evaluator, [high, _completed(sat, "battery", end, 1.7, "transformer_timeseries")]
        )["rejected"]
        == []
    )
    assert steps(pg, sat) == [("anomaly", "battery", "raised", "active_unacknowledged", "warning")]
    post_batch(evaluator, [high])  # redelivered: nothing new
    post_batch(evaluator, [_completed(sat, "battery", end - timedelta(seconds=30), 0.1)])  # late
    assert len(steps(pg, sat, "anomaly")) == 1
    post_batch(evaluator, [_completed(sat, "battery", end + timedelta(minutes=1), 0.1)])
    assert [s[2] for s in steps(pg, sat, "anomaly")] == ["raised", "returned"]
    # the outcome's own threshold wins over the default
    post_batch(
        evaluator, [_completed(sat, "battery", end + timedelta(minutes=2), 0.3, threshold=0.2)]
    )
    assert [s[2] for s in steps(pg, sat, "anomaly")] == ["raised", "returned", "reactivated"]


def test_events_it_can_never_process_are_rejected_by_position(evaluator, made) -> None:
    sat = new(made)
    good = telemetry_item(sat, datetime.now(UTC) - timedelta(minutes=1))
    bad_value = telemetry_item(sat, datetime.now(UTC))
    bad_value["data"]["battery"] = "full"
    other = {**good, "id": "x", "type": "io.satmon.forecast.requested.v1"}
    answer = post_batch(evaluator, [good, bad_value, other, 7])
    assert answer["accepted"] == 1
    assert [(r["index"], r["field"]) for r in answer["rejected"]] == [
        (1, "data.battery"),
        (2, "type"),
        (3, "body"),
    ]


def _completed(
    sat: str, metric: str, end: datetime, score: float, model: str = "vae_timeseries",
    threshold: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    stamps = [end - timedelta(seconds=19 - i) for i in range(20)]
    data: dict[str, Any] = {
        "job_id": uuid.uuid4().hex,
        "satellite_id": sat,
        "metric": metric,
        "model": model,
        "requested_at": end.isoformat(),
        "completed_at": end.isoformat(),
        "input_window": [3.9] * 20,
        "input_timestamps": [t.isoformat() for t in stamps],
        "predictions": [3.9] * 10,
        "anomaly_score": score,
    }
    if threshold is not None:
        data["anomaly_threshold"] = threshold
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/functions/forecaster",
        "type": "io.satmon.forecast.completed.v1",
        "datacontenttype": "application/json",
        "data": data,
    }


def test_one_batch_or_one_sample_per_batch_makes_the_same_steps(evaluator, pg, made) -> None:
    whole, split = new(made), new(made)
    start = datetime.now(UTC) - timedelta(minutes=5)
    values = [10.0, 46.0, 48.0, 48.5, 46.4, 48.0, 46.0, 44.5, 43.9, 46.0, 10.0]
    post_batch(evaluator, series(whole, start, "temperature", values))
    for item in series(split, start, "temperature", values):
        post_batch(evaluator, [item])
    expected = [
        ("raised", "warning"),
        ("escalated", "critical"),
        ("deescalated", "warning"),
        ("escalated", "critical"),
        ("deescalated", "warning"),
        ("returned", "warning"),
        ("reactivated", "warning"),
        ("returned", "warning"),
    ]
    assert [(s[2], s[4]) for s in steps(pg, whole, "limit")] == expected
    assert [(s[2], s[4]) for s in steps(pg, split, "limit")] == expected
