"""The latency run's per-second breakdown of slow events (pure logic)."""

from bench.pipeline.latency import minute_offsets, slow_seconds


def test_slow_seconds_groups_by_produce_second_from_the_start():
    start = 10_000.0
    stored = [
        (9_500, 400.0),  # before the measured window: left out
        (10_100, 20.0),  # fast
        (10_200, 60.0),
        (10_900, 75.5),
        (12_000, 51.0),
        (12_999, 50.0),  # exactly the limit is not slow
    ]
    assert slow_seconds(stored, start, 50.0) == [
        {"second": 0, "slow": 2, "max_ms": 75.5},
        {"second": 2, "slow": 1, "max_ms": 51.0},
    ]


def test_no_slow_events_gives_an_empty_list():
    assert slow_seconds([(1_000, 10.0), (2_000, 49.9)], 0.0, 50.0) == []


def test_minute_offsets_within_the_window():
    start = 1_700_000_010_500.0  # 30.5 s past a minute
    assert minute_offsets(start, 60.0) == [29]
    assert minute_offsets(start, 100.0) == [29, 89]
    assert minute_offsets(start, 20.0) == []


def test_slow_stages_names_the_longest_wait_of_each_slow_event() -> None:
    from bench.pipeline.latency import slow_stages

    stages = [
        (1000, 1.0, 1.0, 1.0),  # fast: left out
        (1000, 60.0, 1.0, 1.0),  # waited for the poll
        (1000, 5.0, 2.0, 70.0),  # waited for the 2xx
        (1000, 5.0, 2.0, 90.0),
        (0, 5.0, 2.0, 90.0),  # before the start: left out
    ]
    out = slow_stages(stages, start_ms=500, slow_ms=50)
    assert out["events"] == 3
    assert out["longest_wait_in"] == {"kafka_to_poll": 1, "poll_to_send": 0, "send_to_2xx": 2}
    assert out["waits_ms"]["send_to_2xx"]["max"] == 90.0


def test_gc_pauses_records_a_collection_longer_than_its_bound() -> None:
    import gc
    import time

    from bench.pipeline.latency import _GcPauses

    pauses = _GcPauses(over_ms=0.0)
    pauses.start()
    try:
        gc.collect(0)
    finally:
        pauses.stop()
    assert pauses._callback not in gc.callbacks
    summary = pauses.summary(start_ms=time.time() * 1000 - 60_000)
    assert summary and summary[-1]["generation"] == 0
