"""The local dispatcher: Kafka → HTTP subscribers, as Knative Eventing would deliver.

One :class:`~satmon.eventing.runner.SubscriptionRunner` (one consumer, one thread) per
KafkaSource / Trigger, sharing one producer for dead letters. What each part does:

* :mod:`.runner` — the consumer loop, the workers, commits and rebalances;
* :mod:`.lanes` — which buffered events form the next unit (ordered / unordered);
* :mod:`.offsets` — how far each partition may be committed (at least once);
* :mod:`.outcomes` — a unit delivered or dead-lettered, duplicates injected, counted;
* :mod:`.sender` — HTTP delivery with the subscription's retries and backoff;
* :mod:`.records` — Kafka record → CloudEvent envelope (the usual record read in C by
  ``_record_scan.c``, optional); :mod:`.dlq` — dead letters.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from satmon.clients.kafka import make_producer
from satmon.eventing.outcomes import Stats
from satmon.eventing.runner import SubscriptionRunner
from satmon.eventing.topology import Subscription
from satmon.settings import get_settings

log = logging.getLogger(__name__)


class Dispatcher:
    """Runs every subscription of a topology in its own thread until ``stop`` is set."""

    def __init__(
        self,
        subscriptions: Sequence[Subscription],
        stop: threading.Event | None = None,
        **runner_options: Any,
    ) -> None:
        self.stop = stop or threading.Event()
        settings = runner_options.pop("settings", None) or get_settings()
        self._producer = make_producer(settings, **{"linger.ms": 0})
        self.runners = [
            SubscriptionRunner(
                sub, self.stop, settings=settings, producer=self._producer, **runner_options
            )
            for sub in subscriptions
        ]
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for runner in self.runners:
            thread = threading.Thread(
                target=self._run_one, args=(runner,), name=f"sub-{runner.sub.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def wait_ready(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        return all(r.ready.wait(max(deadline - time.monotonic(), 0)) for r in self.runners)

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)
        self._producer.flush(10)

    def stats(self) -> dict[str, Stats]:
        return {r.sub.name: r.stats for r in self.runners}

    @property
    def failed(self) -> list[BaseException]:
        return [r.failed for r in self.runners if r.failed is not None]

    @staticmethod
    def _run_one(runner: SubscriptionRunner) -> None:
        try:
            runner.run()
        except BaseException:
            log.exception("subscription %s stopped with an error", runner.sub.name)
