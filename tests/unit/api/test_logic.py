"""Pure logic of the API: bucket slots and their filling, alignment and error figures,
CSV rows, snippets, cursors, the feed's bounded queues."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import numpy as np
import orjson
import pytest

from satmon.api.buckets import bucket_query, columns_from, slots_for
from satmon.api.compare import align
from satmon.api.csv_rows import rows
from satmon.api.feed import QUEUE_SIZE, Subscriber
from satmon.api.problems import Problem
from satmon.api.routes.query import _decode, _encode
from satmon.api.routes.search import highlight
from satmon.store.search import MARK_START, MARK_STOP

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)


def test_slots_are_aligned_whole_seconds_covering_the_range() -> None:
    week = 7 * 86_400_000
    slots = slots_for(T0_MS - week, T0_MS, 500)
    assert slots.width_ms == 1_210_000  # ceil(604,800 s / 500) to a whole second
    assert slots.first_ms % slots.width_ms == 0 and slots.count in (500, 501)
    assert slots.first_ms <= T0_MS - week < slots.first_ms + slots.width_ms
    last_start = slots.first_ms + (slots.count - 1) * slots.width_ms
    assert last_start < T0_MS <= last_start + slots.width_ms
    start, end, step = slots.query_window_s
    assert (start, step) == ((slots.first_ms + slots.width_ms) / 1000, 1210.0)
    assert end == (last_start + slots.width_ms) / 1000
    assert slots_for(T0_MS, T0_MS + 100, 500).width_ms == 1  # ms widths below a second


def test_missing_slots_are_count_zero_without_figures() -> None:
    slots = slots_for(T0_MS, T0_MS + 3 * 60_000, 3)
    end = lambda i: (slots.first_ms + (i + 1) * 60_000) / 1000  # noqa: E731
    figures = {
        "count_over_time": ("60", "5"),
        "min_over_time": ("3.1", "3.3"),
        "max_over_time": ("3.2", "3.4"),
        "avg_over_time": ("3.15", "3.35"),
    }
    result = [
        {
            "metric": {"__name__": "satellite_battery", "rollup": name},
            "values": [[end(0), first], [end(2), third]],
        }
        for name, (first, third) in figures.items()
    ]
    columns = columns_from(result, slots)["battery"]
    assert columns.count.tolist() == [60, 0, 5] and columns.total == 65
    assert orjson.loads(orjson.dumps(columns.min, option=orjson.OPT_SERIALIZE_NUMPY)) == [
        3.1,
        None,
        3.3,
    ]
    assert columns.avg[0] == 3.15 and np.isnan(columns.avg[1]) and columns.avg[2] == 3.35


def test_bucket_query_holds_only_contract_names_and_the_satellite() -> None:
    query = bucket_query(["temperature", "battery"], "SAT-001", 60_000)
    assert '{__name__=~"satellite_temperature|satellite_battery",satellite_id="SAT-001"}' in query
    assert query.count("[60000ms]") == 1 and "offset" not in query  # offset: no cache
    assert query.startswith("aggr_over_time(") and '"count_over_time"' in query


def test_alignment_and_errors_against_persistence() -> None:
    stamps = [T0_MS + i * 1000 for i in range(5)]
    values = [10.0, 11.0, 12.0, 13.0, 14.0]
    at = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    rows = [  # (model, ts, value, lower, upper, job, requested_at, last input)
        ("vae_timeseries", at(1), 11.5, None, None, "j1", at(0), 10.0),
        ("vae_timeseries", at(2), 12.5, None, None, "j1", at(0), 10.0),
        ("transformer_timeseries", at(2), 11.0, None, None, "j2", at(0.5), 10.5),
        ("vae_timeseries", at(9), 20.0, None, None, "j1", at(0), 10.0),  # no sample there
    ]
    aligned = align(rows, stamps, values)
    assert aligned.timestamps == [T0_MS + 1000, T0_MS + 2000, T0_MS + 9000]
    assert aligned.actual == [11.0, 12.0, None]
    assert aligned.persistence == [10.0, 10.5, 10.0]  # the newest job's last input
    vae, vae_persistence = aligned.errors["vae_timeseries"]
    assert (vae.points, vae.mae, vae.rmse) == (2, 0.5, 0.5)
    assert (vae_persistence.mae, vae_persistence.rmse) == (1.5, pytest.approx((2.5) ** 0.5))
    assert aligned.errors["transformer_timeseries"][0].mae == 1.0
    assert aligned.baseline.points == 2 and aligned.baseline.mae == pytest.approx(1.25)


def test_csv_rows_fill_missing_cells_and_format_times() -> None:
    chunk = {
        "temperature": ([T0_MS, T0_MS + 1000], [1.5, 2.5]),
        "battery": ([T0_MS + 1000], [3.9]),
    }
    assert rows(chunk, ["temperature", "battery"]) == (
        b"2026-11-28T10:00:00.000Z,1.5,\n2026-11-28T10:00:01.000Z,2.5,3.9\n"
    )
    assert rows({}, ["temperature"]) == b""


def test_snippets_escape_stored_text_then_mark_hits() -> None:
    stored = f"error <b>{MARK_START}timeout{MARK_STOP}</b> & more"
    assert highlight(stored) == "error &lt;b&gt;<mark>timeout</mark>&lt;/b&gt; &amp; more"


def test_cursors_round_trip_and_foreign_ones_are_422() -> None:
    cursor = _encode(T0, "job-1", "requested_at")
    assert _decode(cursor, "requested_at") == (T0, "job-1")
    for bad, column in [(cursor, "updated_at"), ("%%%", "requested_at"), ("e30", "requested_at")]:
        with pytest.raises(Problem) as caught:
            _decode(bad, column)
        assert caught.value.status == 422 and caught.value.field == "query.cursor"


def test_a_slow_subscriber_loses_the_oldest_samples_and_counts_them() -> None:
    async def fill() -> Subscriber:
        subscriber = Subscriber("SAT-001")
        for i in range(QUEUE_SIZE + 3):
            subscriber.offer({"i": i})
        return subscriber

    subscriber = asyncio.run(fill())
    assert subscriber.dropped == 3 and subscriber.queue.get_nowait() == {"i": 3}


def test_id_groups_keep_every_id_once_in_order_and_within_the_budget() -> None:
    from satmon.api.fleet import id_groups

    ids = [f"SAT.{i:04d}" for i in range(500)]
    groups = id_groups(ids, budget=200)
    assert [sat for group in groups for sat in group] == ids
    for group in groups:
        alternation = "|".join(sat.replace(".", r"\\.") for sat in group)
        assert len(alternation) <= 200
    assert id_groups([], budget=200) == []
