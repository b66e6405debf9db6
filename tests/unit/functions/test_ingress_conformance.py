"""The CloudEvents conformance cases against the ingress function, in-process.

Each case is sent as written (its data is not a satmon event → a 4xx, never a 5xx) and
once more carrying a valid satmon telemetry event with every other attribute,
extension and transport header of the case kept (→ a 2xx).
"""

import json
from urllib.parse import quote

import pytest
import yaml
from functions_framework import create_app

from satmon.settings import REPO_ROOT, get_settings

CASES_DIR = REPO_ROOT / "tests" / "data" / "cloudevents-conformance" / "yaml"
CASE_FILES = [CASES_DIR / "v1.yaml", CASES_DIR / "v1.0" / "v1_minimum.yaml"]
SOURCE = str(REPO_ROOT / "functions" / "ingress" / "main.py")
TELEMETRY = {
    "satellite_id": "SAT-042",
    "timestamp": "2026-11-28T10:00:00.000Z",
    "temperature": -3.5,
    "altitude": 430.1,
    "velocity": 7.7,
    "battery": 3.7,
    "solar_power": 12.0,
    "latitude": -20.5,
    "longitude": 100.25,
}


def load_cases():
    cases = []
    for path in CASE_FILES:
        for n, doc in enumerate(yaml.load_all(path.read_text(), Loader=yaml.BaseLoader)):
            if doc:
                cases.append(pytest.param(doc, id=f"{path.name}#{n}"))
    return cases


def as_request(case, mode=None, keep_newlines=False):
    """(headers, body) of a conformance case in its mode (binary unless it says otherwise).

    A YAML block scalar (``|``) ends its value with a newline, which a CloudEvents String
    may not hold (spec.md, type system) and which Go's HTTP client refuses to put in a
    header; it is dropped unless ``keep_newlines``.
    """
    attrs = dict(case["ContextAttributes"])
    extensions = attrs.pop("Extensions", {}) or {}
    if not keep_newlines:
        extensions = {name: value.rstrip("\n") for name, value in extensions.items()}
    data = case.get("Data")
    content_type = attrs.get("datacontenttype")
    headers = dict(case.get("TransportExtensions", {}) or {})
    headers["Authorization"] = f"Bearer {get_settings().api_token}"
    mode = mode or case.get("Mode", "binary")
    if mode == "structured":
        obj = {**attrs, **extensions}
        if data is not None:
            is_json = content_type is None or "json" in content_type
            obj["data"] = json.loads(data) if is_json else data
        headers["Content-Type"] = "application/cloudevents+json; charset=utf-8"
        return headers, json.dumps(obj).encode()
    for name, value in {**attrs, **extensions}.items():
        if name == "datacontenttype":
            headers["Content-Type"] = value
        else:
            headers[f"ce-{name}"] = quote(
                value, safe="".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"%')
            )
    return headers, (data or "").encode()


def as_satmon_case(case):
    """The same case carrying a valid telemetry event."""
    attrs = dict(case["ContextAttributes"])
    attrs["type"] = "io.satmon.telemetry.v1"
    if "datacontenttype" in attrs:
        attrs["datacontenttype"] = "application/json; charset=utf-8"
    return {**case, "ContextAttributes": attrs, "Data": json.dumps(TELEMETRY)}


@pytest.fixture
def client(ingress_producer):
    app = create_app("ingest_cloudevent", SOURCE, "http")
    return app.test_client(), ingress_producer


@pytest.mark.parametrize("case", load_cases())
@pytest.mark.parametrize("mode", [None, "binary", "structured"])
def test_foreign_event_is_a_4xx(client, case, mode):
    http, producer = client
    headers, body = as_request(case, mode)
    response = http.post("/", headers=headers, data=body)
    assert 400 <= response.status_code < 500, response.data
    assert response.status_code == 400
    assert response.json["field"] == "type"
    assert producer.records == []


@pytest.mark.parametrize("case", load_cases())
@pytest.mark.parametrize("mode", [None, "binary", "structured"])
def test_satmon_event_is_a_2xx(client, case, mode):
    http, producer = client
    headers, body = as_request(as_satmon_case(case), mode)
    response = http.post("/", headers=headers, data=body)
    assert response.status_code == 202, response.data
    [record] = producer.records
    sent = dict(record["headers"])
    assert sent["ce_id"].decode() == case["ContextAttributes"]["id"]
    for name, value in (case["ContextAttributes"].get("Extensions") or {}).items():
        assert sent[f"ce_{name}"].decode() == value.rstrip("\n")
    again = http.post("/", headers=headers, data=body)
    assert again.status_code == 200
    assert len(producer.records) == 1


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_an_extension_ending_in_a_newline_is_a_400_naming_it(client, mode):
    """v1.yaml#0 as written: a control character (U+000A) in an attribute value."""
    http, producer = client
    [case] = [c.values[0] for c in load_cases() if c.id == "v1.yaml#0"]
    headers, body = as_request(as_satmon_case(case), mode, keep_newlines=True)
    response = http.post("/", headers=headers, data=body)
    assert response.status_code == 400
    assert response.json["field"].endswith("comexampleextension2")
    assert "U+000A" in response.json["detail"]
    assert producer.records == []
