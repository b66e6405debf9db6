"""dead-letter-store: every event on a <topic>.dlq topic → one row of dead_letters."""

from collections.abc import Sequence

import functions_framework
from cloudevents.http import CloudEvent

from satmon.contract.rejections import Rejected
from satmon.fnhost import clients
from satmon.fnhost.host import serve_batches
from satmon.pipeline.dead_letter_store import store_dead_letters


@functions_framework.cloud_event
def store_dead_letter(event: CloudEvent) -> None:
    """One dead letter: 200 once stored (or already stored), 503 while PostgreSQL is down."""
    store_dead_letters(clients.db_pool(), [event])


def store_dead_letter_batch(events: Sequence[CloudEvent]) -> list[Rejected]:
    """A batch in one transaction; nothing is ever rejected."""
    return store_dead_letters(clients.db_pool(), events)


serve_batches(store_dead_letter, store_dead_letter_batch)
