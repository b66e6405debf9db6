"""The launcher's component table: the two dispatchers split the manifests' subscriptions
between them, and the forecasting side runs below ingestion's CPU priority."""

from __future__ import annotations

from pathlib import Path

from satmon.eventing.manifests import load_topology
from satmon.settings import REPO_ROOT, get_settings
from satmon.stack.components import ALARM_SUBSCRIPTIONS, COMPONENTS, INGESTION_SUBSCRIPTIONS
from satmon.stack.process import FORECASTING_NICE, ProcessSpec, ProcessTable


def _selection(argv: list[str], flag: str) -> set[str]:
    return {argv[i + 1] for i, arg in enumerate(argv) if arg == flag}


def test_every_subscription_runs_in_exactly_one_dispatcher() -> None:
    settings = get_settings()
    ingest = list(COMPONENTS["dispatcher"].build(settings).argv)
    forecast = list(COMPONENTS["forecast-dispatcher"].build(settings).argv)
    alarms = list(COMPONENTS["alarm-dispatcher"].build(settings).argv)
    names = {s.name for s in load_topology(REPO_ROOT / "eventing").subscriptions}
    assert set(INGESTION_SUBSCRIPTIONS) | set(ALARM_SUBSCRIPTIONS) <= names
    assert _selection(ingest, "--only") == set(INGESTION_SUBSCRIPTIONS)
    assert _selection(alarms, "--only") == set(ALARM_SUBSCRIPTIONS)
    assert "--no-pings" in ingest and "--no-pings" in alarms  # ticks: the forecasting side
    assert _selection(forecast, "--skip") == set(INGESTION_SUBSCRIPTIONS) | set(ALARM_SUBSCRIPTIONS)
    assert "--no-pings" not in forecast and "--only" not in forecast


def test_forecasting_side_runs_below_ingestion_priority() -> None:
    settings = get_settings()
    for name in ("forecast-dispatcher", "forecaster", "result-store", "triton"):
        assert COMPONENTS[name].build(settings).nice == FORECASTING_NICE > 0, name
    for name in ("dispatcher", "telemetry-writer", "ingress"):
        assert COMPONENTS[name].build(settings).nice == 0, name


def test_nice_prefixes_the_command_and_is_inherited(tmp_path: Path) -> None:
    table = ProcessTable(tmp_path)
    script = "import os; print(os.nice(0), flush=True)"
    spec = ProcessSpec(name="probe", argv=["python3", "-c", script], nice=7)
    running, proc = table.start(spec)
    proc.wait(10)
    assert table.log_path("probe").read_text().strip().splitlines()[-1] == "7"
    assert running.argv == ["python3", "-c", script]  # what status shows: the command
