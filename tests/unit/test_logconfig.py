"""satmon.logconfig: the records every process writes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from satmon.logconfig import (
    configure_logging,
    current_ids,
    file_logger,
    log_ids,
    logging_enabled,
)


@pytest.fixture(autouse=True)
def _restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    logging.disable(logging.NOTSET)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_one_json_line_with_its_ids_and_extra_fields() -> None:
    out = io.StringIO()
    configure_logging("forecaster", stream=out, fmt="json")
    log = logging.getLogger("satmon.test")
    with log_ids(request_id="r-1", job_id=None):
        log.warning("forecast failed: %s", "not enough data", extra={"job_id": "j-1", "n": 4})
    [record] = records(out)
    assert record["level"] == "warning"
    assert record["component"] == "forecaster"
    assert record["logger"] == "satmon.test"
    assert record["message"] == "forecast failed: not enough data"
    assert (record["request_id"], record["job_id"], record["n"]) == ("r-1", "j-1", 4)
    assert record["time"].endswith("Z") and len(record["time"]) == len(
        "2026-11-28T10:00:00.000000Z"
    )
    assert current_ids() == {}  # the scope ended


def test_a_traceback_stays_inside_its_record() -> None:
    out = io.StringIO()
    configure_logging("api", stream=out, fmt="json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("x").exception("unexpected")
    [record] = records(out)
    assert record["level"] == "error"
    assert "ValueError: boom" in record["exception"]
    assert out.getvalue().count("\n") == 1


def test_a_terminal_gets_text_with_the_ids_appended() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    configure_logging("dispatcher", stream=out)
    with log_ids(event_id="e-1"):
        logging.getLogger("satmon.eventing").info("dead-lettered %s", "t/0/1")
    line = out.getvalue().strip()
    assert " INFO satmon.eventing: dead-lettered t/0/1 [event_id=e-1]" in line
    assert not line.startswith("{")


def test_a_pipe_gets_json_and_the_environment_can_force_text(monkeypatch) -> None:
    out = io.StringIO()
    configure_logging("api", stream=out)
    logging.getLogger("a").info("one")
    assert records(out)[0]["message"] == "one"
    monkeypatch.setenv("SATMON_LOG_FORMAT", "text")
    text = io.StringIO()
    configure_logging("api", stream=text)
    logging.getLogger("a").info("two")
    assert text.getvalue().rstrip().endswith("INFO a: two")
    assert out.getvalue().count("\n") == 1  # the first handler was replaced, not kept


def test_level_off_writes_nothing(monkeypatch) -> None:
    monkeypatch.setenv("SATMON_LOG_LEVEL", "off")
    out = io.StringIO()
    configure_logging("telemetry-writer", stream=out)
    logging.getLogger("satmon").error("not written")
    assert out.getvalue() == ""
    assert not logging_enabled()


def test_the_component_can_be_named_by_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SATMON_LOG_COMPONENT", "forecast-dispatcher")
    out = io.StringIO()
    configure_logging("dispatcher", stream=out, fmt="json")
    logging.getLogger("a").info("x")
    assert records(out)[0]["component"] == "forecast-dispatcher"


def test_noisy_libraries_log_warnings_only() -> None:
    out = io.StringIO()
    configure_logging("api", stream=out, fmt="json")
    logging.getLogger("httpx").info("HTTP Request: GET /health")
    logging.getLogger("httpx").warning("slow")
    assert [r["message"] for r in records(out)] == ["slow"]


def test_file_logger_writes_json_lines_to_its_file_only(tmp_path: Path) -> None:
    out = io.StringIO()
    configure_logging("cli", stream=out, fmt="json")
    path = tmp_path / "logs" / "launcher.log"
    said = file_logger("satmon.test.launcher", "launcher", path)
    said.info("kafka healthy after 10.0s")
    file_logger("satmon.test.launcher", "launcher", path).info("again")  # one handler
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["message"] for r in lines] == ["kafka healthy after 10.0s", "again"]
    assert lines[0]["component"] == "launcher"
    assert out.getvalue() == ""
