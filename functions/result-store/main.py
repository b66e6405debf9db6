"""result-store: forecast job events → PostgreSQL inference_results (upsert by job id)."""

from collections.abc import Sequence

import functions_framework
from cloudevents.http import CloudEvent

from satmon.contract.rejections import Rejected
from satmon.fnhost import clients
from satmon.fnhost.host import serve_batches
from satmon.pipeline import result_store


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
