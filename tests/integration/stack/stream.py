"""A steady telemetry stream whose every event can be accounted for (no tests here).

A fleet of ``satellites`` each reports every ``satellites / rate`` seconds, timestamps on
a grid that starts at the stream's start, so each event is one (satellite, step) pair
and its seven samples are known. Most events go straight to Kafka (as the simulator
sends them), one step in ``ingress_every`` as a CloudEvents batch POSTed to ingress (as
an integrator sends them). The producer runs in a process of its own, paced by the
clock; an event counts as produced once Kafka acknowledged it (acks=all) or ingress
answered 202. An event refused at first is retried, as its sender would: librdkafka
retries on its own, the ingress sender retries on 429 / 5xx / no connection.

``StoredCount`` then reads back what VictoriaMetrics holds for the fleet.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.pipeline.data import Fleet, iso_time, kafka_record
from satmon.clients.vm import VictoriaMetrics
from satmon.contract.events import METRIC_PREFIX, METRICS, TOPIC_TELEMETRY, TYPE_TELEMETRY
from satmon.settings import Settings

INGRESS_URL = "http://127.0.0.1:8081/"


@dataclass
class StreamPlan:
    prefix: str
    satellites: int
    rate: float  # events per second, the whole fleet
    seconds: float
    start_ms: int
    ingress_every: int = 0  # every n-th step through ingress (0: none)

    @property
    def steps(self) -> int:
        return int(self.seconds * self.rate / self.satellites)

    @property
    def period_ms(self) -> int:
        return round(1000 * self.satellites / self.rate)

    @property
    def events(self) -> int:
        return self.steps * self.satellites

    def sample(self, sat: int, step: int) -> dict[str, Any]:
        sample = Fleet(self.prefix, self.satellites, self.steps, self.start_ms).sample(sat, step)
        sample["timestamp"] = iso_time(self.start_ms + step * self.period_ms)
        return sample

    def via_ingress(self, step: int) -> bool:
        return self.ingress_every > 0 and step % self.ingress_every == self.ingress_every - 1


@dataclass
class StreamResult:
    produced: int = 0
    refused: list[tuple[int, int]] = field(default_factory=list)  # (satellite, step)
    via_ingress: int = 0
    ingress_retries: int = 0
    finished_at: float = 0.0


class TelemetryStream:
    def __init__(self, settings: Settings, plan: StreamPlan) -> None:
        self.settings = settings
        self.plan = plan
        context = multiprocessing.get_context("spawn")
        self._progress = context.Value("i", 0)
        self._results: Any = context.Queue()
        self._process = context.Process(
            target=_produce, args=(settings.kafka_bootstrap, plan, self._progress, self._results)
        )

    @classmethod
    def fresh(cls, settings: Settings, name: str, **plan: Any) -> TelemetryStream:
        prefix = f"{name.upper()}-{uuid.uuid4().hex[:6]}"
        start_ms = int(time.time() * 1000) + 1000
        return cls(settings, StreamPlan(prefix=prefix, start_ms=start_ms, **plan))

    def start(self) -> None:
        self._process.start()

    @property
    def sent(self) -> int:
        """Events handed to Kafka or ingress so far (acknowledged or not yet)."""
        return int(self._progress.value)

    def join(self, timeout: float) -> StreamResult:
        try:
            result: StreamResult = self._results.get(timeout=timeout)
        except queue.Empty as exc:
            self._process.kill()
            raise AssertionError(f"the producer did not finish within {timeout:.0f}s") from exc
        self._process.join(10)
        return result


def _produce(bootstrap: str, plan: StreamPlan, progress: Any, results: Any) -> None:
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "message.timeout.ms": 300_000,  # a broker restart is waited out, not lost
        }
    )
    result = StreamResult()
    http = httpx.Client(timeout=10.0)
    for step in range(plan.steps):
        due = (plan.start_ms + step * plan.period_ms) / 1000
        wait = due - time.time()
        if wait > 0:
            producer.poll(wait)
        if plan.via_ingress(step):
            # the steps before it on Kafka first: a satellite's samples then reach Kafka
            # in step order whichever way they went, so every run judges the same stream
            # (the alarm-evaluator skips a sample older than one it already judged)
            producer.flush(300)
            result.ingress_retries += _post_batch(http, plan, step)
            result.produced += plan.satellites
            result.via_ingress += plan.satellites
        else:
            for sat in range(plan.satellites):
                _produce_one(producer, plan, sat, step, result)
        progress.value = (step + 1) * plan.satellites
        producer.poll(0)
    producer.flush(300)  # what is still unacknowledged after that does not count
    result.finished_at = time.time()
    http.close()
    results.put(result)


def _produce_one(
    producer: Any, plan: StreamPlan, sat: int, step: int, result: StreamResult
) -> None:
    key, value, headers = kafka_record(
        plan.sample(sat, step), event_id=f"{plan.prefix}-{sat}-{step}"
    )

    def on_delivery(err: Any, _msg: Any) -> None:
        if err is None:
            result.produced += 1
        else:
            result.refused.append((sat, step))

    while True:
        try:
            producer.produce(
                TOPIC_TELEMETRY, value=value, key=key, headers=headers, on_delivery=on_delivery
            )
            return
        except BufferError:
            producer.poll(0.05)


def _post_batch(http: httpx.Client, plan: StreamPlan, step: int) -> int:
    """POST one step of the fleet to ingress until it answers 202; the retries it took."""
    events = []
    for sat in range(plan.satellites):
        sample = plan.sample(sat, step)
        events.append(
            {
                "specversion": "1.0",
                "id": f"{plan.prefix}-{sat}-{step}",
                "source": f"/satellites/{sample['satellite_id']}",
                "type": TYPE_TELEMETRY,
                "time": sample["timestamp"],
                "datacontenttype": "application/json",
                "partitionkey": sample["satellite_id"],
                "data": sample,
            }
        )
    body = json.dumps(events).encode()
    headers = {
        "Content-Type": "application/cloudevents-batch+json",
        "Authorization": "Bearer satmon-dev-token",
    }
    retries = 0
    deadline = time.monotonic() + 300
    while True:
        try:
            answer = http.post(INGRESS_URL, content=body, headers=headers)
            if answer.status_code == 202:
                return retries
            if answer.status_code < 500 and answer.status_code != 429:
                raise AssertionError(
                    f"ingress refused a good batch: {answer.status_code} {answer.text}"
                )
            pause = float(answer.headers.get("Retry-After", "0.5"))
        except httpx.TransportError:
            pause = 0.5
        retries += 1
        if time.monotonic() > deadline:
            raise AssertionError("ingress did not accept a batch within 300 s")
        time.sleep(pause)


@dataclass
class StoredCount:
    events: int  # events whose seven samples are all stored
    samples: int
    duplicated: int  # samples beyond one per series and timestamp
    unexpected: int  # samples at timestamps the stream never sent


def stored(vm: VictoriaMetrics, plan: StreamPlan) -> StoredCount:
    """What VictoriaMetrics holds for the stream's fleet."""
    match = f'{{__name__=~"{METRIC_PREFIX}.*",satellite_id=~"{plan.prefix}-.*"}}'
    end = (plan.start_ms + plan.steps * plan.period_ms) / 1000 + 5
    series = vm.export(match, start=plan.start_ms / 1000 - 5, end=end)
    grid = {plan.start_ms + step * plan.period_ms for step in range(plan.steps)}
    per_event: dict[tuple[str, int], int] = {}
    samples = duplicated = unexpected = 0
    for one in series:
        samples += len(one.timestamps)
        duplicated += len(one.timestamps) - len(set(one.timestamps))
        sat = one.labels.get("satellite_id", "")
        for ts in set(one.timestamps):
            if ts not in grid:
                unexpected += 1
                continue
            per_event[(sat, ts)] = per_event.get((sat, ts), 0) + 1
    complete = sum(1 for n in per_event.values() if n == len(METRICS))
    return StoredCount(complete, samples, duplicated, unexpected)
