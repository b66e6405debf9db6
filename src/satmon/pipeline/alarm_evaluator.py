"""The alarm-evaluator's core: telemetry against limits, silence against cadence, completed
forecasts against their anomaly threshold — every transition an alarm step, stored and
published.

One transaction per batch: lock the batch's satellites, read their state and the
limits in force, judge each satellite's new samples in order, then write the alarms,
their steps and the state that produced them together. The steps go to the
``alarms`` topic once committed; any not acknowledged by Kafka stay in the outbox
(``published_at`` NULL) for the next tick. So a redelivered batch judges nothing
twice (its samples are at or before the stored watermark), and a restarted
evaluator carries on from exactly what is stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from satmon.clients.delivery import deliver
from satmon.contract.alarms import alarm_event, log_step
from satmon.contract.events import METRICS, TOPIC_ALARMS
from satmon.contract.limits import LimitSet
from satmon.errors import TransientError
from satmon.pipeline import alarm_signals as signals
from satmon.pipeline.alarm_changes import Pending, apply_changes
from satmon.pipeline.alarm_inputs import Inputs, Judging, SatelliteSamples
from satmon.pipeline.alarm_lifecycle import expire_shelve, step_event_data
from satmon.pipeline.alarm_rules import step
from satmon.store import alarm_state, alarms, limits
from satmon.store.alarm_state import Seen, SeriesState
from satmon.store.alarms import Key

log = logging.getLogger(__name__)
METRIC_NAMES = tuple(METRICS)


@dataclass(frozen=True)
class Policy:
    """The evaluator's settings (``SATMON_ALARM_*``)."""

    judging: Judging = field(default_factory=Judging)
    stale_factor: float = 3.0
    stale_min_s: float = 2.0
    stale_forget_s: float = 86400.0
    publish_timeout_s: float = 5.0
    outbox_after_s: float = 2.0


