"""Jobs, filtered and keyset-paged, and their statistics."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from satmon.api.schemas.inference import JobStatus
from satmon.contract.forecast import ForecastSource


class JobSummary(BaseModel):
    job_id: str
    satellite: str
    metric: str
    model: str
    status: JobStatus
    trigger: str
    requested_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    anomaly_score: float | None
    latency_ms: float | None
    forecast_source: ForecastSource | None = Field(
        None, description="the model, or the baseline standing in for it on this series"
    )
    error: str | None
    updated_at: datetime


class JobPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [], "next_cursor": None, "sort": "-requested_at", "limit": 50}]
        }
    )

    items: list[JobSummary]
    next_cursor: str | None = Field(description="pass as cursor= for the next page; null: last")
    sort: str
    limit: int


class Percentiles(BaseModel):
    p50: float | None
    p95: float | None
    p99: float | None


class ModelLatency(BaseModel):
    model: str | None = Field(description="null: every model together")
    completed: int
    latency_ms: Percentiles = Field(description="model call time")
    turnaround_ms: Percentiles = Field(description="requested → completed")


class StatusCount(BaseModel):
    status: str
    model: str
    count: int


class JobStats(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-11-28T09:00:00Z",
                    "end": "2026-11-28T10:00:00Z",
                    "total": 840,
                    "jobs_per_minute": 14.0,
                    "by_status": {"completed": 838, "failed": 2},
                    "by_model": {"vae_timeseries": 420, "transformer_timeseries": 420},
                    "counts": [{"status": "completed", "model": "vae_timeseries", "count": 419}],
                    "latency": [],
                }
            ]
        }
    )

    start: datetime
    end: datetime
    total: int
    jobs_per_minute: float = Field(description="jobs requested per minute over the range")
    by_status: dict[str, int]
    by_model: dict[str, int]
    counts: list[StatusCount] = Field(description="by status and model")
    latency: list[ModelLatency] = Field(description="completed jobs, per model and overall")
