"""The shipper's line formats: every server's lines get a time, a level and a message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from satmon.logship.formats import group_lines, level_of, parse_line

NOW = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)


def test_satmon_json_lines_keep_their_fields() -> None:
    line = (
        '{"time":"2026-12-02T01:56:50.082312Z","level":"warning","component":"forecaster",'
        '"logger":"satmon.pipeline.forecaster","message":"forecast failed","job_id":"j-1"}'
    )
    record = parse_line(line, NOW)
    assert record == {
        "time": "2026-12-02T01:56:50.082312Z",
        "level": "warning",
        "component": "forecaster",
        "logger": "satmon.pipeline.forecaster",
        "message": "forecast failed",
        "job_id": "j-1",
    }


def test_kafka_json_layout_levels_are_normalised() -> None:
    line = '{"time":"2026-12-02T01:56:53.699Z","level":"WARN","logger":"kafka","message":"m"}'
    assert parse_line(line, NOW)["level"] == "warning"  # type: ignore[index]


@pytest.mark.parametrize(
    ("line", "time", "level", "message"),
    [
        (
            '2026-12-02 01:56:08.079 UTC [9243] ERROR:  relation "x" does not exist',
            "2026-12-02T01:56:08.079000Z",
            "error",
            'relation "x" does not exist',
        ),
        (
            "2026-12-02T01:44:01.197Z\twarn\tVictoriaMetrics/app/vmselect/x.go:68\tresetting cache",
            "2026-12-02T01:44:01.197Z",
            "warning",
            "resetting cache",
        ),
        (
            "%3|1796176615.497|FAIL|rdkafka#producer-1| [thrd:127.0.0.1:9092/b]: refused",
            "2026-12-02T01:56:55.497000Z",
            "error",
            "[thrd:127.0.0.1:9092/b]: refused",
        ),
        (
            "[2026-12-02 01:41:06 +0000] [14917] [CRITICAL] WORKER TIMEOUT (pid:15)",
            "2026-12-02T01:41:06.000000Z",
            "critical",
            "WORKER TIMEOUT (pid:15)",
        ),
    ],
)
def test_server_text_formats(line: str, time: str, level: str, message: str) -> None:
    record = parse_line(line, NOW)
    assert record is not None
    assert (record["time"], record["level"], record["message"]) == (time, level, message)


def test_glog_and_python_text_in_the_local_zone(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time as _time

    _time.tzset()
    triton = parse_line('E1202 01:41:21.336157 14955 grpc_server.cc:2558] "failed"', NOW)
    assert triton is not None
    assert (triton["level"], triton["message"], triton["time"]) == (
        "error",
        "failed",
        "2026-12-02T01:41:21.336157Z",
    )
    python = parse_line("2026-12-02 01:43:32,827 INFO satmon.eventing.cli: stats", NOW)
    assert python is not None and python["time"] == "2026-12-02T01:43:32.827000Z"
    assert python["logger"] == "satmon.eventing.cli"


def test_the_launchers_banner_and_go_log_lines(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time as _time

    _time.tzset()
    banner = parse_line("==== satmon: starting kafka at Wed Dec  2 01:56:04 2026 ====", NOW)
    assert banner is not None
    assert (banner["message"], banner["time"]) == ("starting kafka", "2026-12-02T01:56:04.000000Z")
    go = parse_line("2026/12/02 01:56:04 INFO: metrics: disable exposing PSI metrics", NOW)
    assert go is not None
    assert (go["level"], go["message"]) == ("info", "metrics: disable exposing PSI metrics")


def test_a_line_in_no_format_is_its_own_message_at_the_read_time() -> None:
    record = parse_line("something printed", NOW)
    assert record is not None
    assert (record["message"], record["level"], record["time"]) == (
        "something printed",
        "info",
        "2026-12-02T10:00:00.000000Z",
    )


def test_indented_lines_and_tracebacks_join_the_record_they_continue() -> None:
    lines = [
        "2026-12-02 01:43:32,827 ERROR satmon.x: it broke",
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in <module>',
        "ValueError: boom",
        "2026-12-02 01:43:33,000 INFO satmon.x: next",
        "+------+--------+",
        "| vae  | READY  |",
    ]
    records = group_lines(list(enumerate(lines)), NOW, "ab")
    assert [r["message"].splitlines()[0] for r in records] == [
        "it broke",
        "next",
    ]
    assert records[0]["message"].endswith("ValueError: boom")
    assert "| vae  | READY  |" in records[1]["message"]
    assert [r["line"] for r in records] == ["ab:0", "ab:4"]


def test_level_words_of_every_format() -> None:
    assert [level_of(w) for w in ("LOG", "FATAL", "WARN", "err", "DEBUG3", "notice")] == [
        "info",
        "critical",
        "warning",
        "error",
        "debug",
        "info",
    ]
