"""``satmon fn new``: a new function folder from the house template.

It writes ``functions/<name>/`` (main.py with a typed handler, func.yaml, README.md with
a test event, event.json) and ``tests/unit/functions/test_<name>.py``, then renders the
manifests, so the new function passes ``make test`` as it is and ``satmon fn run`` can
start it at once. The trigger follows the event type: a Trigger with an ``exact`` type
filter on the Broker over the type's topic, or a KafkaSource when the topic has no
Broker.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from satmon.contract import events
from satmon.fn import templates
from satmon.fnspec.load import Functions, FunctionSpecError, load_functions
from satmon.fnspec.model import NAME_PATTERN
from satmon.fnspec.platform import read_platform
from satmon.fnspec.render import write_rendered

MAX_NAME = 32  # the generated code stays within the line length with names up to this
FIRST_FREE_PORT = 8086
"""Ports 8081–8085 are the contract's (ingress … alarm-evaluator); new functions go above."""
TOPIC_OF_TYPE = {
    events.TYPE_TELEMETRY: events.TOPIC_TELEMETRY,
    events.TYPE_FORECAST_REQUESTED: events.TOPIC_REQUESTS,
    events.TYPE_FORECAST_STARTED: events.TOPIC_RESULTS,
    events.TYPE_FORECAST_COMPLETED: events.TOPIC_RESULTS,
    events.TYPE_FORECAST_FAILED: events.TOPIC_RESULTS,
}


def new_function(
    root: Path,
    name: str,
    event_type: str = events.TYPE_TELEMETRY,
    topic: str | None = None,
    port: int | None = None,
    target: str | None = None,
) -> list[str]:
    """Create the function ``name`` under ``root``; returns the files written (relative)."""
    if not re.match(NAME_PATTERN, name) or len(name) > MAX_NAME:
        raise FunctionSpecError(
            f"{name!r}: a function name is at most {MAX_NAME} lower-case letters, digits and -"
        )
    folder = root / "functions" / name
    if folder.exists():
        raise FunctionSpecError(f"functions/{name} already exists")
    functions = load_functions(root)
    topic = topic or TOPIC_OF_TYPE.get(event_type)
    if topic is None:
        known = ", ".join(TOPIC_OF_TYPE)
        raise FunctionSpecError(f"no topic known for {event_type!r} (known: {known}): add --topic")
    snake = name.replace("-", "_")
    target = target or f"process_{snake}"
    taken = {fn.entry.target for fn in functions}
    if target in taken:
        raise FunctionSpecError(f"entry point {target!r} is already another function's")
    used = {fn.local.port for fn in functions}
    port = port or next(p for p in range(FIRST_FREE_PORT, 65536) if p not in used)
    platform = read_platform(root)
    brokers = {t: b for b, t in platform.broker_topics.items()}
    fields = {
        "name": name,
        "snake": snake,
        "camel": "".join(part.title() for part in name.split("-")),
        "target": target,
        "type": event_type,
        "topic": topic,
        "port": str(port),
        "trigger": _trigger(name, event_type, topic, brokers),
    }
    event = {
        "specversion": "1.0",
        "id": f"{name}-example-1",
        "source": "/satellites/SAT-001",
        "type": event_type,
        "datacontenttype": "application/json",
        "data": example_data(functions, event_type),
    }
    fields["event_json"] = json.dumps(event, indent=2)
    fields["data_json"] = json.dumps(event["data"])
    files = {
        f"functions/{name}/main.py": templates.MAIN,
        f"functions/{name}/func.yaml": templates.FUNC_YAML,
        f"functions/{name}/README.md": templates.README,
        f"functions/{name}/event.json": "{event_json}\n",
        f"tests/unit/functions/test_{snake}.py": templates.UNIT_TEST,
    }
    written = []
    for rel, template in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fields), encoding="utf-8")
        written.append(rel)
    try:
        written += write_rendered(root)
    except FunctionSpecError:
        for rel in written:  # a template that does not load leaves nothing half-made
            (root / rel).unlink(missing_ok=True)
        folder.rmdir()
        raise
    return written


def example_data(functions: Functions, event_type: str) -> Any:
    """The data of an existing function's example event of this type, else the least
    the template's handler needs."""
    for spec in functions:
        path = functions.root / spec.folder / "event.json"
        if path.exists():
            event = json.loads(path.read_text(encoding="utf-8"))
            if event.get("type") == event_type and isinstance(event.get("data"), dict):
                return event["data"]
    return {"satellite_id": "SAT-001"}


def _trigger(name: str, event_type: str, topic: str, brokers: dict[str, str]) -> str:
    """The func.yaml ``triggers`` entry: on the topic's Broker if it has one, else direct."""
    dead_letter = brokers.get(events.dlq_topic(topic))
    delivery = (
        "    delivery:\n"
        "      retry: 5\n"
        "      backoff_policy: exponential\n"
        "      backoff_delay: PT0.2S\n"
        "      timeout: PT10S\n" + (f"      dead_letter: {dead_letter}\n" if dead_letter else "")
    )
    if topic in brokers:
        source = (
            f"    broker: {brokers[topic]}\n    filters:\n      - exact: {{type: {event_type}}}\n"
        )
    else:
        source = f"    topics: [{topic}]\n"
    return (
        f"  - name: {name}\n"
        f"    description: {event_type} events on {topic} → {name}.\n"
        f"{source}"
        "    ordering: unordered\n"
        "    initial_offset: latest   # a new subscription starts with new events\n"
        f"{delivery}"
    )
