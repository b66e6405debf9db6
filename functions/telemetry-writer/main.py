"""telemetry-writer: io.satmon.telemetry.v1 → seven samples each → VictoriaMetrics."""

from collections.abc import Sequence
from typing import Any

import functions_framework
from cloudevents.http import CloudEvent

from satmon.contract.rejections import Rejected
from satmon.fnhost import clients
from satmon.fnhost.host import serve_batches
from satmon.pipeline import telemetry_body, telemetry_writer


@functions_framework.cloud_event
def write_telemetry(event: CloudEvent) -> None:
    """One event: 400 on a schema failure, 503 while VictoriaMetrics is down."""
    telemetry_writer.write_event(clients.victoria_metrics(), event)


def write_telemetry_batch(events: Sequence[CloudEvent]) -> list[Rejected]:
    """A batch in one import; returns the events that can never succeed."""
    return telemetry_writer.write_events(clients.victoria_metrics(), events)


def write_telemetry_items(items: list[Any]) -> list[dict[str, Any]]:
    """A batch as parsed JSON (the hot path): one import; returns the rejected entries."""
    return telemetry_writer.write_batch_items(clients.victoria_metrics(), items)


def write_telemetry_body(body: bytes) -> tuple[int, list[dict[str, Any]]] | None:
    """A raw batch body scanned in compiled code; None: parse it (``write_telemetry_items``)."""
    return telemetry_body.write_batch_body(clients.victoria_metrics(), body)


serve_batches(write_telemetry, write_telemetry_batch, write_telemetry_items, write_telemetry_body)
