"""How ``satmon fn logs`` prints a record, whether it came from the store or the file."""

from __future__ import annotations

import orjson

from satmon.fn.store_logs import render, render_line

RECORD = {
    "time": "2026-12-02T02:44:01.281085Z",
    "level": "warning",
    "component": "forecaster",
    "logger": "satmon.pipeline.forecaster",
    "message": "forecast failed: not enough data",
    "job_id": "j-1",
    "satellite": "SAT-001",
    "line": "57c59c:159629",
}


def test_a_record_is_one_line_with_its_ids_and_without_the_shippers_position() -> None:
    assert render(RECORD) == (
        "2026-12-02T02:44:01.281085Z WARNING satmon.pipeline.forecaster: "
        "forecast failed: not enough data [job_id=j-1 satellite=SAT-001]"
    )


def test_a_traceback_stays_below_the_line_and_a_record_without_logger_names_its_component() -> None:
    record = {"time": "t", "level": "error", "component": "kafka", "message": "boom"}
    record["exception"] = "Traceback (most recent call last):\n  ValueError: x"
    assert render(record).splitlines() == [
        "t ERROR kafka: boom",
        "Traceback (most recent call last):",
        "  ValueError: x",
    ]


def test_a_file_line_is_rendered_when_it_is_a_record_and_kept_as_it_is_otherwise() -> None:
    assert render_line(orjson.dumps(RECORD).decode()) == render(RECORD)
    for line in ("plain text", "{not json", '{"no": "message"}', "[1, 2]", ""):
        assert render_line(line) == line
