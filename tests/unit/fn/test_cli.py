"""`satmon fn` commands that need no server: list, deploy --dry-run, render, logs, and
build / deploy without their tools."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from satmon.cli import app
from satmon.eventing.crds import find_crd_dir, validate_document
from satmon.eventing.openfaas import stack_functions
from satmon.fnspec.load import load_functions
from satmon.settings import REPO_ROOT, get_settings

RUNNER = CliRunner()
FUNCTIONS = load_functions(REPO_ROOT)


def satmon(*args: str) -> Any:
    return RUNNER.invoke(app, ["fn", *args])


@pytest.fixture
def scratch_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Commands read a scratch checkout and run folder (settings are cached: reset them)."""
    from tests.checkout import copy_checkout

    root = copy_checkout(tmp_path / "repo")
    monkeypatch.setenv("SATMON_REPO_ROOT", str(root))
    monkeypatch.setenv("SATMON_RUN_DIR", str(tmp_path / "run"))
    get_settings.cache_clear()
    yield root
    get_settings.cache_clear()


def test_list_names_every_function_its_triggers_and_port() -> None:
    result = satmon("list")
    assert result.exit_code == 0, result.output
    for fn in FUNCTIONS:
        assert f"{fn.name}  {fn.entry.target} ({fn.entry.signature})  port {fn.local.port}" in (
            result.output
        )
        for trigger in fn.triggers:
            assert f"{trigger.kind} {trigger.name} ←" in result.output
    assert "filter: type=io.satmon.forecast.requested.v1 or type=dev.knative.sources.ping" in (
        result.output
    )
    assert "retry 24 linear PT0.5S → satellite-telemetry-dlq" in result.output


@pytest.mark.parametrize("namespace", [None, "staging"])
def test_deploy_dry_run_prints_only_the_named_functions_knative_manifests(
    namespace: str | None,
) -> None:
    args = ["deploy", "result-store", "--dry-run"] + (
        ["--namespace", namespace] if namespace else []
    )
    result = satmon(*args)
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.output))
    assert [d["kind"] for d in docs] == ["Service", "Trigger", "Trigger", "Trigger"]
    assert {d["metadata"]["namespace"] for d in docs} == {namespace or "satmon"}
    assert docs[0]["metadata"]["name"] == "result-store"
    assert {d["spec"]["subscriber"]["ref"]["name"] for d in docs[1:]} == {"result-store"}
    assert all("delivery" in d["spec"] or d["spec"]["broker"] for d in docs[1:])
    crds = find_crd_dir()
    assert crds is not None
    for doc in docs:
        assert validate_document(doc, crds) == []


def test_deploy_dry_run_renders_a_kafka_source_with_its_delivery() -> None:
    result = satmon("deploy", "telemetry-writer", "--dry-run")
    service, source = yaml.safe_load_all(result.output)
    assert (service["kind"], source["kind"]) == ("Service", "KafkaSource")
    assert source["spec"]["delivery"]["retry"] == 24
    assert source["spec"]["bootstrapServers"] == ["satmon-kafka-bootstrap.kafka:9092"]


def test_deploy_dry_run_for_openfaas_is_the_functions_stack_entry_alone() -> None:
    result = satmon("deploy", "forecaster", "--target", "openfaas", "--dry-run")
    assert result.exit_code == 0, result.output
    stack = yaml.safe_load(result.output)
    assert list(stack["functions"]) == ["forecaster"]
    entry = stack["functions"]["forecaster"]
    assert entry["annotations"]["topic"] == "inference.requests"
    assert entry.pop("namespace") == "openfaas-fn"
    crds = find_crd_dir()
    assert crds is not None
    (function,) = stack_functions(stack)
    assert validate_document(function, crds) == []


def test_an_unknown_function_or_target_is_refused() -> None:
    result = satmon("deploy", "nope", "--dry-run")
    assert result.exit_code == 1 and "no function named 'nope'" in result.output
    result = satmon("deploy", "forecaster", "--target", "nomad", "--dry-run")
    assert result.exit_code == 2 and "knative or openfaas" in result.output


