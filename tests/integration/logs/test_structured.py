"""Every satmon process of the running stack writes its log file as JSON records with its
own component name (what the shipper sends and the API filters on): no bare text lines
from a library (librdkafka, uvicorn, warnings) and no component named after another."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from satmon.settings import Settings
from satmon.stack.components import COMPONENTS

pytestmark = pytest.mark.integration
BANNER = "==== satmon: starting "
"""The line the launcher writes before each start of a component (not a record)."""
SATMON_PROCESSES = sorted(
    [name for name, c in COMPONENTS.items() if c.tier == "app"] + ["log-shipper"]
)


def lines_of_last_start(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(BANNER)]
    return [line for line in lines[starts[-1] + 1 if starts else 0 :] if line.strip()]


@pytest.mark.parametrize("name", SATMON_PROCESSES)
def test_a_satmon_process_logs_json_records_under_its_own_name(
    settings: Settings, name: str
) -> None:
    path = settings.logs_dir / f"{name}.log"
    if not path.exists():
        pytest.skip(f"{name} has not run in this stack (no {path.name})")
    bad = []
    for line in lines_of_last_start(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            bad.append(line)
            continue
        if not isinstance(record, dict) or record.get("component") != name:
            bad.append(line)
    assert not bad, f"{path}: {len(bad)} lines not JSON records of {name}, e.g. {bad[:3]}"
