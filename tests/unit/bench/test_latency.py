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