def test_render_check_passes_here_and_names_a_stale_file(scratch_settings: Path) -> None:
    assert satmon("render", "--check").exit_code == 0
    func_yaml = scratch_settings / "functions" / "ingress" / "func.yaml"
    func_yaml.write_text(func_yaml.read_text().replace("port: 8081", "port: 8091"))
    result = satmon("render", "--check")
    assert result.exit_code == 1 and "out of date: eventing/ingress.yaml" in result.output
    assert "rendered eventing/ingress.yaml" in satmon("render").output
    assert satmon("render", "--check").exit_code == 0


def test_logs_prints_the_last_lines_of_the_functions_log(scratch_settings: Path) -> None:
    result = satmon("logs", "forecaster")
    assert (
        result.exit_code == 1 and "has not run here (`satmon fn run forecaster`)" in result.output
    )
    log = get_settings().run_dir / "logs" / "forecaster.log"
    log.parent.mkdir(parents=True)
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    result = satmon("logs", "forecaster", "-n", "3")
    assert result.exit_code == 0
    assert result.output.splitlines() == ["line 97", "line 98", "line 99"]


def _without_tools(*args: str, path: str) -> subprocess.CompletedProcess[str]:
    """The real CLI with a PATH that holds no docker, podman, kubectl or faas-cli."""
    env = {**os.environ, "PATH": path}
    return subprocess.run(
        [sys.executable, "-m", "satmon", "fn", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["build", "forecaster"],
            "neither docker nor podman is on PATH, and building forecaster's image needs it",
        ),
        (
            ["deploy", "forecaster"],
            "kubectl is not on PATH, and deploying forecaster to Knative needs it",
        ),
        (["deploy", "forecaster", "--target", "openfaas"], "faas-cli is not on PATH"),
    ],
)
def test_build_and_deploy_without_their_tools_say_what_is_missing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = _without_tools(*args, path=str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    text = " ".join((done.stdout + done.stderr).split())
    assert message in text
    assert "Install:" in text and ("apt-get install" in text or "OpenFaaS CLI" in text)


def test_build_runs_the_builder_on_the_dockerfiles_function_target(tmp_path: Path) -> None:
    """With a FAKE docker on PATH (a script that records its arguments)."""
    record = tmp_path / "argv.txt"
    fake = tmp_path / "docker"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    fake.chmod(0o755)
    done = _without_tools("build", "telemetry-writer", path=f"{tmp_path}:/usr/bin:/bin")
    assert done.returncode == 0, done.stdout + done.stderr
    argv = record.read_text().splitlines()
    assert argv == [
        "build", "--target", "function", "--build-arg", "FUNCTION=telemetry-writer",
        "--tag", "ghcr.io/satmon/telemetry-writer:0.1.0",
        "--file", str(REPO_ROOT / "Dockerfile"), str(REPO_ROOT),
    ]  # fmt: skip
    assert "built ghcr.io/satmon/telemetry-writer:0.1.0" in done.stdout


@pytest.mark.parametrize("target", ["knative", "openfaas"])
@pytest.mark.parametrize("name", [fn.name for fn in FUNCTIONS])
def test_every_dry_run_render_is_valid_and_only_the_named_function(name: str, target: str) -> None:
    result = satmon("deploy", name, "--target", target, "--dry-run")
    assert result.exit_code == 0, result.output
    crds = find_crd_dir()
    assert crds is not None
    if target == "knative":
        docs = list(yaml.safe_load_all(result.output))
        refs = {d["metadata"]["name"] for d in docs[:1]}
        refs |= {
            (d["spec"].get("subscriber") or d["spec"].get("sink"))["ref"]["name"] for d in docs[1:]
        }
        assert refs == {name}
    else:
        stack = yaml.safe_load(result.output)
        assert list(stack["functions"]) == [name]
        namespace = stack["functions"][name].pop("namespace")
        docs = stack_functions(stack, namespace)
    for doc in docs:
        assert validate_document(doc, crds) == []
