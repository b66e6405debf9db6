"""The shipper's rules, against a fake store (the real one: tests/integration/logs/)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from satmon.clients.victorialogs import LogStoreUnavailable
from satmon.logship import shipper as shipper_module
from satmon.logship.shipper import Shipper
from satmon.logship.tailer import load_positions
from tests.fakes import FakeLogStore


def write(path: Path, *messages: str) -> None:
    with path.open("a") as handle:
        for message in messages:
            handle.write(json.dumps({"level": "info", "message": message}) + "\n")


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


def test_records_carry_their_files_component_and_positions_follow(logs: Path) -> None:
    write(logs / "forecaster.log", "a", "b")
    write(logs / "api.log", "c")
    store = FakeLogStore()
    ship = Shipper(logs, store, logs.parent / "state")
    assert ship.ship_once() == 3
    assert {(r["component"], r["message"]) for r in store.records} == {
        ("forecaster", "a"),
        ("forecaster", "b"),
        ("api", "c"),
    }
    saved = load_positions(logs.parent / "state" / "positions.json")
    assert saved[str(logs / "forecaster.log")].offset == (logs / "forecaster.log").stat().st_size
    assert ship.ship_once() == 0


def test_a_store_that_is_down_costs_a_delay_not_a_record(logs: Path) -> None:
    store = FakeLogStore()
    ship = Shipper(logs, store, logs.parent / "state")
    write(logs / "x.log", "before")
    store.down = True
    with pytest.raises(LogStoreUnavailable):
        ship.ship_once()
    write(logs / "x.log", "during")
    assert ship._round() == 0 and ship.failures == 1
    store.down = False
    assert ship.ship_once() == 2
    assert [r["message"] for r in store.records] == ["before", "during"]


def test_a_new_shipper_goes_on_from_the_committed_positions(logs: Path) -> None:
    store = FakeLogStore()
    write(logs / "x.log", "one")
    Shipper(logs, store, logs.parent / "state").ship_once()
    write(logs / "x.log", "two")
    Shipper(logs, store, logs.parent / "state").ship_once()  # a restarted shipper
    assert [r["message"] for r in store.records] == ["one", "two"]


def test_a_restarted_store_gets_the_records_of_the_seconds_before_again(
    logs: Path, monkeypatch
) -> None:
    monkeypatch.setattr(shipper_module, "SNAPSHOT_EVERY_S", 0.0)
    store = FakeLogStore()
    ship = Shipper(logs, store, logs.parent / "state")
    write(logs / "x.log", "old")
    ship._round()
    ship.history[-1] = (time.time() - 60, ship.history[-1][1])  # a minute ago
    write(logs / "x.log", "recent")
    ship._round()
    store.records.clear()
    store.started = time.time()  # it restarted just now: "recent" may be lost
    ship._next_store_check = 0.0
    ship._round()
    assert [r["message"] for r in store.records] == ["recent"]
    lines = {r["line"] for r in store.records}
    assert len(lines) == 1  # the same line id as the first time it was sent


def test_status_says_alive_and_whether_the_store_answers(logs: Path) -> None:
    store = FakeLogStore()
    ship = Shipper(logs, store, logs.parent / "state")
    store.down = True
    ship._round()
    ship._write_status()
    status = json.loads((logs.parent / "state" / "status.json").read_text())
    assert status["store_ok"] is False and status["down_for_s"] is not None
