"""Forecast job events → one ``inference_results`` row per job id (upsert, idempotent).

Status only moves forward along queued → running → failed → completed: the upsert's
``WHERE`` skips an event whose status ranks below the stored one, so a redelivered
older event (a late ``started`` after ``completed``) changes nothing. Every event
carries the job description, so whichever arrives first creates the row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent

from satmon.contract.events import (
    TYPE_FORECAST_COMPLETED,
    TYPE_FORECAST_FAILED,
    TYPE_FORECAST_REQUESTED,
    TYPE_FORECAST_STARTED,
    EventError,
)
from satmon.contract.forecast import (
    ForecastOutcome,
    ForecastRequest,
    parse_outcome,
    parse_request,
)
from satmon.contract.rejections import Rejected, parse_each
from satmon.store.results import COLUMNS, upsert_rows

log = logging.getLogger(__name__)

STATUS_BY_TYPE = {
    TYPE_FORECAST_REQUESTED: "queued",
    TYPE_FORECAST_STARTED: "running",
    TYPE_FORECAST_FAILED: "failed",
    TYPE_FORECAST_COMPLETED: "completed",
}


def row_from_event(event: CloudEvent) -> tuple[Any, ...]:
    """The ``inference_results`` row an event describes, in ``store.results.COLUMNS`` order."""
    status = STATUS_BY_TYPE.get(event["type"])
    if status is None:
        raise EventError(f"not a forecast job event: {event['type']!r}", field="type")
    if status == "queued":
        req = parse_request(event)
        failure = dead_letter_reason(event)
        if failure is not None:  # the request itself was dead-lettered: the job failed
            return _row(
                _job_columns(req), status="failed", completed_at=datetime.now(UTC), error=failure
            )
        return queued_row(req)
    out = parse_outcome(event)
    completed_at = out.completed_at
    if completed_at is None and status in ("failed", "completed"):
        completed_at = datetime.now(UTC)
    return _row(
        _job_columns(out),
        status=status,
        started_at=out.started_at,
        completed_at=completed_at,
        input_window=out.input_window,
        input_timestamps=out.input_timestamps,
        predictions=out.predictions,
        prediction_timestamps=out.prediction_timestamps,
        lower_bound=out.lower,
        upper_bound=out.upper,
        anomaly_score=out.anomaly_score,
        error=out.error,
        latency_ms=out.latency_ms,
        forecast_source=out.forecast_source,
    )


def queued_row(req: ForecastRequest) -> tuple[Any, ...]:
    """The row of a job that waits in the queue: what its ``forecast.requested`` event
    records (the API writes it from the request it just sent, without parsing it back)."""
    return _row(_job_columns(req), status="queued")


def _job_columns(job: ForecastRequest | ForecastOutcome) -> dict[str, Any]:
    """The columns that describe the job itself, which every event of it carries."""
    return {
        "job_id": job.job_id,
        "satellite_id": job.satellite_id,
        "metric": job.metric,
        "model": job.model,
        "trigger": job.trigger,
        "requested_at": job.requested_at,
    }


def _row(job: dict[str, Any], **values: Any) -> tuple[Any, ...]:
    """A row in ``COLUMNS`` order; a column not given is None (the upsert keeps what an
    earlier event stored there)."""
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise ValueError(f"not columns of inference_results: {sorted(unknown)}")
    given = job | values
    return tuple(given.get(c) for c in COLUMNS)


def dead_letter_reason(event: CloudEvent) -> str | None:
    """Why the dispatcher gave up on an event that reached its dead-letter topic, or None.

    Dead letters carry ``knativeerrordest`` (always) and satmon's one-line reason.
    """
    attributes = event.get_attributes()
    if "knativeerrordest" not in attributes:
        return None
    reason = attributes.get("satmonreason") or f"HTTP {attributes.get('knativeerrorcode', '?')}"
    return f"dead-lettered by {attributes['knativeerrordest']}: {reason}"


def store_events(pool: Any, events: Sequence[CloudEvent]) -> list[Rejected]:
    """Upsert every valid event in one transaction; return the invalid ones."""
    rows, rejected = parse_each(events, row_from_event)
    if rows:
        upsert_rows(pool, rows)
    for row in rows:
        job = dict(zip(COLUMNS, row, strict=True))
        if job["status"] == "failed":
            log.info(
                "job stored as failed: %s",
                job["error"],
                extra={"job_id": job["job_id"], "satellite": job["satellite_id"],
                       "metric": job["metric"], "model": job["model"]},
            )  # fmt: skip
    return rejected
