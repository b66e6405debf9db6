"""Forecast jobs: a window of the last 20 points from VictoriaMetrics → Triton → result events.

Two inputs: ``io.satmon.forecast.requested.v1`` (one job) and the PingSource tick
(``dev.knative.sources.ping``), on which the forecaster queues a job for every
satellite seen in the last few minutes × 7 metrics × 2 models by publishing
``forecast.requested`` events to ``inference.requests`` — each job shows as queued,
and their job ids derive from the tick so a redelivered tick queues nothing new.

A job that cannot succeed as asked (unknown model, too few points) ends as a
``forecast.failed`` event with the reason; an unreachable VictoriaMetrics or Triton
raises TransientError so the request is retried. A completed VAE forecast also carries
its series' anomaly threshold (``thresholds.py``) when one is known or can be learned,
and a series on which the model has not clearly beaten persistence and the line gets the
better of the two instead (``choices.py``); a batch spends at most a bounded time
learning either (``learning.py``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
from cloudevents.http import CloudEvent

from satmon.contract.events import (
    METRIC_PREFIX,
    METRICS,
    TOPIC_REQUESTS,
    TOPIC_RESULTS,
    TYPE_FORECAST_REQUESTED,
    TYPE_FORECAST_STARTED,
    EventError,
    make_event,
)
from satmon.contract.forecast import (
    ANOMALY_MODEL,
    MODEL_NAMES,
    TYPE_PING,
    WINDOW,
    ForecastRequest,
    parse_request,
)
from satmon.contract.rejections import Rejected
from satmon.errors import PermanentError, TransientError
from satmon.pipeline.choices import apply_choices, choices_for
from satmon.pipeline.forecast_outcomes import (
    completed,
    failed,
    job_fields,
    make_outcome,
    outcome_event,
)
from satmon.pipeline.learning import LearningBudget, SharedHistory
from satmon.pipeline.thresholds import thresholds_for

log = logging.getLogger(__name__)

SCHEDULE_SOURCE = "/functions/forecaster/schedule"
ACTIVE_LOOKBACK_S = 300.0
STALE_TICK_S = 90.0  # ticks fire every minute; an older one has been superseded
WINDOW_LOOKBACK_S = 3600.0
PERIODS = {"longitude": 360.0}
"""Wrapped angles: the model unwraps the window so crossing ±180° is no jump."""


class ForecastModel(Protocol):
    """``satmon.clients.triton.TritonForecaster``: windows ``[B, 20]`` → outputs ``[B, 10]``."""

    def forecast(
        self, model: str, windows: np.ndarray, period: float | None = None
    ) -> dict[str, np.ndarray]: ...


class SeriesSource(Protocol):
    """What the forecaster needs of ``satmon.clients.vm.VictoriaMetrics`` (``export`` and
    ``import_lines`` for the anomaly thresholds)."""

    def last_points(
        self,
        satellite_id: str,
        metric: str,
        n: int,
        lookback_s: float = ...,
        now_s: float | None = ...,
    ) -> Any: ...

    def query(self, query: str, time: float | None = None) -> list[dict[str, Any]]: ...

    def export(self, match: str, start: float | None = None, end: float | None = None) -> Any: ...

    def import_lines(self, body: bytes) -> None: ...


@dataclass
class Plan:
    """What the handler publishes: events to queue and results to deliver."""

    records: list[tuple[str, CloudEvent]]
    rejected: list[Rejected]


def is_tick(event: CloudEvent) -> bool:
    return event["type"] == TYPE_PING


def handle_events(
    events: Sequence[CloudEvent],
    series: SeriesSource,
    get_model: Callable[[], ForecastModel],
    models: Sequence[str] = MODEL_NAMES,
) -> Plan:
    """Ticks become queued jobs; requests become completed / failed results.

    ``get_model`` is called only when some job reaches the model (ticks never do).
    """
    records: list[tuple[str, CloudEvent]] = []
    rejected: list[Rejected] = []
    jobs: list[ForecastRequest] = []
    for position, event in enumerate(events):
        if is_tick(event):
            if tick_is_stale(event):
                continue
            records.extend((TOPIC_REQUESTS, e) for e in schedule_jobs(event, series, models))
            continue
        try:
            if event["type"] != TYPE_FORECAST_REQUESTED:
                raise EventError(
                    f"expected {TYPE_FORECAST_REQUESTED} or a ping tick, got {event['type']!r}",
                    field="type",
                )
            jobs.append(parse_request(event))
        except EventError as exc:
            rejected.append(Rejected(position, str(exc), exc.field))
    records.extend((TOPIC_RESULTS, e) for e in run_jobs(jobs, series, get_model))
    return Plan(records, rejected)


def tick_is_stale(tick: CloudEvent, now: datetime | None = None) -> bool:
    """A tick delivered long after it fired is acknowledged without queueing jobs.

    A newer tick has fired since and covers the same satellites; fanning out old ticks
    as well would only grow a backlog (the forecaster catching up after an outage would
    otherwise queue every missed minute's jobs at once).
    """
    age_s = ((now or datetime.now(UTC)) - _event_time(tick)).total_seconds()
    if age_s > STALE_TICK_S:
        log.info("tick %s fired %.0f s ago: skipped, a newer tick covers it", tick["id"], age_s)
        return True
    return False


def schedule_jobs(
    tick: CloudEvent, series: SeriesSource, models: Sequence[str] = MODEL_NAMES
) -> list[CloudEvent]:
    """One forecast.requested event per active satellite × metric × model."""
    tick_time = _event_time(tick)
    satellites = active_satellites(series, tick_time.timestamp())
    events = []
    for sat in satellites:
        for metric in METRICS:
            for model_name in models:
                job_id = str(
                    uuid.uuid5(
                        uuid.NAMESPACE_URL,
                        f"satmon:{tick['source']}:{tick['id']}:{sat}:{metric}:{model_name}",
                    )
                )
                req = ForecastRequest(
                    job_id=job_id,
                    satellite_id=sat,
                    metric=metric,
                    model=model_name,
                    trigger="schedule",
                    requested_at=tick_time,
                )
                events.append(
                    make_event(
                        TYPE_FORECAST_REQUESTED,
                        SCHEDULE_SOURCE,
                        req.model_dump(mode="json"),
                        key=sat,
                        event_id=job_id,
                    )
                )
    log.info("tick %s: %d satellites, %d jobs queued", tick["id"], len(satellites), len(events))
    return events


def active_satellites(
    series: SeriesSource, now_s: float, lookback_s: float = ACTIVE_LOOKBACK_S
) -> list[str]:
    """Satellites with any sample in the last ``lookback_s`` seconds, sorted."""
    window = f"{max(int(lookback_s), 1)}s"
    rows = series.query(
        f"count by (satellite_id) (count_over_time({METRIC_PREFIX}altitude[{window}]))", time=now_s
    )
    return sorted({r["metric"]["satellite_id"] for r in rows if r["metric"].get("satellite_id")})


def started_for(events: Sequence[CloudEvent]) -> list[tuple[str, CloudEvent]]:
    """``forecast.started`` (status running) records for the valid requests among ``events``."""
    now = datetime.now(UTC)
    out = []
    for event in events:
        if event["type"] != TYPE_FORECAST_REQUESTED:
            continue
        try:
            job = parse_request(event)
        except EventError:
            continue
        out.append(
            (TOPIC_RESULTS, outcome_event(TYPE_FORECAST_STARTED, make_outcome(job, started_at=now)))
        )
    return out


def run_jobs(
    jobs: Sequence[ForecastRequest], series: SeriesSource, get_model: Callable[[], ForecastModel]
) -> list[CloudEvent]:
    """Fetch each job's window, call the model once per model name, build result events."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    results: list[CloudEvent] = []
    ready: dict[tuple[str, float | None], list[tuple[ForecastRequest, Any]]] = {}
    windows_by_series: dict[tuple[str, str], Any] = {}  # both models read the same window
    learning = _Learning(SharedHistory(series), LearningBudget(), time.time())
    for job in jobs:
        if job.model not in MODEL_NAMES:
            results.append(failed(job, started, f"unknown model {job.model!r}"))
            continue
        key = (job.satellite_id, job.metric)
        if key not in windows_by_series:
            windows_by_series[key] = series.last_points(
                job.satellite_id, job.metric, WINDOW, lookback_s=WINDOW_LOOKBACK_S
            )
        window = windows_by_series[key]
        count = len(window.values) if window is not None else 0
        if window is None or count < WINDOW:
            results.append(
                failed(
                    job,
                    started,
                    f"not enough data: {count} of {WINDOW} points "
                    f"in the last {int(WINDOW_LOOKBACK_S)} s",
                )
            )
            continue
        ready.setdefault((job.model, PERIODS.get(job.metric)), []).append((job, window))
    for (model_name, period), group in ready.items():
        windows = np.asarray([w.values for _, w in group], dtype=np.float64)  # [B, 20]
        try:
            outputs = get_model().forecast(model_name, windows, period=period)
        except PermanentError as exc:
            results.extend(failed(job, started, f"model {model_name}: {exc}") for job, _ in group)
            continue
        except TransientError:
            raise
        except Exception as exc:  # a client we do not own: retry rather than lose the job
            raise TransientError(f"model {model_name} call failed: {exc}") from exc
        latency_ms = (time.perf_counter() - t0) * 1000.0
        thresholds = (  # first: an anomaly alarm needs a threshold, a choice refines
            _thresholds([job for job, _ in group], learning, get_model)
            if model_name == ANOMALY_MODEL and "anomaly_score" in outputs
            else {}
        )
        picked = _choices([job for job, _ in group], model_name, learning, get_model)
        sources = [picked.get((job.satellite_id, job.metric), "model") for job, _ in group]
        if picked:
            outputs = apply_choices(outputs, windows, sources, period)
        for row, (job, window) in enumerate(group):
            threshold = thresholds.get((job.satellite_id, job.metric))
            results.append(
                completed(job, window, outputs, row, started, latency_ms, threshold, sources[row])
            )
            log.debug("forecast completed in %.1f ms", latency_ms, extra=job_fields(job))
    return results


@dataclass(frozen=True)
class _Learning:
    """What one batch's threshold and choice learnings share."""

    history: SharedHistory
    budget: LearningBudget
    now_s: float


def _thresholds(
    jobs: Sequence[ForecastRequest],
    learning: _Learning,
    get_model: Callable[[], ForecastModel],
) -> dict[tuple[str, str], float]:
    """The jobs' series thresholds; best effort: a forecast is complete without one."""
    try:
        return thresholds_for(
            ((j.satellite_id, j.metric) for j in jobs),
            learning.history,
            get_model,
            PERIODS,
            now_s=learning.now_s,
            budget=learning.budget,
        )
    except Exception as exc:  # a threshold is extra information; the forecast stands
        log.warning("anomaly thresholds unavailable this batch: %s", exc)
        return {}


def _choices(
    jobs: Sequence[ForecastRequest],
    model_name: str,
    learning: _Learning,
    get_model: Callable[[], ForecastModel],
) -> dict[tuple[str, str], str]:
    """The jobs' series choices for ``model_name``; best effort: without one a forecast
    is the model's."""
    try:
        return choices_for(
            ((j.satellite_id, j.metric) for j in jobs),
            model_name,
            learning.history,
            get_model,
            PERIODS,
            now_s=learning.now_s,
            budget=learning.budget,
        )
    except Exception as exc:  # a choice refines the forecast; the model's stands
        log.warning("forecast choices unavailable this batch: %s", exc)
        return {}


def _event_time(event: CloudEvent) -> datetime:
    raw = event.get("time")
    if raw:
        try:
            return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.now(UTC)
