"""forecaster: forecast.requested (or a PingSource tick) → Triton → inference.results."""

from collections.abc import Sequence

import functions_framework
from cloudevents.http import CloudEvent

from satmon.clients.delivery import deliver, produce_nowait
from satmon.contract.rejections import Rejected
from satmon.fnhost import clients
from satmon.fnhost.host import serve_batches
from satmon.pipeline import forecaster

PUBLISH_TIMEOUT_S = 10.0


@functions_framework.cloud_event
def forecast_series(event: CloudEvent) -> None:
    """One request or tick: results are on Kafka before the 200; 400 if malformed."""
    rejected = forecast_series_batch([event])
    if rejected:
        raise forecaster.EventError(rejected[0].detail, field=rejected[0].field)


def forecast_series_batch(events: Sequence[CloudEvent]) -> list[Rejected]:
    """Requests of a batch share one Triton call per model."""
    producer = clients.producer()
    produce_nowait(producer, forecaster.started_for(events))  # best-effort "running"
    plan = forecaster.handle_events(events, clients.victoria_metrics(), clients.forecast_model)
    deliver(producer, plan.records, PUBLISH_TIMEOUT_S)
    return plan.rejected


serve_batches(forecast_series, forecast_series_batch)
