"""``/export``: a range as CSV, streamed with flat memory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from satmon.api.csv_rows import CsvExport
from satmon.api.deps import Satellite, TrendRange, VictoriaMetricsDep, read_access
from satmon.api.schemas.inference import MetricName
from satmon.contract.events import METRICS

router = APIRouter(prefix="/export", tags=["export"], dependencies=[Depends(read_access)])
CSV_EXAMPLE = (
    "timestamp,temperature,altitude,velocity,battery,solar_power,latitude,longitude\n"
    "2026-11-28T10:00:00.000Z,12.3,421.7,7.66,3.91,55.2,12.31,-45.62\n"
)


@router.get(
    "/csv",
    summary="A range as CSV: one row per timestamp, one column per metric",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "text/csv, streamed",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
        }
    },
)
async def csv(
    satellite: Satellite,
    window: TrendRange,
    vm: VictoriaMetricsDep,
    metric: Annotated[
        list[MetricName] | None,
        Query(description="repeat for several; default every metric, in contract order"),
    ] = None,
) -> StreamingResponse:
    """Timestamps are RFC 3339 (UTC, ms); a cell is empty where that metric has no
    sample at that timestamp. Any range up to the retention streams in flat memory."""
    metrics = [m for m in METRICS if m in set(metric)] if metric else list(METRICS)
    name = f"{satellite}_{window.start:%Y%m%dT%H%M%SZ}_{window.end:%Y%m%dT%H%M%SZ}.csv"
    export = CsvExport(vm, satellite, metrics, window.start_ms, window.end_ms)
    await export.prefetch()
    return StreamingResponse(
        export.body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
