"""Alarms: a list entry, one alarm with its history, and the operators' steps."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from satmon.api.schemas.operators import operator_field, prose_field
from satmon.contract.alarms import Action, Kind, Severity, State

OPERATOR = operator_field("who takes the step (stored with it)")


class AlarmStep(BaseModel):
    seq: int
    action: Action
    state: State = Field(description="the state the step left the alarm in")
    severity: Severity
    actor: str = Field(description="an operator, or alarm-evaluator")
    at: datetime = Field(description="the sample's time (evaluator) or the clock (operator)")
    value: float | None
    comment: str | None
    shelved_until: datetime | None
    recorded_at: datetime
    published: bool = Field(description="on the alarms topic already")


class AlarmSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "satellite": "SAT-001",
                    "metric": "temperature",
                    "kind": "limit",
                    "state": "active_unacknowledged",
                    "severity": "critical",
                    "max_severity": "critical",
                    "active": True,
                    "acknowledged": False,
                    "acknowledged_by": None,
                    "acknowledged_at": None,
                    "shelved_until": None,
                    "shelved_by": None,
                    "shelve_reason": None,
                    "raised_at": "2026-11-28T10:00:00.000Z",
                    "returned_at": None,
                    "cleared_at": None,
                    "value": 49.8,
                    "last_value": 49.8,
                    "threshold": 49.5,
                    "message": "temperature 49.8 °C above the red high limit 49.5 °C",
                    "steps": 1,
                    "updated_at": "2026-11-28T10:00:00.020Z",
                }
            ]
        }
    )

    id: int
    satellite: str
    metric: str | None = Field(description="null for a stale alarm (the whole satellite)")
    kind: Kind
    state: State
    severity: Severity = Field(description="now")
    max_severity: Severity = Field(description="the highest it reached")
    active: bool = Field(description="its condition holds")
    acknowledged: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    shelved_until: datetime | None
    shelved_by: str | None
    shelve_reason: str | None
    raised_at: datetime
    returned_at: datetime | None
    cleared_at: datetime | None
    value: float | None = Field(description="what raised it (a value or an anomaly score)")
    last_value: float | None
    threshold: float | None = Field(description="the limit or score threshold it passed")
    message: str
    steps: int
    updated_at: datetime


class AlarmDetail(AlarmSummary):
    history: list[AlarmStep]


class AlarmPage(BaseModel):
    items: list[AlarmSummary]
    next_cursor: str | None = Field(description="pass as cursor= for the next page; null: last")
    limit: int


class Acknowledge(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"operator": "jdoe", "comment": "seen"}]}
    )

    operator: str = OPERATOR
    comment: str | None = prose_field("a note stored with the step")


class Shelve(BaseModel):
    """Shelve until ``until`` or for ``duration_s`` (one of the two), with a reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"operator": "jdoe", "reason": "sensor swap", "duration_s": 3600}]
        },
    )

    operator: str = OPERATOR
    reason: str = prose_field("why it is shelved", required=True)
    until: datetime | None = Field(None, description="RFC 3339, with a time zone")
    duration_s: int | None = Field(None, ge=1, le=30 * 86400)


class Unshelve(Acknowledge):
    pass
