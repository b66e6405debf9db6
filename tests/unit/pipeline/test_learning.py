"""What a batch's learnings share (pure logic, with the unit tests' fake VictoriaMetrics):
one read of a series' history for the VAE's threshold and both models' choices, and a
wall-time budget that bounds how long a batch learns while its jobs wait."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from satmon.clients.vm import Series
from satmon.pipeline import choices, learning, thresholds
from satmon.pipeline.forecaster import handle_events
from satmon.pipeline.learning import LearningBudget, SharedHistory
from tests.fakes import FakeVictoriaMetrics
from tests.unit.pipeline.test_choices import OffsetModel
from tests.unit.pipeline.test_forecaster import request


class CountingVictoriaMetrics(FakeVictoriaMetrics):
    """The fake VictoriaMetrics, counting the exports of telemetry series."""

    def __init__(self) -> None:
        super().__init__()
        self.telemetry_exports: list[str] = []

    def export(self, match: str, start: float | None = None, end: float | None = None) -> Any:
        if match.startswith("satellite_"):
            self.telemetry_exports.append(match)
        return super().export(match, start=start, end=end)


def with_history(sats: list[str], seconds: int = 3600) -> CountingVictoriaMetrics:
    vm = CountingVictoriaMetrics()
    end_s = time.time()
    rng = np.random.default_rng(0)
    for sat in sats:
        t_ms = [int((end_s - seconds + i) * 1000) for i in range(seconds)]
        values = list(3.7 + 0.01 * rng.standard_normal(seconds))
        vm.series[(sat, "battery")] = Series({"satellite_id": sat}, values, t_ms)
    return vm


class StepClock:
    """A clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_the_first_learning_is_allowed_however_small_the_budget() -> None:
    budget = LearningBudget(0.0, clock=StepClock(1.0))
    assert budget.allows()
    assert not budget.allows()


def test_learnings_stop_once_the_budget_is_spent() -> None:
    budget = LearningBudget(2.5, clock=StepClock(1.0))  # deadline 3.5: reads at 2, 3, 4
    assert [budget.allows() for _ in range(4)] == [True, True, True, False]


def test_shared_history_reads_each_export_once_and_passes_imports_through() -> None:
    vm, now_s = with_history(["SAT-001"]), time.time()
    shared = SharedHistory(vm)
    first = learning.recent_values(shared, ("SAT-001", "battery"), now_s)
    again = learning.recent_values(shared, ("SAT-001", "battery"), now_s)
    assert len(first) == 3600 and np.array_equal(first, again)
    assert len(vm.telemetry_exports) == 1
    later = learning.recent_values(shared, ("SAT-001", "battery"), now_s + 1)
    assert len(later) == 3600 and len(vm.telemetry_exports) == 2  # another range, read anew
    shared.import_lines(thresholds.threshold_line(("SAT-001", "battery"), 0.5, now_s))
    assert [s.labels["__name__"] for s in vm.other_series] == ["satmon_anomaly_threshold"]


def test_a_batch_reads_a_series_history_once_for_its_threshold_and_both_choices() -> None:
    vm, model = with_history(["SAT-001"]), OffsetModel(5.0)
    plan = handle_events([request(), request("t", model="transformer")], vm, lambda: model)
    assert len(plan.records) == 2
    assert len(vm.telemetry_exports) == 1
    learned = sorted(s.labels["__name__"] for s in vm.other_series)
    assert learned == ["satmon_anomaly_threshold", choices.CHOICE_METRIC, choices.CHOICE_METRIC]


def test_a_spent_budget_leaves_the_rest_to_later_batches(monkeypatch) -> None:
    sats = [f"SAT-{i:03d}" for i in range(4)]
    vm, model = with_history(sats), OffsetModel(5.0)
    monkeypatch.setattr(learning, "BUDGET_S", 0.0)  # only the first learning of a batch
    jobs = [request(f"j{i}", sat=sat) for i, sat in enumerate(sats)]
    first = handle_events(jobs, vm, lambda: model)
    assert len(first.records) == len(sats)  # every job completed
    assert [s.labels["__name__"] for s in vm.other_series] == ["satmon_anomaly_threshold"]
    for n in range(2, 3 * len(sats) + 1):  # 4 thresholds + 4 VAE choices, one per batch
        handle_events([request(f"k{n}-{i}", sat=s) for i, s in enumerate(sats)], vm, lambda: model)
        if len(vm.other_series) == 2 * len(sats):
            break
    assert len(vm.other_series) == 2 * len(sats)
