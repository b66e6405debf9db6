"""The forecast contract: window sizes, model names, and the data of the forecast events
(``inference.requests`` / ``inference.results``).

``io.satmon.forecast.requested.v1`` carries a :class:`ForecastRequest`; the
``started`` / ``completed`` / ``failed`` events carry a :class:`ForecastOutcome` that
repeats the job description, so the result store can create the row from any of them
whichever arrives first. Times are RFC 3339 strings on the wire.

A completed ``vae_timeseries`` outcome carries the window's ``anomaly_score`` and, once
the series has one, the ``anomaly_threshold`` learned from that series' recent nominal
history (``anomaly_threshold`` below, stored by the forecaster as the VictoriaMetrics
series ``THRESHOLD_METRIC``); ``is_anomalous`` is the rule that compares them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args

import numpy as np
from cloudevents.http import CloudEvent
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from satmon.contract.events import METRIC_PREFIX, METRICS, EventError, format_time

WINDOW = 20
"""Points of history the models take."""
HORIZON = 10
"""Points the models forecast."""
MODEL_NAMES = ("vae_timeseries", "transformer_timeseries")
SHORT_NAMES = {"vae": "vae_timeseries", "transformer": "transformer_timeseries"}

TYPE_PING = "dev.knative.sources.ping"
"""Knative PingSource tick: the forecaster's schedule."""

STATUS_RANK = ("queued", "running", "failed", "completed")
"""Order a job's status may only move along (a late older event never moves it back)."""

# --- anomaly thresholds -------------------------------------------------------------
ANOMALY_MODEL = "vae_timeseries"
"""The model whose ``anomaly_score`` the thresholds apply to."""
THRESHOLD_METRIC = "satmon_anomaly_threshold"
"""VictoriaMetrics series of the learned thresholds, labels ``satellite_id``, ``metric``
and ``model``; a sample's timestamp is when it was learned."""
THRESHOLD_QUANTILE = 0.999
THRESHOLD_MARGIN = 1.25
"""The threshold is ``THRESHOLD_MARGIN`` × the ``THRESHOLD_QUANTILE`` quantile of the
series' nominal scores: the setting with the best event F1 on the NASA training splits
with injected anomalies (``satmon models tune-threshold``; no test split is read)."""
MIN_HISTORY_WINDOWS = 100
"""Fewer nominal windows than this teach no threshold."""


class ForecastRequest(BaseModel):
    """One forecast job: satellite × metric × model."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    job_id: str | None = Field(None, min_length=1, max_length=128)
    satellite_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    metric: str
    model: str = Field(min_length=1, max_length=64)
    trigger: str = Field("api", max_length=32)
    requested_at: datetime | None = None

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        name = value.removeprefix(METRIC_PREFIX)
        if name not in METRICS:
            raise ValueError(f"unknown metric {value!r}; known: {', '.join(METRICS)}")
        return name

    @field_validator("model")
    @classmethod
    def _full_model_name(cls, value: str) -> str:
        return SHORT_NAMES.get(value, value)

    @field_validator("requested_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("requested_at needs a time zone (e.g. a trailing Z)")
        return value


ForecastSource = Literal["model", "persistence", "line"]
"""What made a completed job's predictions: the model, or a baseline standing in for it
on a series where the model was not better (``satmon.forecast.choice``)."""
FORECAST_SOURCES: tuple[str, ...] = get_args(ForecastSource)


class ForecastOutcome(BaseModel):
    """A job's state after the forecaster touched it (started, completed or failed)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    job_id: str = Field(min_length=1, max_length=128)
    satellite_id: str = Field(min_length=1, max_length=64)
    metric: str = Field(min_length=1, max_length=64)
    model: str = Field(min_length=1, max_length=64)
    trigger: str = "api"
    requested_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    input_window: list[float] | None = None
    input_timestamps: list[datetime] | None = None
    predictions: list[float] | None = None
    prediction_timestamps: list[datetime] | None = None
    lower: list[float] | None = None
    upper: list[float] | None = None
    anomaly_score: float | None = None
    anomaly_threshold: float | None = None
    error: str | None = None
    latency_ms: float | None = None
    forecast_source: ForecastSource | None = None

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.model_dump(exclude_none=True).items():
            if isinstance(value, datetime):
                out[name] = format_time(value)
            elif isinstance(value, list) and value and isinstance(value[0], datetime):
                out[name] = [format_time(v) for v in value]
            else:
                out[name] = value
        return out


def anomaly_threshold(
    nominal_scores: Any, quantile: float = THRESHOLD_QUANTILE, margin: float = THRESHOLD_MARGIN
) -> float | None:
    """The threshold of one series from the anomaly scores of its nominal history:
    ``margin`` × their ``quantile`` quantile, so that a score rarely reached in that
    history, and then by some margin, is what counts as anomalous. None when fewer than
    ``MIN_HISTORY_WINDOWS`` finite scores are given."""
    scores = np.asarray(nominal_scores, dtype=np.float64).ravel()
    scores = scores[np.isfinite(scores)]
    if len(scores) < MIN_HISTORY_WINDOWS:
        return None
    return float(margin * np.quantile(scores, quantile))


def is_anomalous(score: float | None, threshold: float | None) -> bool:
    """A window is anomalous when its score passes its series' threshold (both known)."""
    return score is not None and threshold is not None and score > threshold


def parse_request(event: CloudEvent) -> ForecastRequest:
    """A forecast.requested event's data; job id defaults to the event id, time to the event's."""
    req = _validate(ForecastRequest, event.get_data())
    updates: dict[str, Any] = {}
    if req.job_id is None:
        updates["job_id"] = event["id"]
    if req.requested_at is None:
        updates["requested_at"] = _event_time(event)
    return req.model_copy(update=updates) if updates else req


def parse_outcome(event: CloudEvent) -> ForecastOutcome:
    return _validate(ForecastOutcome, event.get_data())


def check_model(req: ForecastRequest) -> None:
    """Ingress refuses models Triton does not serve (the forecaster reports them as failed)."""
    if req.model not in MODEL_NAMES:
        raise EventError(
            f"unknown model {req.model!r}; known: {', '.join(MODEL_NAMES)}", field="data.model"
        )


def _validate(model: type[Any], data: Any) -> Any:
    if isinstance(data, bytes | str):
        import json

        try:
            data = json.loads(data)
        except ValueError as exc:
            raise EventError(f"data is not valid JSON: {exc}", field="data") from exc
    if not isinstance(data, dict):
        raise EventError("data must be a JSON object", field="data")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "data"
        raise EventError(f"data.{where}: {first['msg']}", field=f"data.{where}") from exc


def _event_time(event: CloudEvent) -> datetime:
    raw = event.get("time")
    if raw:
        try:
            return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            pass
    return datetime.now(UTC)
