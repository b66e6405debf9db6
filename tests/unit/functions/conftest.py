"""The ingress function's per-process clients, replaced by fakes for in-process tests."""

from types import SimpleNamespace

import pytest

from satmon.clients.transactions import TransactionalProducers
from satmon.fnhost import clients
from satmon.pipeline.ingress import DEFAULT_LIMIT
from tests.fakes import FakeProducer


@pytest.fixture
def ingress_producer(monkeypatch):
    """A FakeProducer behind the ingress (single events and batch transactions alike),
    the producer's default record limit, and the memory dedupe."""
    fake = FakeProducer()
    batches = TransactionalProducers({}, factory=lambda _config: fake)
    limit = SimpleNamespace(current=lambda: DEFAULT_LIMIT)
    monkeypatch.setattr(clients, "producer", lambda: fake)
    monkeypatch.setattr(clients, "batch_producers", lambda: batches)
    monkeypatch.setattr(clients, "kafka_record_limit", lambda: limit)
    monkeypatch.setenv("SATMON_INGRESS_DEDUPE", "memory")
    return fake
