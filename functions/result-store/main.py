"""result-store: forecast job events → PostgreSQL inference_results (upsert by job id)."""

from collections.abc import Sequence

import functions_framework
from cloudevents.http import CloudEvent

from satmon.pipeline import clients, result_store
from satmon.pipeline.host import Rejected, serve_batches


@functions_framework.cloud_event
def store_result(event: CloudEvent) -> None:
    """One event: 400 if it is not a valid job event, 503 while PostgreSQL is down."""
    rejected = result_store.store_events(clients.db_pool(), [event])
    if rejected:
        raise result_store.EventError(rejected[0].detail, field=rejected[0].field)


def store_result_batch(events: Sequence[CloudEvent]) -> list[Rejected]:
    """A batch in one transaction; returns the events that can never succeed."""
    return result_store.store_events(clients.db_pool(), events)


serve_batches(store_result, store_result_batch)
