"""A scratch stack for the launcher's tests: its own run folder and ports, so the tests
never touch the stack the rest of the suite runs on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from satmon.settings import Settings
from satmon.stack.postgres import drop_data
from satmon.stack.process import port_open
from tests.integration.stack.support import SCRATCH_PORTS, satmon


@pytest.fixture
def scratch_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    assert not any(port_open(p) for p in SCRATCH_PORTS), "scratch ports must be free"
    env = {
        "SATMON_RUN_DIR": str(tmp_path / "run"),
        "SATMON_VM_URL": "http://127.0.0.1:18428",
        "SATMON_PG_PORT": "15432",
        "COLUMNS": "200",
    }
    yield env
    satmon(["down"], env)  # whatever a failed test left running
    drop_data(Settings(run_dir=Path(env["SATMON_RUN_DIR"])))
