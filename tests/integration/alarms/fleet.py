"""A simulated fleet for the real-stack alarm tests: the simulator's own telemetry and
labelled anomalies under test satellite ids, sent to Kafka as the simulator sends it;
what the limit rules say it should raise; and precision / recall against the labels."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from satmon.contract.events import TOPIC_TELEMETRY, Telemetry
from satmon.contract.limits import LimitSet, default_limits
from satmon.pipeline.alarm_rules import step
from satmon.simulator.anomalies import Anomaly, AnomalySpec
from satmon.simulator.generator import generate
from satmon.simulator.producer import make_sender
from satmon.store.alarm_state import SeriesState
from tests.integration.alarms.support import satellite

ACTIONS = {"raise": "raised", "escalate": "escalated", "deescalate": "deescalated",
           "return": "returned"}  # fmt: skip
Limits = Callable[[str], LimitSet]
"""metric → the limits the fleet's satellites are judged by."""
ENVELOPE = {
    # the simulator's nominal values (60 satellites × 24 h, 20 × 54 h), see contract.limits
    "temperature": (-26.4, 38.6),
    "altitude": (413.2, 437.3),
    "velocity": (7.643, 7.666),
    "battery": (3.753, 3.992),
    "solar_power": (None, 96.4),
}


def envelope_limits(metric: str) -> LimitSet:
    """Operators' limits hugging the nominal envelope: yellow 1 % of the range's span
    outside it, red 3 %, deadband 0.5 % (latitude and longitude: none)."""
    if metric not in ENVELOPE:
        return LimitSet()
    from satmon.contract.events import METRICS

    _, low, high = METRICS[metric]
    span = high - low
    lo, hi = ENVELOPE[metric]
    return LimitSet(
        yellow_low=None if lo is None else round(lo - 0.01 * span, 6),
        yellow_high=round(hi + 0.01 * span, 6),
        red_low=None if lo is None else round(lo - 0.03 * span, 6),
        red_high=round(hi + 0.03 * span, 6),
        persistence=1,
        deadband=round(0.005 * span, 6),
    )


@dataclass
class Fleet:
    """Samples of ``satellites`` simulated satellites (ids ``<prefix>-NNN``) and labels."""

    prefix: str
    samples: list[Telemetry]
    labels: list[Anomaly] = field(default_factory=list)

    @property
    def satellites(self) -> list[str]:
        return sorted({s.satellite_id for s in self.samples})

    def last_ms(self) -> dict[str, int]:
        last: dict[str, int] = {}
        for s in self.samples:
            last[s.satellite_id] = max(last.get(s.satellite_id, 0), s.timestamp_ms)
        return last


def simulated(satellites: int, hours: float, seed: int, anomalies_per_hour: float | None) -> Fleet:
    """The simulator's fleet over the last ``hours`` at 1 Hz, under fresh satellite ids."""
    prefix = satellite("FLT")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours)
    spec = AnomalySpec(rate_per_hour=anomalies_per_hour) if anomalies_per_hour else None
    labels: list[Anomaly] = []
    samples = [
        s.model_copy(update={"satellite_id": rename(prefix, s.satellite_id)})
        for s in generate(satellites, 1.0, start, hours * 3600, None, seed, spec, labels.append)
    ]
    for label in labels:
        label.satellite_id = rename(prefix, label.satellite_id)
    return Fleet(prefix, samples, labels)


def renamed(fleet: Fleet) -> Fleet:
    """The same samples and labels under fresh satellite ids (a second run of one fleet)."""
    prefix = satellite("FLT")

    def name(sat: str) -> str:
        return prefix + sat.removeprefix(fleet.prefix)

    samples = [s.model_copy(update={"satellite_id": name(s.satellite_id)}) for s in fleet.samples]
    labels = [dataclasses.replace(a, satellite_id=name(a.satellite_id)) for a in fleet.labels]
    return Fleet(prefix, samples, labels)


def progress(conn: psycopg.Connection, fleet: Fleet) -> float:
    """The share of the fleet's time span the evaluator has judged (0…1)."""
    conn.rollback()
    first = min(s.timestamp_ms for s in fleet.samples)
    last = fleet.last_ms()
    rows = dict(
        conn.execute(
            "SELECT satellite_id, last_ms FROM alarm_satellites WHERE satellite_id = ANY(%s)",
            (fleet.satellites,),
        ).fetchall()
    )
    done = [(rows.get(sat, first) - first) / max(ms - first, 1) for sat, ms in last.items()]
    return sum(done) / len(done)


def rename(prefix: str, simulator_id: str) -> str:
    return f"{prefix}-{simulator_id.removeprefix('SAT-')}"


def send(samples: Sequence[Telemetry], topic: str = TOPIC_TELEMETRY, per_s: float = 0) -> None:
    """As the simulator sends them (its producer and event ids); ``per_s`` paces it."""
    sender = make_sender(topic=topic)
    began = time.monotonic()
    for n, sample in enumerate(samples):
        if per_s and n % 100 == 0:
            ahead = n / per_s - (time.monotonic() - began)
            if ahead > 0:
                time.sleep(ahead)
        sender.send(sample)
    sender.close()
    assert sender.ok, sender.errors


