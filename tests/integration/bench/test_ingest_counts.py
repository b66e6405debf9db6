"""How the ingest benchmark counts samples, on the real VictoriaMetrics of the stack.

The bench judges "0 lost, 0 duplicated" from two figures: the fleet's samples stored
(deduplicated: the stack runs VictoriaMetrics with ``-dedup.minScrapeInterval=1ms``) and
the rows VictoriaMetrics accepted, less the rows other writers imported meanwhile.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator

import pytest

from bench.pipeline.data import Fleet, import_lines
from bench.pipeline.ingest import count_fleet_samples, other_writers_rows
from bench.pipeline.procs import delete_series
from satmon.clients.vm import ImportLines, VictoriaMetrics
from satmon.contract.events import METRICS

pytestmark = pytest.mark.integration


@pytest.fixture
def prefix(vm: VictoriaMetrics) -> Iterator[str]:
    name = f"TEST-{uuid.uuid4().hex[:8]}"
    yield name
    delete_series(vm.url, name)


def _old_fleet(prefix: str) -> Fleet:
    """A small fleet some days back, at a second of its own (nothing else writes there)."""
    start_s = time.time() - 10 * 86400 + random.randrange(0, 86400)
    return Fleet(prefix, satellites=2, per_sat=3, start_ms=int(start_s) * 1000)


def test_a_redelivered_sample_is_stored_once(vm: VictoriaMetrics, prefix: str) -> None:
    fleet = _old_fleet(prefix)
    body = import_lines(fleet.samples())
    vm.import_lines(body)
    vm.import_lines(body)  # the whole fleet once more, as a redelivery would write it
    expected = fleet.satellites * fleet.per_sat * len(METRICS)
    assert count_fleet_samples(vm, fleet, expected) == expected


def test_other_writers_rows_are_the_samples_stamped_inside_the_window(
    vm: VictoriaMetrics, prefix: str
) -> None:
    fleet = _old_fleet(prefix)
    vm.import_lines(import_lines(fleet.samples()))
    # another writer during the run: a sample stamped an hour after the fleet's last
    stamped_s = fleet.start_ms / 1000 + fleet.per_sat + 3600
    lines = ImportLines()
    lines.add(f"{prefix}-OTHER", int(stamped_s * 1000), (1.0,) * len(METRICS))
    vm.import_lines(lines.body())
    deadline = time.monotonic() + 15
    while (rows := other_writers_rows(vm, stamped_s - 0.5, stamped_s + 0.5)) < len(METRICS):
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert rows == len(METRICS)  # the fleet's older samples are not counted
    fleet_window_end = fleet.start_ms / 1000 + fleet.per_sat + 1
    assert other_writers_rows(vm, stamped_s - 1800, stamped_s - 1) == 0
    assert other_writers_rows(vm, fleet.start_ms / 1000 - 1, fleet_window_end) == (
        fleet.satellites * fleet.per_sat * len(METRICS)
    )
