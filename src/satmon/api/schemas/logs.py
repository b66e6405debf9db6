"""Log records as the API shows them, and a page of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["debug", "info", "warning", "error", "critical"]


class LogRecord(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "time": "2026-11-28T10:00:01.123456Z",
                    "level": "warning",
                    "component": "forecaster",
                    "message": "forecast failed: not enough data: 4 of 20 points",
                    "logger": "satmon.pipeline.forecaster",
                    "job_id": "0b5e4c1e-7a0e-4d53-9a55-9f0f3c1d2b6a",
                    "satellite": "SAT-001",
                    "fields": {"metric": "temperature", "model": "vae_timeseries"},
                }
            ]
        }
    )

    time: datetime
    level: str = Field(description="debug, info, warning, error or critical")
    component: str = Field(description="the satmon component (or server) that wrote it")
    message: str
    logger: str | None = None
    event_id: str | None = Field(None, description="the CloudEvent id it concerns")
    job_id: str | None = None
    satellite: str | None = None
    request_id: str | None = None
    alarm_id: str | None = Field(None, description="the alarm it concerns (its steps, actions)")
    exception: str | None = Field(None, description="the traceback, when there was one")
    fields: dict[str, Any] = Field(default_factory=dict, description="every other field")


class LogPageLinks(BaseModel):
    next: str | None = Field(None, description="the next (older) page, when there is one")


class LogPage(BaseModel):
    records: list[LogRecord] = Field(description="newest first")
    next_cursor: str | None = Field(None, description="pass as `cursor` for the older page")
    query: str = Field(description="the LogsQL filter this page ran (built by the API)")
    start: datetime
    end: datetime
    links: LogPageLinks


class ComponentCount(BaseModel):
    component: str
    records: int


class LogComponents(BaseModel):
    components: list[ComponentCount]
    start: datetime
    end: datetime
