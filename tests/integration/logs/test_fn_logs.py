"""``satmon fn logs NAME`` reads the log store while the stack runs it: a record that is
only in VictoriaLogs (put there for this test, not in the function's file) is printed,
``--file`` reads the file instead, and ``-f`` prints records as the store receives them."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime

import orjson
import pytest

from satmon.clients.victorialogs import VictoriaLogs
from satmon.settings import Settings
from tests.integration.logs.conftest import wait_for

pytestmark = pytest.mark.integration
NAME = "forecaster"


def test_fn_logs_prints_the_stores_records_and_the_file_on_request(
    settings: Settings, logstore: VictoriaLogs
) -> None:
    marker = _store_only_record(logstore)
    stored = _fn_logs("-n", "200")
    assert stored.returncode == 0, stored.stderr
    assert "from the log store at" in stored.stderr
    line = next(x for x in stored.stdout.splitlines() if marker in x)
    assert line.endswith(f"WARNING satmon.test.fn_logs: {marker} [job_id=fn-logs-test]")
    from_file = _fn_logs("-n", "200", "--file")
    assert from_file.returncode == 0, from_file.stderr
    assert marker not in from_file.stdout and "from the log store" not in from_file.stderr
    assert (settings.logs_dir / f"{NAME}.log").stat().st_size > 0


def test_fn_logs_follow_prints_what_the_store_receives(logstore: VictoriaLogs) -> None:
    follower = subprocess.Popen(
        [sys.executable, "-m", "satmon", "fn", "logs", NAME, "-f", "-n", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(x) for x in follower.stdout or []], daemon=True
    ).start()
    try:
        sent: list[tuple[float, str]] = []
        seen: list[str] = []

        def printed() -> bool:
            # the tail starts once the process is up: send a new record every 2 s until
            # one shows
            if not sent or time.monotonic() - sent[-1][0] > 2:
                sent.append((time.monotonic(), _store_only_record(logstore)))
            while not lines.empty():
                seen.append(lines.get())
            return any(marker in x for _, marker in sent for x in seen)

        wait_for(printed, 20, "a record new in the store printed by `satmon fn logs -f`")
    finally:
        follower.send_signal(signal.SIGINT)
        follower.wait(10)
    assert follower.returncode == 0, follower.stderr.read() if follower.stderr else ""


def _store_only_record(logstore: VictoriaLogs) -> str:
    marker = f"fn-logs test record {uuid.uuid4().hex}"
    record = {
        "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "level": "warning",
        "component": NAME,
        "logger": "satmon.test.fn_logs",
        "message": marker,
        "job_id": "fn-logs-test",
    }
    logstore.insert(orjson.dumps(record) + b"\n")
    logstore.flush()
    return marker


def _fn_logs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satmon", "fn", "logs", NAME, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
