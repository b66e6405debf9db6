"""``/trends``: raw samples or buckets from VictoriaMetrics, stored forecasts, raw vs
forecast with error figures, the metrics and the satellites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from satmon.api import samples
from satmon.api.buckets import BucketColumns, bucket_query, columns_from, slots_for
from satmon.api.compare import align
from satmon.api.deps import (
    DatabaseDep,
    Satellite,
    SatellitesDep,
    SettingsDep,
    TrendRange,
    VictoriaMetricsDep,
    read_access,
)
from satmon.api.fleet import describe_fleet
from satmon.api.problems import Problem
from satmon.api.ranges import TimeRange
from satmon.api.ranges import epoch_ms as _ms
from satmon.api.schemas.inference import MetricName, ModelName
from satmon.api.schemas.trends import (
    Comparison,
    MetricInfo,
    Predictions,
    RawTrends,
    SatelliteInfo,
)
from satmon.contract.events import METRIC_PREFIX, METRICS, format_time
from satmon.contract.forecast import SHORT_NAMES
from satmon.store.latest_forecasts import forecast_points
from satmon.store.results import forecast_jobs

router = APIRouter(prefix="/trends", tags=["trends"], dependencies=[Depends(read_access)])
SAMPLES_MAX = 200_000
"""The most samples one samples-mode answer holds (``/export/csv`` streams any number)."""
Metrics = Annotated[
    list[MetricName] | None,
    Query(alias="metric", description="repeat for several; default every metric"),
]


@router.get(
    "/raw", summary="Raw samples, or min / max / avg / count buckets", response_model=RawTrends
)
async def raw(
    satellite: Satellite,
    window: TrendRange,
    vm: VictoriaMetricsDep,
    config: SettingsDep,
    metric: Metrics = None,
    buckets: Annotated[
        int | None, Query(ge=1, le=5000, description="buckets of a long range (default 500)")
    ] = None,
    mode: Annotated[
        Literal["auto", "samples", "buckets"],
        Query(description="auto: every sample when the range holds few enough, else buckets"),
    ] = "auto",
) -> Response:
    """Real samples only: buckets come from VictoriaMetrics' rollups over each bucket's own
    samples, so a bucket without any has ``count = 0`` and no line is drawn across it."""
    metrics = list(dict.fromkeys(metric or METRICS))
    slots = slots_for(window.start_ms, window.end_ms, buckets or config.api_default_buckets)
    query = bucket_query(metrics, satellite, slots.width_ms)
    columns = columns_from(await vm.query_range(query, *slots.query_window_s), slots)
    totals = [c.total for c in columns.values()]
    most, total = max(totals, default=0), sum(totals)
    body: dict[str, object] = {
        "satellite": satellite,
        "start": format_time(window.start),
        "end": format_time(window.end),
        "samples": total,
    }
    if mode == "samples" or (mode == "auto" and most <= config.api_raw_sample_limit):
        if most > SAMPLES_MAX:
            raise Problem(
                422,
                f"the range holds {most} samples of a metric, over {SAMPLES_MAX}: ask "
                "mode=buckets, a shorter range, or GET /api/v1/export/csv for all of them",
                "query.mode",
            )
        exported = await vm.export(
            samples.selector(metrics, satellite), window.start_ms / 1000, (window.end_ms - 1) / 1000
        )
        found = samples.by_metric(exported)
        body |= {"mode": "samples", "bucket_ms": None, "series": []}
        # the samples themselves: a bucket's window is open on the left, the range is not
        body["samples"] = sum(len(found.get(name, ((), ()))[0]) for name in metrics)
        for name in metrics:
            stamps, values = found.get(name, ([], []))
            body["series"].append(  # type: ignore[attr-defined]
                {"metric": name, "unit": METRICS[name][0], "timestamps": stamps, "values": values}
            )
    else:
        starts = slots.starts
        body |= {"mode": "buckets", "bucket_ms": slots.width_ms, "series": []}
        for name in metrics:
            c = columns.get(name) or BucketColumns.empty(slots.count)
            body["series"].append(  # type: ignore[attr-defined]
                {
                    "metric": name,
                    "unit": METRICS[name][0],
                    "timestamps": starts,
                    "count": c.count,
                    "min": c.min,
                    "max": c.max,
                    "avg": c.avg,
                }
            )
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )


@router.get("/metrics", summary="Metrics with units and physical ranges")
async def metrics() -> list[MetricInfo]:
    return [
        MetricInfo(name=name, unit=unit, minimum=low, maximum=high, series=METRIC_PREFIX + name)
        for name, (unit, low, high) in METRICS.items()
    ]


@router.get(
    "/satellites",
    summary="Satellites with first / last seen, staleness, latest values",
    response_model=list[SatelliteInfo],
)
async def satellites(
    directory: SatellitesDep, vm: VictoriaMetricsDep, config: SettingsDep
) -> Response:
    fleet = await describe_fleet(directory, vm, config.api_satellite_lookback_s)
    return Response(orjson.dumps(fleet, option=orjson.OPT_UTC_Z), media_type="application/json")


Models = Annotated[
    list[ModelName] | None,
    Query(alias="model", description="repeat for several; default every model"),
]


@router.get("/prediction", summary="Stored forecasts of a range", response_model=Predictions)
async def prediction(
    satellite: Satellite,
    window: TrendRange,
    db: DatabaseDep,
    metric: Annotated[MetricName, Query(description="one metric")],
    model: Models = None,
    latest: Annotated[
        bool, Query(description="the latest forecast of each timestamp, or every job's")
    ] = True,
    limit: Annotated[int, Query(ge=1, le=5000, description="jobs, when latest=false")] = 500,
) -> Response:
    models = _full_names(model)
    body: dict[str, Any] = _head(satellite, metric, window) | {"latest": latest}
    if latest:
        rows = await run_in_threadpool(
            _read, db, forecast_points, satellite, metric, models, window.start, window.end
        )
        body["series"] = [
            {
                "model": name,
                "timestamps": [_ms(r[1]) for r in group],
                "values": [r[2] for r in group],
                "lower": [r[3] for r in group],
                "upper": [r[4] for r in group],
                "job_ids": [r[5] for r in group],
            }
            for name, group in _by_model(rows)
        ]
    else:
        jobs = await run_in_threadpool(
            _read, db, forecast_jobs, satellite, metric, models, window.start, window.end, limit + 1
        )
        body["truncated"] = len(jobs) > limit
        body["jobs"] = [
            {
                "job_id": job_id,
                "model": name,
                "requested_at": format_time(requested),
                "completed_at": format_time(completed) if completed else None,
                "timestamps": [_ms(t) for t in stamps or []],
                "values": values or [],
                "lower": lower or [None] * len(values or []),
                "upper": upper or [None] * len(values or []),
            }
            for job_id, name, requested, completed, stamps, values, lower, upper in jobs[:limit]
        ]
    return Response(orjson.dumps(body), media_type="application/json")


@router.get(
    "/compare", summary="Raw vs forecast, aligned, with MAE / RMSE", response_model=Comparison
)
async def compare(
    satellite: Satellite,
    window: TrendRange,
    db: DatabaseDep,
    vm: VictoriaMetricsDep,
    metric: Annotated[MetricName, Query(description="one metric")],
    model: Models = None,
    max_points: Annotated[
        int, Query(ge=1, le=100_000, description="the newest points kept in the answer")
    ] = 10_000,
) -> Response:
    """Error figures cover every forecast point of the range that has a sample at its
    timestamp (the nearest within half the sampling interval)."""
    rows = await run_in_threadpool(
        _read, db, forecast_points, satellite, metric, _full_names(model), window.start, window.end
    )
    stamps: list[int] = []
    values: list[float] = []
    if rows:
        first, last = min(_ms(r[1]) for r in rows), max(_ms(r[1]) for r in rows)
        margin = 60_000  # wider than half any sampling interval the tolerance allows
        exported = await vm.export(
            samples.selector([metric], satellite), (first - margin) / 1000, (last + margin) / 1000
        )
        stamps, values = samples.by_metric(exported).get(metric, ([], []))
    aligned = align(rows, stamps, values)
    keep = slice(max(len(aligned.timestamps) - max_points, 0), None)
    body = _head(satellite, metric, window) | {
        "timestamps": aligned.timestamps[keep],
        "actual": aligned.actual[keep],
        "forecasts": {m: v[keep] for m, v in aligned.forecasts.items()},
        "persistence": aligned.persistence[keep],
        "errors": [
            {
                "model": name,
                "points": own.points,
                "mae": own.mae,
                "rmse": own.rmse,
                "persistence_mae": base.mae,
                "persistence_rmse": base.rmse,
            }
            for name, (own, base) in aligned.errors.items()
        ],
        "baseline": {
            "points": aligned.baseline.points,
            "mae": aligned.baseline.mae,
            "rmse": aligned.baseline.rmse,
        },
        "truncated": len(aligned.timestamps) > max_points,
    }
    return Response(orjson.dumps(body), media_type="application/json")


def _read(db: Any, reader: Any, *args: Any) -> Any:
    with db.connection() as conn:
        return reader(conn, *args)


def _head(satellite: str, metric: str, window: TimeRange) -> dict[str, Any]:
    return {
        "satellite": satellite,
        "metric": metric,
        "unit": METRICS[metric][0],
        "start": format_time(window.start),
        "end": format_time(window.end),
    }


def _full_names(models: Sequence[str] | None) -> list[str] | None:
    return sorted({SHORT_NAMES.get(m, m) for m in models}) if models else None


def _by_model(rows: list[tuple[Any, ...]]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    groups: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    return list(groups.items())
