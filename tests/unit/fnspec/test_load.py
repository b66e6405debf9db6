"""func.yaml: a bad description is refused with the file and the field that is wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from satmon.fnspec.load import FunctionSpecError, load_functions
from satmon.settings import REPO_ROOT


def test_the_checkouts_functions_load() -> None:
    functions = load_functions(REPO_ROOT)
    assert {f.name for f in functions} >= {
        "ingress",
        "telemetry-writer",
        "forecaster",
        "result-store",
    }
    writer = functions.get("telemetry-writer")
    assert (writer.entry.target, writer.local.port, writer.local.workers) == (
        "write_telemetry",
        8082,
        2,
    )
    assert functions.get("ingress").entry.signature == "http"
    assert functions.get("forecaster").local.cpu == "low"


def _edit(checkout: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = checkout / "functions" / name / "func.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["local"].update(port=99999),
            r"local\.port: Input should be less than or equal to 65535",
        ),
        (lambda d: d["local"].update(prot=1), r"local\.prot: Extra inputs are not permitted"),
        (
            lambda d: d["entry"].update(signature="event"),
            r"entry\.signature: Input should be 'cloudevent' or 'http'",
        ),
        (
            lambda d: d["cluster"]["scale"].update(min=20),
            r"scale\.min \(20\) is above scale\.max \(5\)",
        ),
        (
            lambda d: d["cluster"]["resources"]["limits"].update(memory="lots"),
            r"'lots' is not a Kubernetes quantity",
        ),
        (lambda d: d["cluster"].update(secrets=["PG_PASSWORD"]), r"a secret key is a setting name"),
        (
            lambda d: d["triggers"][0].update(topics=["x"]),
            r"triggers\.0: a trigger names either a broker or topics",
        ),
        (
            lambda d: d["triggers"][0].update(filters=[{"cesql": "type = 'x'"}]),
            r"triggers\.0: filters\[0\]",
        ),
        (
            lambda d: d["triggers"][0].update(delivery={"backoff_delay": "0.5s"}),
            r"triggers\.0\.delivery\.backoff_delay: not an ISO-8601 duration",
        ),
        (lambda d: d["triggers"][0].pop("ordering"), r"triggers\.0\.ordering: Field required"),
        (
            lambda d: d.update(name="forecast"),
            r"name 'forecast' is not its folder's \(forecaster\)",
        ),
        (
            lambda d: d["entry"].update(target="forecast_everything"),
            r"entry\.target 'forecast_everything' is not defined in functions/forecaster/main\.py",
        ),
    ],
)
def test_a_bad_field_is_named(checkout: Path, change: Any, message: str) -> None:
    _edit(checkout, "forecaster", change)
    with pytest.raises(FunctionSpecError, match=r"^functions/forecaster/func\.yaml: .*" + message):
        load_functions(checkout)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["local"].update(port=8082),
            r"telemetry-writer/func\.yaml: local\.port 8082 is already functions/result-store's",
        ),
        (lambda d: d["local"].update(port=8000), r"local\.port 8000 is the operation API's"),
        (
            lambda d: d["triggers"][1].update(name="forecaster"),
            r"result-store/func\.yaml: trigger forecaster is already functions/forecaster's",
        ),
    ],
)
def test_what_two_functions_cannot_share_is_refused(
    checkout: Path, change: Any, message: str
) -> None:
    _edit(checkout, "result-store", change)
    with pytest.raises(FunctionSpecError, match=message):
        load_functions(checkout)


def test_not_yaml_or_not_a_mapping_is_refused(checkout: Path) -> None:
    path = checkout / "functions" / "ingress" / "func.yaml"
    path.write_text("name: [ingress\n")
    with pytest.raises(FunctionSpecError, match=r"functions/ingress/func\.yaml: not valid YAML"):
        load_functions(checkout)
    path.write_text("- ingress\n")
    with pytest.raises(FunctionSpecError, match=r"must be a mapping"):
        load_functions(checkout)


def test_a_function_folder_without_a_description_is_refused(checkout: Path) -> None:
    (checkout / "functions" / "ingress" / "func.yaml").unlink()
    with pytest.raises(
        FunctionSpecError, match=r"functions/ingress: main\.py without a func\.yaml"
    ):
        load_functions(checkout)


def test_an_unknown_function_lists_the_known_ones() -> None:
    with pytest.raises(
        FunctionSpecError,
        match=r"no function named 'nope' \(known: alarm-evaluator, dead-letter-store, forecaster",
    ):
        load_functions(REPO_ROOT).get("nope")
