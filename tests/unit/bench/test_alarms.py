"""The alarm benchmark's pieces that need no server: its copy of the alarm-evaluator
Trigger re-pointed at a run's topic, and the renamed fleet."""

from __future__ import annotations

from pathlib import Path

from bench.alarms.data import renamed
from bench.alarms.runs import alarm_manifests
from satmon.eventing.manifests import load_topology
from satmon.settings import REPO_ROOT


def test_the_bench_trigger_is_the_products_on_the_runs_topic(tmp_path: Path) -> None:
    alarm_manifests(REPO_ROOT / "eventing", tmp_path, "bench-x", "http://127.0.0.1:9999")
    topo = load_topology(tmp_path)
    (sub,) = topo.subscriptions
    product = next(
        s
        for s in load_topology(REPO_ROOT / "eventing").subscriptions
        if s.name == "alarm-evaluator"
    )
    assert sub.topics == ("bench-x",) and sub.sink.url == "http://127.0.0.1:9999"
    assert sub.group == "knative-trigger-satmon-bench-bench-x" != product.group
    assert sub.dead_letter_topic == "bench-x.dlq"
    assert (sub.ordered, sub.batch_max_events, sub.batch_max_wait_ms) == (
        product.ordered, product.batch_max_events, product.batch_max_wait_ms,
    )  # fmt: skip


def test_a_renamed_fleet_keeps_its_samples() -> None:
    samples = [{"satellite_id": "SAT-007", "timestamp": "t", "battery": 3.9}]
    assert renamed(samples, "BENCH-1E0") == [
        {"satellite_id": "BENCH-1E0-007", "timestamp": "t", "battery": 3.9}
    ]
