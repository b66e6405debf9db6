"""`satmon fn new` → `fn run` → `fn invoke` on the real local stack: the new function
answers, events on its topic reach it through the dispatcher `fn run` started for its
trigger, an edit reloads it, and Ctrl-C stops both processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from satmon.clients.kafka import make_producer, produce_event
from satmon.contract.events import TOPIC_TELEMETRY, make_event
from satmon.fnspec.load import load_functions
from satmon.settings import Settings
from satmon.stack.process import ProcessTable, port_open
from tests.checkout import copy_checkout
from tests.samples import CONTRACT_TELEMETRY

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TELEMETRY = {**CONTRACT_TELEMETRY, "satellite_id": "SAT-FNRUN"}


def satmon(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satmon", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f}s: {what}")
        time.sleep(0.5)


def test_new_run_invoke_reload_and_stop(
    tmp_path: Path, settings: Settings, kafka_bootstrap: str
) -> None:
    root = copy_checkout(tmp_path / "repo")
    run_dir = tmp_path / "run"
    env = {**os.environ, "SATMON_REPO_ROOT": str(root), "SATMON_RUN_DIR": str(run_dir)}
    env["SATMON_KAFKA_BOOTSTRAP"] = kafka_bootstrap
    name = f"probe-{uuid.uuid4().hex[:6]}"
    created = satmon(["fn", "new", name], env)
    assert created.returncode == 0, created.stdout + created.stderr
    port = load_functions(root).get(name).local.port
    assert not port_open(port)
    log = run_dir / "logs" / f"{name}.log"

    runner = subprocess.Popen(
        [sys.executable, "-m", "satmon", "fn", "run", name],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: port_open(port), 90, f"{name} listening on {port}")
        table = ProcessTable(run_dir)
        wait_for(lambda: table.get(f"{name}-dispatcher") is not None, 30, "its dispatcher")

        answer = satmon(["fn", "invoke", name], env)
        assert answer.returncode == 0, answer.stdout + answer.stderr
        assert answer.stdout.startswith("HTTP 200 OK")
        refused = satmon(
            ["fn", "invoke", name, "--data", '{"battery": 3.9}', "--mode", "structured"], env
        )
        assert refused.returncode == 1
        assert refused.stdout.startswith("HTTP 400")
        assert "application/problem+json" in refused.stdout
        assert '"field": "data.satellite_id"' in refused.stdout

        # through Kafka: its KafkaSource starts at the latest offset, so send until one lands
        producer = make_producer(settings)
        sent: list[str] = []

        def delivered() -> bool:
            event_id = f"{name}-{len(sent)}"
            event = make_event(
                "io.satmon.telemetry.v1",
                "/satellites/SAT-FNRUN",
                TELEMETRY,
                event_id=event_id,
            )
            produce_event(producer, TOPIC_TELEMETRY, event)
            producer.flush(10)
            sent.append(event_id)
            text = log.read_text() if log.exists() else ""
            return any(f"event {i} from /satellites/SAT-FNRUN" in text for i in sent)

        wait_for(delivered, 90, "a telemetry event on Kafka reaching the function")

        main = root / "functions" / name / "main.py"
        main.write_text(main.read_text().replace('"event %s from', '"reloaded: event %s from'))

        def reloaded() -> bool:
            satmon(["fn", "invoke", name], env)
            return "reloaded: event" in log.read_text()

        wait_for(reloaded, 90, "the edited handler serving")
        logs = satmon(["fn", "logs", name, "-n", "200"], env)
        assert logs.returncode == 0 and "reloaded: event" in logs.stdout
    finally:
        runner.send_signal(signal.SIGINT)
        output = runner.communicate(timeout=90)[0]
    assert runner.returncode == 0, output
    assert f"stopped {name}-dispatcher" in output and f"stopped {name}" in output
    assert not port_open(port)
    assert ProcessTable(run_dir).names() == []
