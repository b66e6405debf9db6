"""Trends: raw samples or buckets, stored forecasts, raw vs forecast, metrics, satellites.

Series are column-wise (parallel arrays) and their timestamps are milliseconds since
the epoch, UTC, as the telemetry's own timestamps are stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RawSeries(BaseModel):
    metric: str
    unit: str
    timestamps: list[int] = Field(
        description="ms since the epoch: each sample's, or each bucket's start (a bucket "
        "holds the samples with start < t <= start + bucket_ms)"
    )
    values: list[float] | None = Field(None, description="samples mode: every sample's value")
    count: list[int] | None = Field(None, description="buckets mode: samples in the bucket")
    min: list[float | None] | None = Field(None, description="buckets mode; null where count is 0")
    max: list[float | None] | None = None
    avg: list[float | None] | None = None


class RawTrends(BaseModel):
    """Every sample of a short range, or buckets of a long one (``count = 0``: a gap)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "satellite": "SAT-001",
                    "start": "2026-11-28T09:00:00Z",
                    "end": "2026-11-28T10:00:00Z",
                    "mode": "buckets",
                    "bucket_ms": 8000,
                    "samples": 3600,
                    "series": [
                        {
                            "metric": "temperature",
                            "unit": "°C",
                            "timestamps": [1795766400000, 1795766408000],
                            "count": [8, 0],
                            "min": [12.1, None],
                            "max": [12.6, None],
                            "avg": [12.3, None],
                        }
                    ],
                }
            ]
        }
    )

    satellite: str
    start: datetime
    end: datetime
    mode: Literal["samples", "buckets"]
    bucket_ms: int | None = Field(description="bucket width (buckets mode)")
    samples: int = Field(description="samples in the range, over every metric asked")
    series: list[RawSeries]


class MetricInfo(BaseModel):
    name: str
    unit: str
    minimum: float = Field(description="lower end of the physical / simulated range")
    maximum: float
    series: str = Field(description="the VictoriaMetrics metric name")


class SatelliteInfo(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "SAT-001",
                    "first_seen": "2026-11-21T10:00:00Z",
                    "last_seen": "2026-11-28T10:00:00Z",
                    "cadence_s": 1.0,
                    "stale": False,
                    "latest": {"temperature": 12.3, "altitude": 421.7},
                }
            ]
        }
    )

    id: str
    first_seen: datetime | None
    last_seen: datetime | None
    cadence_s: float | None = Field(description="median interval of its recent samples")
    stale: bool = Field(description="no sample for 3× its cadence")
    latest: dict[str, float] = Field(description="each metric's value at last_seen")


class PredictionSeries(BaseModel):
    """The latest forecast of each future timestamp, by one model."""

    model: str
    timestamps: list[int]
    values: list[float]
    lower: list[float | None]
    upper: list[float | None]
    job_ids: list[str] = Field(description="the job each point comes from")


class PredictionJob(BaseModel):
    job_id: str
    model: str
    requested_at: datetime
    completed_at: datetime | None
    timestamps: list[int]
    values: list[float]
    lower: list[float | None]
    upper: list[float | None]


class Predictions(BaseModel):
    """``latest=true``: ``series``, one per model; ``latest=false``: every job's ``jobs``."""

    satellite: str
    metric: str
    unit: str
    start: datetime
    end: datetime
    latest: bool
    series: list[PredictionSeries] | None = None
    jobs: list[PredictionJob] | None = None
    truncated: bool = Field(False, description="more jobs than the limit; narrow the range")


class ErrorFigures(BaseModel):
    points: int = Field(description="forecast points with a sample at their timestamp")
    mae: float | None
    rmse: float | None


class ModelErrors(ErrorFigures):
    model: str
    persistence_mae: float | None = Field(description="persistence over the same points")
    persistence_rmse: float | None


class Comparison(BaseModel):
    """Each forecast timestamp with the sample there (``actual``, null if none), each
    model's latest forecast and persistence (the forecasting job's last input)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "satellite": "SAT-001",
                    "metric": "temperature",
                    "unit": "°C",
                    "start": "2026-11-28T09:00:00Z",
                    "end": "2026-11-28T10:00:00Z",
                    "timestamps": [1795766401000],
                    "actual": [12.31],
                    "forecasts": {"vae_timeseries": [12.29]},
                    "persistence": [12.3],
                    "errors": [
                        {
                            "model": "vae_timeseries",
                            "points": 1,
                            "mae": 0.02,
                            "rmse": 0.02,
                            "persistence_mae": 0.01,
                            "persistence_rmse": 0.01,
                        }
                    ],
                    "baseline": {"points": 1, "mae": 0.01, "rmse": 0.01},
                    "truncated": False,
                }
            ]
        }
    )

    satellite: str
    metric: str
    unit: str
    start: datetime
    end: datetime
    timestamps: list[int]
    actual: list[float | None]
    forecasts: dict[str, list[float | None]]
    persistence: list[float | None]
    errors: list[ModelErrors]
    baseline: ErrorFigures = Field(description="persistence over every aligned timestamp")
    truncated: bool = Field(description="points keep the newest max_points; errors cover all")
