"""alarm-evaluator: telemetry, completed forecasts and ticks → alarms in PostgreSQL and on
the ``alarms`` topic."""

from collections.abc import Sequence
from typing import Any

import functions_framework
from cloudevents.http import CloudEvent

from satmon.contract.events import EventError
from satmon.contract.rejections import Rejected
from satmon.fnhost import clients
from satmon.fnhost.host import serve_batches
from satmon.pipeline import alarm_evaluator, alarm_inputs

evaluator = clients.once(lambda: alarm_evaluator.from_settings(clients.db_pool, clients.producer))


@functions_framework.cloud_event
def evaluate_alarms(event: CloudEvent) -> None:
    """One event: 400 if it is not one the evaluator takes, 503 while PostgreSQL is down."""
    inputs, rejected = alarm_inputs.from_events([event], evaluator().policy.judging)
    if rejected:
        raise EventError(rejected[0].detail, field=rejected[0].field)
    evaluator().evaluate(inputs)


def evaluate_alarms_batch(events: Sequence[CloudEvent]) -> list[Rejected]:
    """A batch in one transaction per kind of input; returns the events never processable."""
    inputs, rejected = alarm_inputs.from_events(events, evaluator().policy.judging)
    evaluator().evaluate(inputs)
    return rejected


def evaluate_alarms_items(items: list[Any]) -> list[dict[str, Any]]:
    """A batch as parsed JSON; returns the rejected entries."""
    inputs, rejected = alarm_inputs.from_items(items, evaluator().policy.judging)
    evaluator().evaluate(inputs)
    return rejected


def evaluate_alarms_body(body: bytes) -> tuple[int, list[dict[str, Any]]] | None:
    """A raw batch body scanned in compiled code; None: parse it (``evaluate_alarms_items``)."""
    scanned = alarm_inputs.from_body(body, evaluator().policy.judging)
    if scanned is None:
        return None
    inputs, count, rejected = scanned
    evaluator().evaluate(inputs)
    return count, rejected


serve_batches(evaluate_alarms, evaluate_alarms_batch, evaluate_alarms_items, evaluate_alarms_body)
