"""Forecast jobs: what a submit takes and answers, and a job's state and forecast."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from satmon.contract.events import SATELLITE_ID_PATTERN
from satmon.contract.forecast import ForecastSource

MetricName = Literal[
    "temperature", "altitude", "velocity", "battery", "solar_power", "latitude", "longitude"
]
ModelName = Literal["vae_timeseries", "transformer_timeseries", "vae", "transformer"]
JobStatus = Literal["queued", "running", "completed", "failed"]


class SubmitRequest(BaseModel):
    """A forecast of one satellite's metric by one model (``vae`` / ``transformer`` are
    short for the full model names)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"satellite": "SAT-001", "metric": "temperature", "model": "vae"}]
        },
    )

    satellite: str = Field(min_length=1, max_length=64, pattern=SATELLITE_ID_PATTERN)
    metric: MetricName
    model: ModelName


class JobLinks(BaseModel):
    result: str = Field(description="where the job's state and forecast are read")
    logs: str = Field(description="the job's log records (every component, newest first)")


class SubmitAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "job_id": "0b5f6a9e-8f3e-4a53-9a55-3c1f0e0d2b7a",
                    "status": "queued",
                    "satellite": "SAT-001",
                    "metric": "temperature",
                    "model": "vae_timeseries",
                    "requested_at": "2026-11-28T10:00:00.000Z",
                    "links": {
                        "result": "/api/v1/inference/result/0b5f6a9e-8f3e-4a53-9a55-3c1f0e0d2b7a",
                        "logs": "/api/v1/logs?job_id=0b5f6a9e-8f3e-4a53-9a55-3c1f0e0d2b7a",
                    },
                }
            ]
        }
    )

    job_id: str
    status: JobStatus
    satellite: str
    metric: str
    model: str
    requested_at: datetime
    links: JobLinks


class ForecastPoint(BaseModel):
    timestamp: datetime
    value: float
    lower: float | None = Field(None, description="VAE band, 10th percentile")
    upper: float | None = Field(None, description="VAE band, 90th percentile")


class InputPoint(BaseModel):
    timestamp: datetime
    value: float


class JobResult(BaseModel):
    """A job's state; ``forecast`` holds the 10 points once it completed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "job_id": "0b5f6a9e-8f3e-4a53-9a55-3c1f0e0d2b7a",
                    "status": "completed",
                    "satellite": "SAT-001",
                    "metric": "temperature",
                    "model": "vae_timeseries",
                    "trigger": "api",
                    "requested_at": "2026-11-28T10:00:00.000Z",
                    "started_at": "2026-11-28T10:00:00.020Z",
                    "completed_at": "2026-11-28T10:00:00.031Z",
                    "forecast": [
                        {
                            "timestamp": "2026-11-28T10:00:01.000Z",
                            "value": 12.4,
                            "lower": 12.1,
                            "upper": 12.7,
                        }
                    ],
                    "input": [{"timestamp": "2026-11-28T10:00:00.000Z", "value": 12.3}],
                    "anomaly_score": 0.12,
                    "latency_ms": 4.1,
                    "forecast_source": "model",
                    "error": None,
                    "updated_at": "2026-11-28T10:00:00.040Z",
                    "links": {
                        "result": "/api/v1/inference/result/0b5f6a9e-8f3e-4a53-9a55-3c1f0e0d2b7a",
                        "logs": "/api/v1/logs?job_id=0b5f6a9e-8f3e-4a53-9a55-3c1f0e0d2b7a",
                    },
                }
            ]
        }
    )

    job_id: str
    status: JobStatus
    satellite: str
    metric: str
    model: str
    trigger: str
    requested_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    forecast: list[ForecastPoint]
    input: list[InputPoint] = Field(description="the window of 20 points the model read")
    anomaly_score: float | None
    latency_ms: float | None = Field(description="model call time, ms")
    forecast_source: ForecastSource | None = Field(
        None,
        description="what made the forecast: the model, or the baseline that stands in for "
        "it on this series because the model was not better than both baselines on the "
        "series' recent history (null until the job completes)",
    )
    error: str | None = Field(description="why a failed job failed")
    updated_at: datetime
    links: JobLinks
