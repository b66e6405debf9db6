"""The house template of a new function (``satmon fn new``), as ``str.format`` texts.

Fields: name, snake, camel, target, type, topic, port, trigger (the func.yaml entry),
event_json and data_json (the example event and its data).
"""

MAIN = '''\
"""{name}: say here what it does with its events.

Input: {type} events (its trigger is in func.yaml).
Output: a log line per event, for now.
"""

import logging

import functions_framework
from cloudevents.http import CloudEvent
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from satmon.contract.events import EventError
from satmon.fnhost.host import serve_batches

log = logging.getLogger("satmon.functions.{snake}")


class {camel}Input(BaseModel):
    """What this function needs from an event's data (other fields are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    satellite_id: str = Field(min_length=1)


@functions_framework.cloud_event
def {target}(event: CloudEvent) -> None:
    """One event: 200 once handled; 400 naming the field when its data does not fit."""
    data = parse_input(event.data)
    log.info("event %s from %s: satellite %s", event["id"], event["source"], data.satellite_id)


def parse_input(data: object) -> {camel}Input:
    """The event's data, or an EventError (→ 400, dead letter) naming the field."""
    try:
        return {camel}Input.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(["data", *(str(part) for part in first["loc"])])
        raise EventError(f"{{field}}: {{first['msg']}}", field=field) from exc


serve_batches({target})
'''

FUNC_YAML = """\
# The one description of this function (format: functions/README.md). The launcher reads
# it; `satmon fn render` derives eventing/{name}.yaml and its stack.yml entry.
name: {name}
description: {type} events → {name}.
entry:
  target: {target}
  signature: cloudevent
image: ghcr.io/satmon/{name}:0.1.0
local:
  port: {port}
  cpu: low          # below the ingestion path (functions/README.md)
cluster:
  concurrency: 8
  timeout_s: 30
  scale: {{min: 0, max: 3}}
  resources:
    requests: {{cpu: 50m, memory: 96Mi}}
    limits: {{memory: 256Mi}}
  secrets: [satmon_pg_password, satmon_api_token]
triggers:
{trigger}"""

README = """\
# {name}

Input: `{type}` events from `{topic}` (its trigger is in `func.yaml`); data with at
least `satellite_id`. Output: a log line per event, for now: say here what it writes or
emits, and where.

Answers: 200 handled; 400 problem+json naming the field when the data does not fit
(→ dead letter); raise `satmon.errors.TransientError` for a dependency that is down
(503 + `Retry-After` → retry).

## Run, invoke, test
```bash
satmon fn run {name}       # it and a dispatcher for its trigger; reloads on change
satmon fn invoke {name}    # sends event.json (binary mode); --mode structured, --data '{{...}}'
satmon fn logs {name} -f
.venv/bin/pytest tests/unit/functions/test_{snake}.py
```

## Test event (binary mode)
```bash
curl -i http://127.0.0.1:{port}/ -H "ce-specversion: 1.0" -H "ce-id: evt-$(date +%s%N)" \\
  -H "ce-source: /satellites/SAT-001" -H "ce-type: {type}" \\
  -H "Content-Type: application/json" -d '{data_json}'
```

Image: `satmon fn build {name}` (the `function` target of the repository's Dockerfile);
cluster: `satmon fn deploy {name} --target knative|openfaas --dry-run`.
"""

UNIT_TEST = '''\
"""{name}: its handler through functions-framework and the satmon host."""

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from satmon.fnhost.host import create_function_app

NAME = "{name}"
TARGET = "{target}"
FOLDER = Path(__file__).resolve().parents[3] / "functions" / NAME
SOURCE = str(FOLDER / "main.py")
EVENT: dict[str, Any] = json.loads((FOLDER / "event.json").read_text())


@pytest.fixture(params=["functions-framework", "satmon-host"])
def client(request: pytest.FixtureRequest) -> FlaskClient:
    if request.param == "functions-framework":
        return create_app(TARGET, SOURCE, "cloudevent").test_client()
    return create_function_app(SOURCE, TARGET).test_client()


def binary_headers(event: dict[str, Any]) -> dict[str, str]:
    body_attributes = ("data", "datacontenttype")
    headers = {{f"ce-{{k}}": str(v) for k, v in event.items() if k not in body_attributes}}
    return {{**headers, "Content-Type": "application/json"}}


def test_a_binary_event_is_handled(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO"):
        response = client.post("/", headers=binary_headers(EVENT), data=json.dumps(EVENT["data"]))
    assert response.status_code == 200
    assert f"event {{EVENT['id']}} from {{EVENT['source']}}" in caplog.text


def test_a_structured_event_is_handled(client: FlaskClient) -> None:
    headers = {{"Content-Type": "application/cloudevents+json"}}
    response = client.post("/", headers=headers, data=json.dumps(EVENT))
    assert response.status_code == 200


def test_data_without_satellite_id_is_refused_naming_the_field(client: FlaskClient) -> None:
    data = {{k: v for k, v in EVENT["data"].items() if k != "satellite_id"}}
    response = client.post("/", headers=binary_headers(EVENT), data=json.dumps(data))
    assert response.status_code == 400
    assert response.get_json()["field"] == "data.satellite_id"
'''
