"""Fault drills (marker ``chaos``; ``make drills``): kill -9 of each component during a
60 s stream at 1,000 events/s with a forecast tick inside. After recovery and catch-up:
every event produced is stored in VictoriaMetrics, none twice; every forecast request
of the window ends completed or failed with one row; the component is back and the
telemetry lag back under a second; the limit alarms equal those of the run without a
kill (``alarms.py``)."""

from __future__ import annotations

import pytest

from satmon.clients.vm import VictoriaMetrics
from satmon.settings import Settings
from tests.chaos.drills import DRILLS, Drill, DrillRow, run_drill

pytestmark = [pytest.mark.chaos, pytest.mark.integration, pytest.mark.slow]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("drill", DRILLS, ids=[d.name for d in DRILLS])
def test_drill(
    drill: Drill, settings: Settings, vm: VictoriaMetrics, drill_rows: list[DrillRow]
) -> None:
    row = run_drill(drill, settings, vm)
    drill_rows.append(row)
    assert row.produced == 60_000, row
    assert row.lost == 0, f"{row.lost} events lost"
    assert row.duplicated == 0, f"{row.duplicated} samples stored twice"
    assert row.jobs is not None and row.jobs.requested > 0, "no forecast job in the window"
    assert row.jobs.stuck == 0, f"{row.jobs.stuck} jobs left queued or running"
    assert row.jobs.missing == 0, f"{row.jobs.missing} requests without a row"
    assert row.api_jobs is None or row.api_jobs > 0, "no job went through the API"
    assert row.api_refused == 0, f"the API refused {row.api_refused} good submits"
    assert row.api_jobs_lost == 0, f"{row.api_jobs_lost} jobs the API accepted are not on Kafka"
    assert not row.problems, "; ".join(row.problems)
