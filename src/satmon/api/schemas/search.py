"""Full-text search hits."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SearchHit(BaseModel):
    kind: str = Field(description="forecast | failure | dead_letter | alarm")
    id: str = Field(description="the row's key in its table (a job id for forecasts)")
    source: str = Field(description="the table the hit lives in")
    title: str
    snippet: str = Field(description="HTML-escaped text with each hit in <mark>…</mark>")
    satellite: str | None
    time: datetime
    rank: float
    link: str | None = Field(description="where the API shows the whole thing")


class SearchResults(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "q": "battery failed",
                    "total": 1,
                    "offset": 0,
                    "limit": 20,
                    "items": [
                        {
                            "kind": "failure",
                            "id": "0b5f6a9e-8f3e-4a53-9a55-3c1f0e0d2b7a",
                            "source": "inference_results",
                            "title": "Failed forecast of battery for SAT-001 by vae_timeseries",
                            "snippet": "Job … is <mark>failed</mark>. Error: not enough data …",
                            "satellite": "SAT-001",
                            "time": "2026-11-28T10:00:00Z",
                            "rank": 0.3,
                            "link": "/api/v1/inference/result/0b5f6a9e-8f3e-4a53-9a55-3c1f0e0d2b7a",
                        }
                    ],
                }
            ]
        }
    )

    q: str
    total: int = Field(description="matches (counted up to 10,000)")
    offset: int
    limit: int
    items: list[SearchHit]
