"""Limits: what a PUT takes, and the sets in force with where they come from."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from satmon.api.schemas.operators import operator_field, prose_field
from satmon.contract.events import SATELLITE_ID_PATTERN

OPERATOR = operator_field("who makes the change (stored with it)")


class LimitValues(BaseModel):
    """A limit set: a value below a low or above a high limit is out of it (null: not
    checked); ``persistence`` consecutive samples out raise an alarm; it returns once a
    sample is back inside by ``deadband`` (the metric's unit)."""

    yellow_low: float | None = None
    yellow_high: float | None = None
    red_low: float | None = None
    red_high: float | None = None
    persistence: int = Field(1, ge=1, le=1000, description="samples")
    deadband: float = Field(0.0, ge=0.0)


class LimitPut(LimitValues):
    """A new version of a metric's set, fleet-wide or for one satellite."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "satellite": "SAT-001",
                    "yellow_low": -30.0,
                    "yellow_high": 40.0,
                    "red_low": -40.0,
                    "red_high": 45.0,
                    "persistence": 2,
                    "deadband": 1.0,
                    "operator": "jdoe",
                    "comment": "new thermal model after the safe-mode event",
                }
            ]
        },
    )

    satellite: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=SATELLITE_ID_PATTERN,
        description="this satellite only (omit: the fleet-wide set)",
    )
    operator: str = OPERATOR
    comment: str | None = prose_field("why (stored with the version)")


class LimitSetOut(LimitValues):
    metric: str
    unit: str
    satellite: str | None = Field(description="null: the fleet-wide set")
    source: Literal["contract", "stored"] = Field(
        description="contract: the default from the metric's range; stored: a version"
    )
    version: int | None = Field(description="the stored version in force (null: default)")
    changed_by: str | None
    changed_at: datetime | None
    comment: str | None


class LimitVersionOut(LimitValues):
    version: int
    withdrawn: bool = Field(description="this version withdrew the set (back to the default)")
    changed_by: str
    changed_at: datetime
    comment: str | None


class LimitsPage(BaseModel):
    """Per metric the set in force; ``overrides``: every per-satellite set in force."""

    satellite: str | None = Field(description="the sets in force for this satellite, if asked")
    metrics: list[LimitSetOut]
    overrides: list[LimitSetOut]


class LimitHistory(BaseModel):
    in_force: LimitSetOut
    versions: list[LimitVersionOut] = Field(description="newest first")
