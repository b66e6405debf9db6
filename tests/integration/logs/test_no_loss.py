"""Shipping loses no record: not while VictoriaLogs is down for 30 s, not when the
shipper is killed, not when VictoriaLogs itself is killed right after it acknowledged.

Each test writes numbered records into a log file of its own under ``.satmon/logs/``
(as any component's output lands there) and expects every number in the store."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from satmon.clients.victorialogs import VictoriaLogs
from satmon.logconfig import JsonFormatter
from satmon.settings import Settings
from satmon.stack.launcher import Launcher
from tests.integration.logs.conftest import records_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class NumberedWriter:
    """Writes record 0, 1, 2… (field ``seq``) into ``path`` at ``rate`` per second."""

    def __init__(self, path: Path, rate: float) -> None:
        self.logger = logging.getLogger(f"satmon.test.{path.stem}")
        self.logger.propagate = False
        self.logger.setLevel(logging.INFO)
        self.handler = logging.FileHandler(path)
        self.handler.setFormatter(JsonFormatter(path.stem))
        self.logger.addHandler(self.handler)
        self.rate = rate
        self.written = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def burst(self, count: int) -> None:
        for _ in range(count):
            self._one()

    def _one(self) -> None:
        self.logger.info("numbered record %d", self.written, extra={"seq": self.written})
        self.written += 1

    def _run(self) -> None:
        while not self.stop.wait(1.0 / self.rate):
            self._one()

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(5)
        self.logger.removeHandler(self.handler)
        self.handler.close()


@contextmanager
def numbered_log(settings: Settings, rate: float = 20.0) -> Iterator[NumberedWriter]:
    name = f"logtest-{uuid.uuid4().hex[:8]}"
    writer = NumberedWriter(settings.logs_dir / f"{name}.log", rate)
    try:
        yield writer
    finally:
        writer.close()


def stored_numbers(logstore: VictoriaLogs, component: str) -> list[int]:
    rows = logstore.query(f'component:="{component}"')
    return sorted(int(r["seq"]) for r in rows)


def all_stored(logstore: VictoriaLogs, writer: NumberedWriter, limit_s: float) -> list[int]:
    component = writer.handler.baseFilename.rsplit("/", 1)[1].removesuffix(".log")
    return wait_for(
        lambda: (
            (n := stored_numbers(logstore, component))
            and set(n) >= set(range(writer.written))
            and n
        ),
        limit_s,
        f"all {writer.written} records of {component} in VictoriaLogs",
        every_s=0.5,
    )


def test_a_store_outage_of_30_s_loses_no_record(settings, logstore, api) -> None:
    launcher = Launcher(settings)
    with numbered_log(settings) as writer:
        writer.thread.start()
        time.sleep(3)
        launcher.stop(["victorialogs"])
        assert not logstore.healthy()
        time.sleep(30)  # records keep coming while the store is down
        launcher.up(["victorialogs"])
        time.sleep(3)
        writer.close()
        numbers = all_stored(logstore, writer, 30)
    assert writer.written > 30 * 15  # the writer kept writing through the outage
    assert set(numbers) == set(range(writer.written))
    component = Path(writer.handler.baseFilename).stem
    shown = records_of(api, component=component, limit=1000, range="1h")
    assert sorted(int(r["fields"]["seq"]) for r in shown) == list(range(writer.written))


def test_a_killed_shipper_loses_no_record(settings, logstore) -> None:
    launcher = Launcher(settings)
    with numbered_log(settings) as writer:
        writer.thread.start()
        time.sleep(2)
        shipper = launcher.table.get("log-shipper")
        assert shipper is not None and shipper.alive
        os.killpg(shipper.pid, signal.SIGKILL)
        wait_for(lambda: not shipper.alive, 10, "the shipper gone")
        time.sleep(5)
        launcher.up(["log-shipper"])
        time.sleep(2)
        writer.close()
        numbers = all_stored(logstore, writer, 30)
    assert set(numbers) == set(range(writer.written))


def test_a_store_killed_right_after_it_acknowledged_gets_those_records_again(
    settings, logstore
) -> None:
    launcher = Launcher(settings)
    positions = settings.run_dir / "logship" / "positions.json"
    with numbered_log(settings) as writer:
        path = writer.handler.baseFilename
        writer.burst(300)
        size = os.path.getsize(path)
        wait_for(
            lambda: (
                orjson.loads(positions.read_bytes())["files"].get(path, {}).get("offset") == size
            ),
            10,
            "the shipper's position at the end of the burst",
            every_s=0.01,
        )
        store = launcher.table.get("victorialogs")
        assert store is not None
        os.killpg(store.pid, signal.SIGKILL)  # acknowledged, maybe not yet on disk
        wait_for(lambda: not store.alive, 10, "the killed VictoriaLogs gone")
        # the stack's supervisor starts it again, as it restarts any crashed component
        wait_for(logstore.healthy, 60, "VictoriaLogs started again by the supervisor")
        numbers = all_stored(logstore, writer, 40)
    assert set(numbers) == set(range(300))
