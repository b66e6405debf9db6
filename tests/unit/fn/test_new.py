"""`satmon fn new`: a function folder from the house template that loads, is rendered,
is wired to its trigger, and passes the checks of `make test` as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from satmon.eventing.crds import find_crd_dir
from satmon.eventing.manifests import load_topology
from satmon.fn.scaffold import new_function
from satmon.fnspec.load import FunctionSpecError, load_functions
from satmon.fnspec.render import stale_files

BIN = Path(sys.executable).parent


def _next_port(checkout: Path) -> int:
    used = {fn.local.port for fn in load_functions(checkout)}
    return next(p for p in range(8086, 65536) if p not in used)


def test_a_telemetry_function_gets_a_filtered_trigger_on_the_telemetry_broker(
    checkout: Path,
) -> None:
    port = _next_port(checkout)
    written = new_function(checkout, "battery-watch")
    assert set(written) == {
        "functions/battery-watch/main.py",
        "functions/battery-watch/func.yaml",
        "functions/battery-watch/README.md",
        "functions/battery-watch/event.json",
        "tests/unit/functions/test_battery_watch.py",
        "eventing/battery-watch.yaml",
        "stack.yml",
    }
    spec = load_functions(checkout).get("battery-watch")
    assert (spec.entry.target, spec.local.port) == ("process_battery_watch", port)
    assert stale_files(checkout) == []
    topology = load_topology(checkout / "eventing", crd_dir=find_crd_dir())  # CRD-valid
    sub = topology.subscription("battery-watch")
    assert (sub.kind, sub.topics) == ("Trigger", ("satellite-telemetry",))
    assert sub.accept({"type": "io.satmon.telemetry.v1"}) and not sub.accept({"type": "x"})
    assert sub.sink.url == f"http://127.0.0.1:{port}" and sub.initial_offset == "latest"
    assert sub.dead_letter_topic == "satellite-telemetry.dlq"


def test_a_type_on_a_brokers_topic_gets_a_filtered_trigger(checkout: Path) -> None:
    new_function(checkout, "battery-watch")
    port = _next_port(checkout)
    new_function(checkout, "job-audit", "io.satmon.forecast.completed.v1")
    assert load_functions(checkout).get("job-audit").local.port == port
    sub = load_topology(checkout / "eventing", validate=False).subscription("job-audit")
    assert (sub.kind, sub.topics) == ("Trigger", ("inference.results",))
    assert sub.accept({"type": "io.satmon.forecast.completed.v1"})
    assert not sub.accept({"type": "io.satmon.forecast.failed.v1"})
    assert sub.dead_letter_topic == "inference.results.dlq"


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("forecaster", {}, r"functions/forecaster already exists"),
        ("Bad_Name", {}, r"'Bad_Name': a function name is at most 32 lower-case letters"),
        ("x" * 33, {}, r"at most 32"),
        ("alarm-watch", {"event_type": "io.satmon.alarm.raised.v1"}, r"add --topic"),
        ("again", {"target": "store_result"}, r"'store_result' is already another function's"),
    ],
)
def test_what_cannot_be_made_is_refused(
    checkout: Path, name: str, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(FunctionSpecError, match=message):
        new_function(checkout, name, **kwargs)  # type: ignore[arg-type]
    assert not (checkout / "functions" / name).exists() or name == "forecaster"


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=240)


@pytest.mark.slow
def test_a_new_function_passes_lint_types_and_its_own_unit_test(checkout: Path) -> None:
    new_function(checkout, "battery-watch")
    files = ["functions/battery-watch/main.py", "tests/unit/functions/test_battery_watch.py"]
    for argv in (
        [str(BIN / "ruff"), "check", *files],
        [str(BIN / "ruff"), "format", "--check", *files],
        [str(BIN / "mypy"), files[0]],
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", files[1]],
    ):
        done = _run(argv, checkout)
        assert done.returncode == 0, f"{argv[0]}: {done.stdout}{done.stderr}"
    assert "6 passed" in done.stdout  # 3 tests × (functions-framework, satmon host)
