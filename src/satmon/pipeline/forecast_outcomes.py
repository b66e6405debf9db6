"""The forecaster's result events: a job's started, completed and failed outcomes as
CloudEvents on ``inference.results``, with ids derived from the job so a redelivered
request dedupes downstream, and the forecast's timestamps from the window's own step."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from cloudevents.http import CloudEvent

from satmon.contract.events import TYPE_FORECAST_COMPLETED, TYPE_FORECAST_FAILED, make_event
from satmon.contract.forecast import HORIZON, ForecastOutcome, ForecastRequest

log = logging.getLogger(__name__)
SOURCE = "/functions/forecaster"
DEFAULT_STEP_MS = 1000


def completed(
    job: ForecastRequest,
    window: Any,
    outputs: dict[str, np.ndarray],
    row: int,
    started: datetime,
    latency_ms: float,
    threshold: float | None = None,
    source: str = "model",
) -> CloudEvent:
    forecast = np.asarray(outputs["forecast"][row], dtype=np.float64)[:HORIZON]
    input_ts = [int(t) for t in window.timestamps]
    step = _step_ms(input_ts)
    pred_ts = [input_ts[-1] + step * (k + 1) for k in range(len(forecast))]
    extra: dict[str, Any] = {}
    for name, key in (("lower", "lower"), ("upper", "upper")):
        if key in outputs:
            extra[name] = [float(v) for v in np.asarray(outputs[key][row])[:HORIZON]]
    if "anomaly_score" in outputs:
        extra["anomaly_score"] = float(np.asarray(outputs["anomaly_score"]).reshape(-1)[row])
        extra["anomaly_threshold"] = threshold
    result = make_outcome(
        job,
        started_at=started,
        completed_at=datetime.now(UTC),
        input_window=[float(v) for v in window.values],
        input_timestamps=[_from_ms(t) for t in input_ts],
        predictions=[float(v) for v in forecast],
        prediction_timestamps=[_from_ms(t) for t in pred_ts],
        latency_ms=latency_ms,
        forecast_source=source,
        **extra,
    )
    return outcome_event(TYPE_FORECAST_COMPLETED, result)


def failed(job: ForecastRequest, started: datetime, reason: str) -> CloudEvent:
    log.warning("forecast failed: %s", reason, extra=job_fields(job))
    result = make_outcome(job, started_at=started, completed_at=datetime.now(UTC), error=reason)
    return outcome_event(TYPE_FORECAST_FAILED, result)


def job_fields(job: ForecastRequest) -> dict[str, Any]:
    """What a job's log records carry: its id, satellite, metric and model."""
    return {
        "job_id": job.job_id,
        "satellite": job.satellite_id,
        "metric": job.metric,
        "model": job.model,
    }


def make_outcome(job: ForecastRequest, **fields: Any) -> ForecastOutcome:
    return ForecastOutcome(
        job_id=job.job_id or "",
        satellite_id=job.satellite_id,
        metric=job.metric,
        model=job.model,
        trigger=job.trigger,
        requested_at=job.requested_at or datetime.now(UTC),
        **fields,
    )


def outcome_event(event_type: str, outcome: ForecastOutcome) -> CloudEvent:
    """Deterministic id per job and type, so a redelivered request dedupes downstream."""
    suffix = event_type.rsplit(".", 2)[-2]
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"satmon:{outcome.job_id}:{suffix}"))
    return make_event(
        event_type, SOURCE, outcome.to_json_dict(), key=outcome.job_id, event_id=event_id
    )


def _step_ms(timestamps: Sequence[int]) -> int:
    if len(timestamps) < 2:
        return DEFAULT_STEP_MS
    step = int(np.median(np.diff(np.asarray(timestamps, dtype=np.int64))))
    return step if step > 0 else DEFAULT_STEP_MS


def _from_ms(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
