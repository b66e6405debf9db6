"""The local model of the eventing manifests: subscriptions, sinks, PingSources.

:mod:`satmon.eventing.manifests` builds a :class:`Topology` from the ``eventing/``
folder; the dispatcher and the PingSource runner work from these objects only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from satmon.eventing.delivery import DeliveryPolicy
from satmon.eventing.filters import Predicate


@dataclass(frozen=True)
class HttpSink:
    url: str
    name: str = ""


@dataclass(frozen=True)
class TopicSink:
    """A Kafka topic (a Broker with an external topic): events are produced to it."""

    topic: str
    name: str = ""


Sink = HttpSink | TopicSink


@dataclass(frozen=True)
class Subscription:
    """One consumer group delivering one or more topics to one HTTP subscriber."""

    name: str
    kind: str
    topics: tuple[str, ...]
    group: str
    sink: HttpSink
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    ordered: bool = True
    accept: Predicate = field(default=lambda attrs: True, compare=False, repr=False)
    batch_max_events: int = 1
    batch_max_wait_ms: float = 5.0
    max_in_flight: int = 4
    max_events_per_second: float | None = None  # None: as fast as the subscriber answers
    initial_offset: str = "earliest"
    dead_letter_topic: str | None = None  # None: "<record topic>.dlq"
    wrap_invalid: bool = False  # deliver non-CloudEvent records wrapped (invalid_records)
    namespace: str = "satmon"

    @property
    def batched(self) -> bool:
        return self.batch_max_events > 1


@dataclass(frozen=True)
class PingSpec:
    name: str
    namespace: str
    schedule: str
    timezone: str | None
    content_type: str
    data: bytes
    sink: Sink
    extensions: Mapping[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return f"/apis/v1/namespaces/{self.namespace}/pingsources/{self.name}"


@dataclass
class Topology:
    documents: list[dict[str, Any]]
    services: dict[str, HttpSink]
    brokers: dict[str, TopicSink]
    subscriptions: list[Subscription]
    pings: list[PingSpec]

    def subscription(self, name: str) -> Subscription:
        for sub in self.subscriptions:
            if sub.name == name:
                return sub
        raise KeyError(f"no subscription named {name!r}")
