"""PingSource runner: post a tick event to the sink on the manifest's cron schedule.

Like Knative's PingSource, each tick is a CloudEvent of type ``dev.knative.sources.ping``
with source ``/apis/v1/namespaces/<ns>/pingsources/<name>``, the manifest's ``data``
(``contentType``) and ``ceOverrides.extensions``. Schedules are 5-field cron (``* * * *
*`` = every minute, the default), the ``@hourly``-style shorthands, or ``@every 30s``;
``timezone`` is an IANA zone. A sink that is a Service gets an HTTP POST (binary mode,
a few retries); a sink that is a Broker gets a record on the broker's Kafka topic.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from confluent_kafka import Producer

from satmon.contract.events import format_time
from satmon.eventing.records import percent_encode
from satmon.eventing.topology import HttpSink, PingSpec, TopicSink

log = logging.getLogger(__name__)
PING_TYPE = "dev.knative.sources.ping"
_SHORTHANDS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_NAMES = {
    **{
        m: i
        for i, m in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
        )
    },
    **{d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}
_EVERY = re.compile(r"^@every\s+((?:\d+(?:\.\d+)?(?:ms|s|m|h))+)$")


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: either a fixed interval or cron field sets."""

    every: float | None = None
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    days_restricted: bool = False
    weekdays_restricted: bool = False

    def next_after(self, moment: datetime) -> datetime:
        """The first fire time strictly after ``moment`` (aware datetimes, in their zone)."""
        if self.every is not None:
            return moment + timedelta(seconds=self.every)
        t = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + timedelta(days=366 * 5)
        while t < limit:
            if t.month not in self.months or not self._day_ok(t):
                t = (t + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if t.hour not in self.hours:
                t = (t + timedelta(hours=1)).replace(minute=0)
                continue
            if t.minute in self.minutes:
                return t
            t += timedelta(minutes=1)
        raise ValueError("schedule never fires")

    def _day_ok(self, t: datetime) -> bool:
        dom = t.day in self.days
        dow = (t.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return dom or dow  # cron: either may match when both are restricted
        return dom and dow


def parse_schedule(text: str) -> Schedule:
    text = " ".join(text.split())
    every = _EVERY.match(text)
    if every:
        return Schedule(every=_go_duration(every.group(1)))
    text = _SHORTHANDS.get(text, text)
    fields = text.split(" ")
    if len(fields) != 5:
        raise ValueError(f"cron schedule needs 5 fields (min hour dom month dow): {text!r}")
    minute, hour, dom, month, dow = fields
    weekdays = _field(dow, 0, 7, "day of week")
    weekdays = frozenset(d % 7 for d in weekdays)
    return Schedule(
        minutes=_field(minute, 0, 59, "minute"),
        hours=_field(hour, 0, 23, "hour"),
        days=_field(dom, 1, 31, "day of month"),
        months=_field(month, 1, 12, "month"),
        weekdays=weekdays,
        days_restricted=not dom.startswith("*"),
        weekdays_restricted=not dow.startswith("*"),
    )


def _field(text: str, low: int, high: int, what: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        rng, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"{what}: step must be >= 1 in {text!r}")
        if rng in ("*", "?"):
            start, end = low, high
        elif "-" in rng:
            a, b = rng.split("-", 1)
            start, end = _value(a, what), _value(b, what)
        else:
            start = _value(rng, what)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise ValueError(f"{what}: {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, what: str) -> int:
    if text in _NAMES:
        return _NAMES[text]
    if not text.isdigit():
        raise ValueError(f"{what}: {text!r} is not a number")
    return int(text)


def _go_duration(text: str) -> float:
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    total = sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text))
    if total <= 0:
        raise ValueError(f"@every needs a positive duration: {text!r}")
    return total


# --- the runner --------------------------------------------------------------------------


class PingRunner:
    """Fires one PingSource until ``stop`` is set."""

    def __init__(
        self,
        spec: PingSpec,
        stop: threading.Event,
        producer: Producer | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.spec = spec
        self.stop = stop
        self.schedule = parse_schedule(spec.schedule)
        self.zone = ZoneInfo(spec.timezone) if spec.timezone else UTC
        self.producer = producer
        self.clock = clock
        self.fired = 0
        if isinstance(spec.sink, TopicSink) and producer is None:
            raise ValueError(f"PingSource {spec.name}: a Broker sink needs a Kafka producer")

    def run(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            while not self.stop.is_set():
                now = self.clock().astimezone(self.zone)
                due = self.schedule.next_after(now)
                delay = (due.astimezone(UTC) - now.astimezone(UTC)).total_seconds()
                if self.stop.wait(max(delay, 0.0)):
                    return
                try:
                    self.fire(client, due)
                except Exception:
                    log.exception("PingSource %s: tick at %s not delivered", self.spec.name, due)

    def attributes(self, moment: datetime) -> dict[str, str]:
        attrs = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": self.spec.source,
            "type": PING_TYPE,
            "time": format_time(moment),
        }
        attrs.update(self.spec.extensions)
        if self.spec.data and self.spec.content_type:
            attrs["datacontenttype"] = self.spec.content_type
        return attrs

    def fire(self, client: httpx.Client, moment: datetime) -> None:
        attrs = self.attributes(moment)
        sink = self.spec.sink
        if isinstance(sink, TopicSink):
            assert self.producer is not None
            headers: list[tuple[str, str | bytes | None]] = [
                ("content-type" if k == "datacontenttype" else f"ce_{k}", v.encode())
                for k, v in attrs.items()
            ]
            self.producer.produce(sink.topic, value=self.spec.data, headers=headers)
            if self.producer.flush(10) != 0:
                raise RuntimeError(f"tick not acknowledged by Kafka topic {sink.topic}")
        else:
            self._post(client, sink, attrs)
        self.fired += 1
        log.info("PingSource %s fired (%s)", self.spec.name, attrs["id"])

    def _post(self, client: httpx.Client, sink: HttpSink, attrs: dict[str, str]) -> None:
        headers = {
            ("Content-Type" if k == "datacontenttype" else f"ce-{k}"): percent_encode(v)
            for k, v in attrs.items()
        }
        for attempt in range(4):
            try:
                response = client.post(sink.url, content=self.spec.data, headers=headers)
                if response.status_code < 300:
                    return
                if response.status_code < 500 and response.status_code not in (404, 409, 429):
                    raise RuntimeError(f"sink refused the tick: HTTP {response.status_code}")
            except httpx.TransportError as exc:
                log.debug("tick to %s failed: %s", sink.url, exc)
            if self.stop.wait(0.5 * 2**attempt):
                return
        raise RuntimeError(f"sink {sink.url} did not accept the tick")