def judged(conn: psycopg.Connection, fleet: Fleet) -> bool:
    """Whether the evaluator has judged every satellite's last sample."""
    conn.rollback()
    rows = dict(
        conn.execute(
            "SELECT satellite_id, last_ms FROM alarm_satellites WHERE satellite_id = ANY(%s)",
            (fleet.satellites,),
        ).fetchall()
    )
    return all(rows.get(sat, -1) >= ms for sat, ms in fleet.last_ms().items())


def expected_limit_steps(
    fleet: Fleet, limits_of: Limits = default_limits
) -> set[tuple[str, str, str, int, str]]:
    """What the limit rules make of the fleet's samples with these limits:
    (satellite, metric, action, at ms, severity) per step. Nobody acknowledges, so a
    raise after a return is the same alarm reactivated."""
    states: dict[tuple[str, str], SeriesState] = {}
    opened: set[tuple[str, str]] = set()
    out = set()
    for sample in fleet.samples:
        for metric, value in sample.metric_values().items():
            limits = limits_of(metric)
            if not limits.checked:
                continue
            key = (sample.satellite_id, metric)
            change = step(states.setdefault(key, SeriesState()), value, limits, sample.timestamp_ms)
            if change is None:
                continue
            action = ACTIONS[change.what]
            if action == "raised" and key in opened:
                action = "reactivated"
            opened.add(key)
            severity = {0: None, 1: "warning", 2: "critical"}[change.level]
            out.add((key[0], metric, action, change.at_ms, severity or "?"))
    return out


def stored_limit_steps(conn: psycopg.Connection, fleet: Fleet) -> set[tuple[Any, ...]]:
    conn.rollback()
    rows = conn.execute(
        "SELECT a.satellite_id, a.metric, h.action, h.at, h.severity FROM alarm_history h"
        " JOIN alarms a ON a.id = h.alarm_id WHERE a.kind = 'limit' AND a.satellite_id = ANY(%s)",
        (fleet.satellites,),
    ).fetchall()
    return {
        (sat, metric, action, int(at.timestamp() * 1000), "?" if action == "returned" else sev)
        for sat, metric, action, at, sev in rows
    }


def quality(
    conn: psycopg.Connection, fleet: Fleet, limits_of: Limits = default_limits
) -> dict[str, Any]:
    """Precision and recall of the stored limit alarms against the simulator's labels.

    A limit alarm is a true positive when it was raised (or reactivated) inside a label of
    its satellite and metric (start ≤ t < end). Recall counts the labels with such an
    alarm, over all labels and over the labels whose values passed a yellow limit at all
    (the others no limit can see: a stuck value or a small offset inside the limits).
    """
    conn.rollback()
    raises = conn.execute(
        "SELECT a.satellite_id, a.metric, h.at FROM alarm_history h JOIN alarms a"
        " ON a.id = h.alarm_id WHERE a.kind = 'limit' AND a.satellite_id = ANY(%s)"
        " AND h.action IN ('raised', 'reactivated')",
        (fleet.satellites,),
    ).fetchall()
    hit = set()
    true_positive = 0
    for sat, metric, at in raises:
        t = at.timestamp()
        match = [
            i
            for i, a in enumerate(fleet.labels)
            if (a.satellite_id, a.metric) == (sat, metric) and a.start <= t < a.end
        ]
        true_positive += bool(match)
        hit.update(match)
    visible = _visible_labels(fleet, limits_of)
    return {
        "labels": len(fleet.labels),
        "labels_beyond_yellow": len(visible),
        "limit_alarm_raises": len(raises),
        "true_positives": true_positive,
        "precision": true_positive / len(raises) if raises else None,
        "recall": len(hit) / len(fleet.labels) if fleet.labels else None,
        "recall_beyond_yellow": len(hit & visible) / len(visible) if visible else None,
        "by_kind": {
            kind: f"{sum(1 for i in hit if fleet.labels[i].kind == kind)}"
            f"/{sum(1 for a in fleet.labels if a.kind == kind)}"
            for kind in ("spike", "drift", "stuck")
        },
    }


def _visible_labels(fleet: Fleet, limits_of: Limits) -> set[int]:
    """Labels with at least one sample beyond a yellow limit inside their window."""
    out = set()
    by_sat: dict[str, list[Telemetry]] = {}
    for s in fleet.samples:
        by_sat.setdefault(s.satellite_id, []).append(s)
    for i, a in enumerate(fleet.labels):
        low, high = limits_of(a.metric).quiet_band()
        for s in by_sat.get(a.satellite_id, []):
            t = s.timestamp.timestamp()
            value = getattr(s, a.metric)
            if a.start <= t < a.end and not low <= value <= high:
                out.add(i)
                break
    return out
