"""Liveness and readiness answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Alive(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "checks": {"PostgreSQL": "ok", "VictoriaMetrics": "ok", "Kafka": "ok"},
                }
            ]
        }
    )

    status: Literal["ready"] = "ready"
    checks: dict[str, str] = Field(description="each dependency: ok")