class AlarmEvaluator:
    """Judges inputs against what PostgreSQL holds; one per process, thread-safe."""

    def __init__(
        self,
        get_pool: Callable[[], Any],
        get_producer: Callable[[], Any] | None,
        policy: Policy | None = None,
    ) -> None:
        self.get_pool = get_pool
        self.get_producer = get_producer
        self.policy = policy or Policy()
        self._book = limits.LimitBook()
        self._book_lock = threading.Lock()

    def evaluate(self, inputs: Inputs) -> None:
        """Judge every input; TransientError when PostgreSQL cannot be reached."""
        published: list[dict[str, Any]] = []
        if inputs.telemetry:
            published += self._run(lambda conn: self._samples(conn, inputs.telemetry))
        if inputs.completions:
            published += self._run(lambda conn: self._completions(conn, inputs.completions))
        if inputs.ticks:
            published += self._run(self._tick)
        for committed in published:
            log_step(log, committed)
        self.publish(published)
        if inputs.ticks:
            self.sweep_outbox()

    # --- telemetry ------------------------------------------------------------------
    def _samples(
        self, conn: Any, telemetry: Mapping[str, SatelliteSamples]
    ) -> list[dict[str, Any]]:
        satellites = alarm_state.lock_satellites(conn, telemetry)
        seen, states, revision = alarm_state.read_batch(conn, satellites)  # one round trip
        book = self._limits(conn, revision)
        pending = Pending(states)
        holding = {key[0] for key in states}  # satellites with a series not at rest
        new_seen: dict[str, Seen] = {}
        for sat in satellites:
            before = seen.get(sat)
            fresh = _fresh(telemetry[sat], before)
            if fresh is None:
                continue
            new_seen[sat] = Seen(fresh.stamps[-1], signals.cadence(before, fresh.stamps))
            if sat in holding:
                stale_key: Key = (sat, "stale", "")
                if stale_key in states:
                    pending.change(stale_key, 0, None, None, None, fresh.stamps[0])
                    pending.settle(stale_key, None)
                self._limits_of(pending, sat, book.rules(sat), fresh, held=True)
            elif not _quiet(book.bands(sat), fresh.columns):
                self._limits_of(pending, sat, book.rules(sat), fresh, held=False)
        steps = apply_changes(conn, pending)
        alarm_state.write(conn, pending.states, new_seen)
        return steps

    def _limits_of(
        self,
        pending: Pending,
        sat: str,
        rules: tuple[limits.Rule | None, ...],
        fresh: SatelliteSamples,
        held: bool,
    ) -> None:
        """Each limited metric of one satellite's fresh samples, in order. A series at rest
        whose samples all lie in its quiet band is skipped without being stepped; ``held``:
        whether the satellite has any series not at rest (else none is looked up)."""
        stamps, columns = fresh.stamps, fresh.columns
        for index, metric in enumerate(METRIC_NAMES):
            key: Key = (sat, "limit", metric)
            rule = rules[index]
            state = pending.current(key) if held else None
            if state is None:
                if rule is None:
                    continue
                column = columns[index]
                if rule.low <= min(column) and max(column) <= rule.high:
                    continue
                state = SeriesState()
            judged = rule.limits if rule is not None else LimitSet()
            for ms, value in zip(stamps, columns[index], strict=True):
                change = step(state, value, judged, ms)
                if change is not None:
                    message = (
                        signals.limit_message(metric, change.value, judged, change.level)
                        if change.level
                        else None
                    )
                    pending.change(key, change.level, change.value, change.threshold, message, ms)
            pending.settle(key, None if state.at_rest else state)

    # --- ML anomaly -----------------------------------------------------------------
    def _completions(
        self, conn: Any, completions: Sequence[signals.Completion]
    ) -> list[dict[str, Any]]:
        satellites = alarm_state.lock_satellites(conn, {c.satellite_id for c in completions})
        _, states = alarm_state.read(conn, satellites)
        pending = Pending(states)
        for c in sorted(completions, key=lambda c: c.end_ms):
            key: Key = (c.satellite_id, "anomaly", c.metric)
            state = pending.current(key) or SeriesState()
            if state.last_ms is not None and c.end_ms <= state.last_ms:
                continue  # a redelivered or late outcome: already judged something newer
            state.last_ms = c.end_ms
            level = 1 if c.score > c.threshold else 0
            if level != state.level:
                state.level = level
                message = signals.anomaly_message(c) if level else None
                pending.change(key, level, c.score, c.threshold, message, c.end_ms)
            pending.settle(key, state)
        steps = apply_changes(conn, pending)
        alarm_state.write(conn, pending.states, {})
        return steps

    # --- the tick: shelves that expired, satellites gone silent ---------------------
    def _tick(self, conn: Any) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        published: list[dict[str, Any]] = []
        for alarm in alarms.expired_shelves(conn, now):
            done = expire_shelve(alarm, now)
            alarms.save(conn, alarm, [done])
            published.append(step_event_data(alarm, done))
        now_ms = int(now.timestamp() * 1000)
        p = self.policy
        rule = (now_ms, p.stale_factor, p.stale_min_s, p.stale_forget_s)
        found = alarm_state.stale_candidates(conn, *rule)
        if not found:
            return published
        satellites = alarm_state.lock_satellites(conn, [sat for sat, _, _ in found])
        pending = Pending({})
        for sat, last_ms, cadence_s in alarm_state.stale_candidates(conn, *rule, satellites):
            allowance = signals.stale_allowance_s(cadence_s, p.stale_factor, p.stale_min_s)
            message = signals.stale_message(sat, last_ms, cadence_s, allowance)
            since_ms = last_ms + int(allowance * 1000)
            pending.change((sat, "stale", ""), 1, None, allowance, message, since_ms)
            pending.settle((sat, "stale", ""), SeriesState(level=1))
        published += apply_changes(conn, pending)
        alarm_state.write(conn, pending.states, {})
        return published

    # --- publishing -----------------------------------------------------------------
    def publish(self, steps: Sequence[dict[str, Any]]) -> None:
        """Put committed steps on the ``alarms`` topic and mark them published; a step
        Kafka did not take stays in the outbox for the next tick."""
        if not steps or self.get_producer is None:
            return
        try:
            records = [(TOPIC_ALARMS, alarm_event(s)) for s in steps]
            deliver(self.get_producer(), records, self.policy.publish_timeout_s)
            self._run(
                lambda conn: alarms.mark_published(conn, [(s["alarm_id"], s["seq"]) for s in steps])
            )
        except TransientError as exc:
            log.warning("%d alarm step(s) stay in the outbox: %s", len(steps), exc)

    def sweep_outbox(self) -> None:
        try:
            left = self._run(lambda conn: alarms.unpublished(conn, self.policy.outbox_after_s))
        except TransientError as exc:
            log.warning("outbox not swept: %s", exc)
            return
        if left:
            log.info("re-publishing %d alarm step(s) from the outbox", len(left))
            self.publish(left)

    # --- helpers ----------------------------------------------------------------------
    def _limits(self, conn: Any, current: int | None = None) -> limits.LimitBook:
        """The book of limits in force (reloaded when ``current``, the stored revision,
        differs from the one held; read here when not given)."""
        if current is None:
            current = limits.revision(conn)
        with self._book_lock:
            if current != self._book.revision:
                self._book = limits.load_book(conn)
            return self._book

    def _run(self, work: Callable[[Any], Any]) -> Any:
        with self._transaction() as conn:
            return work(conn)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        import psycopg

        try:
            # pipeline mode: statements whose results are not read yet travel together
            with self.get_pool().connection() as conn, conn.pipeline(), conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise TransientError(f"PostgreSQL: {exc}") from exc


def _fresh(samples: SatelliteSamples, seen: Seen | None) -> SatelliteSamples | None:
    """The samples newer than the watermark and than each other, in arrival order (None:
    not one)."""
    last = seen.last_ms if seen is not None else None
    if (last is None or samples.stamps[0] > last) and samples.ascending:
        return samples
    keep = []
    for index, ms in enumerate(samples.stamps):
        if last is None or ms > last:
            keep.append(index)
            last = ms
    return samples.only(keep) if keep else None


def _quiet(bands: Sequence[tuple[int, float, float]], columns: Sequence[Sequence[float]]) -> bool:
    """Whether every limited metric's values lie inside its quiet band (index, low, high)."""
    for index, low, high in bands:
        column = columns[index]
        if min(column) < low or max(column) > high:
            return False
    return True


def from_settings(
    get_pool: Callable[[], Any], get_producer: Callable[[], Any] | None
) -> AlarmEvaluator:
    """An evaluator configured by ``SATMON_ALARM_*``."""
    from satmon.settings import get_settings

    s = get_settings()
    policy = Policy(
        judging=Judging(s.alarm_anomaly_model, s.alarm_anomaly_threshold),
        stale_factor=s.alarm_stale_factor,
        stale_min_s=s.alarm_stale_min_s,
        stale_forget_s=s.alarm_stale_forget_s,
        publish_timeout_s=s.alarm_publish_timeout_s,
        outbox_after_s=s.alarm_outbox_after_s,
    )
    return AlarmEvaluator(get_pool, get_producer, policy)
