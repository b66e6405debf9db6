"""Test doubles of the pipeline's clients, for unit tests of pure logic only.

The real servers are exercised by ``tests/integration/functions/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from satmon.clients.vm import Series
from satmon.contract.events import Telemetry
from satmon.contract.forecast import HORIZON


class FakeProducer:
    """confluent_kafka.Producer look-alike: keeps produced records, acks them on poll.

    Transactions too: records produced inside one reach ``records`` on commit only
    (``aborted`` keeps those of aborted ones); ``fail_with`` fails the commit.
    """

    def __init__(
        self, fail_with: str | None = None, queue_full: bool = False, never_ack: bool = False
    ) -> None:
        self.records: list[dict[str, Any]] = []
        self.fail_with = fail_with
        self.queue_full = queue_full
        self.never_ack = never_ack
        self._waiting: list[Any] = []
        self._transaction: list[dict[str, Any]] | None = None
        self.aborted: list[dict[str, Any]] = []
        self.committed = 0

    def init_transactions(self, timeout: float = 0) -> None:
        pass

    def begin_transaction(self) -> None:
        self._transaction = []

    def commit_transaction(self, timeout: float = 0) -> None:
        from confluent_kafka import KafkaError, KafkaException

        self.poll()
        if self.fail_with:
            raise KafkaException(
                KafkaError(KafkaError._TRANSPORT, self.fail_with, txn_requires_abort=True)
            )
        self.records += self._transaction or []
        self._transaction = None
        self.committed += 1

    def abort_transaction(self, timeout: float = 0) -> None:
        self.aborted += self._transaction or []
        self._transaction = None

    def produce(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        headers: Any = None,
        on_delivery: Any = None,
    ) -> None:
        if self.queue_full:
            raise BufferError("Local: Queue full")
        record = {"topic": topic, "key": key, "value": value, "headers": dict(headers or [])}
        if self._transaction is not None:
            self._transaction.append(record)
        else:
            self.records.append(record)
        if on_delivery is not None:
            self._waiting.append(on_delivery)

    def poll(self, timeout: float = 0) -> int:
        if self.never_ack:
            return 0
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback(self.fail_with, None)
        return len(waiting)

    def flush(self, timeout: float = 0) -> int:
        self.poll()
        return 0


class FakeVictoriaMetrics:
    """Stores written samples by (metric, satellite, ts); ``down`` simulates an outage."""

    def __init__(self) -> None:
        self.samples: dict[tuple[str, str, int], float] = {}
        self.imports = 0
        self.down = False
        self.series: dict[tuple[str, str], Series] = {}
        self.other_series: list[Series] = []  # imported series other than telemetry

    def write_telemetry(self, samples: Sequence[Telemetry]) -> int:
        from satmon.errors import TransientError

        if self.down:
            raise TransientError("VictoriaMetrics unreachable (fake outage)")
        self.imports += 1
        for s in samples:
            for metric, value in s.metric_values().items():
                self.samples[(metric, s.satellite_id, s.timestamp_ms)] = value
        return len(samples) * 7

    def import_lines(self, body: bytes) -> None:
        """Parse /api/v1/import JSON lines like the server; same (series, ts) keeps one sample."""
        import json

        from satmon.errors import TransientError

        if self.down:
            raise TransientError("VictoriaMetrics unreachable (fake outage)")
        self.imports += 1
        for line in body.decode().splitlines():
            row = json.loads(line)
            if not row["metric"]["__name__"].startswith("satellite_"):
                self.other_series.append(Series(row["metric"], row["values"], row["timestamps"]))
                continue
            metric = row["metric"]["__name__"].removeprefix("satellite_")
            sat = row["metric"]["satellite_id"]
            for value, ts in zip(row["values"], row["timestamps"], strict=True):
                self.samples[(metric, sat, ts)] = value

    def last_points(
        self,
        satellite_id: str,
        metric: str,
        n: int,
        lookback_s: float = 3600.0,
        now_s: float | None = None,
    ) -> Series | None:
        s = self.series.get((satellite_id, metric))
        if s is None:
            return None
        return Series(s.labels, s.values[-n:], s.timestamps[-n:])

    def export(
        self, match: str, start: float | None = None, end: float | None = None
    ) -> list[Series]:
        """The stored series a selector names: ``satellite_<metric>{satellite_id="…"}`` (from
        ``series``) or ``{__name__="…", label="…"}`` (imported ones), samples in [start, end]."""
        import re

        from satmon.errors import TransientError

        if self.down:
            raise TransientError("VictoriaMetrics unreachable (fake outage)")
        wanted = dict(re.findall(r'(\w+)="([^"]*)"', match))
        name = match.split("{", 1)[0] or wanted.pop("__name__", "")
        if name.startswith("satellite_"):
            s = self.series.get((wanted.get("satellite_id", ""), name.removeprefix("satellite_")))
            candidates = [s] if s is not None else []
        else:
            candidates = [
                s
                for s in self.other_series
                if s.labels["__name__"] == name
                and all(s.labels.get(k) == v for k, v in wanted.items())
            ]
        lo = -1 if start is None else start * 1000
        hi = float("inf") if end is None else end * 1000
        out = []
        for s in candidates:
            keep = [i for i, t in enumerate(s.timestamps) if lo <= t <= hi]
            if keep:
                values = [s.values[i] for i in keep]
                out.append(Series(s.labels, values, [s.timestamps[i] for i in keep]))
        return out

    def query(self, query: str, time: float | None = None) -> list[dict[str, Any]]:
        sats = sorted({sat for sat, _ in self.series})
        return [{"metric": {"satellite_id": sat}, "value": [time, "1"]} for sat in sats]


class FakeForecaster:
    """TritonForecaster look-alike: forecasts the last value; VAE outputs a spread too."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[int, ...]]] = []
        self.periods: list[float | None] = []

    def forecast(
        self, model: str, windows: np.ndarray, period: float | None = None
    ) -> dict[str, np.ndarray]:
        self.calls.append((model, tuple(windows.shape)))
        self.periods.append(period)
        last = np.repeat(windows[:, -1:], HORIZON, axis=1).astype(np.float32)
        out = {"forecast": last}
        if model.startswith("vae"):
            out |= {
                "lower": last - 1.0,
                "upper": last + 1.0,
                "anomaly_score": np.zeros(len(windows), dtype=np.float32),
            }
        return out
