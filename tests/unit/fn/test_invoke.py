"""`satmon fn invoke`: the CloudEvent it puts together and the request it sends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from satmon.contract.http import decode_request
from satmon.fn.invoke import InvokeError, compose_event, encode_header, to_request
from satmon.settings import REPO_ROOT

FORECASTER = REPO_ROOT / "functions" / "forecaster"


def test_without_event_or_data_it_sends_the_functions_example() -> None:
    event = compose_event(FORECASTER, None, None, None)
    example = json.loads((FORECASTER / "event.json").read_text())
    assert event == example


def test_data_alone_takes_the_examples_type_and_gets_an_id_and_source() -> None:
    event = compose_event(FORECASTER, None, '{"satellite_id": "SAT-9"}', None)
    assert event["type"] == "io.satmon.forecast.requested.v1"
    assert event["data"] == {"satellite_id": "SAT-9"}
    assert event["id"].startswith("invoke-") and event["source"] == "/satmon/fn/invoke"
    assert compose_event(FORECASTER, None, "{}", "dev.knative.sources.ping")["type"] == (
        "dev.knative.sources.ping"
    )


@pytest.mark.parametrize(
    ("data", "event_text", "message"),
    [
        ("{not json", None, "--data is not JSON"),
        (None, "[1, 2]", "a structured-mode CloudEvent is a JSON object"),
        (None, "{oops", "not JSON"),
    ],
)
def test_bad_input_is_named(
    tmp_path: Path, data: str | None, event_text: str | None, message: str
) -> None:
    event_file = None
    if event_text is not None:
        event_file = tmp_path / "event.json"
        event_file.write_text(event_text)
    with pytest.raises(InvokeError, match=message):
        compose_event(FORECASTER, event_file, data, None)


def test_no_type_anywhere_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvokeError, match="add --type"):
        compose_event(tmp_path, None, "{}", None)


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_both_modes_decode_to_the_same_event(mode: str) -> None:
    event = compose_event(FORECASTER, None, None, None)
    event["source"] = '/manual "ü" 100%'
    headers, body = to_request(event, mode)
    (decoded,) = decode_request(headers, body).events
    assert decoded["source"] == '/manual "ü" 100%'
    assert decoded["id"] == event["id"] and decoded.data == event["data"]


def test_header_values_are_percent_encoded_as_the_binding_says() -> None:
    assert encode_header('a b"c%d/é') == "a%20b%22c%25d/%C3%A9"
