"""``/limits``: red / yellow limits per metric, fleet-wide or per satellite, versioned."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from satmon.api.deps import CallerToken, DatabaseDep, read_access
from satmon.api.problems import Problem
from satmon.api.schemas.inference import MetricName
from satmon.api.schemas.limits import (
    LimitHistory,
    LimitPut,
    LimitSetOut,
    LimitsPage,
    LimitVersionOut,
)
from satmon.api.schemas.operators import OPERATOR_MAX, OPERATOR_PATTERN, PROSE_MAX, PROSE_PATTERN
from satmon.contract.events import METRICS, SATELLITE_ID_PATTERN
from satmon.contract.limits import LimitSet, default_limits, problems
from satmon.store import limits as store

router = APIRouter(prefix="/limits", tags=["limits"])
MetricPath = Annotated[MetricName, Path(description="a contract metric")]
SatelliteQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=64, pattern=SATELLITE_ID_PATTERN, description="one satellite"),
]


@router.get("", summary="The limits in force", dependencies=[Depends(read_access)])
def in_force(db: DatabaseDep, satellite: SatelliteQuery = None) -> LimitsPage:
    """Per metric the set in force (for ``satellite`` when given, else fleet-wide), and
    every per-satellite override in force."""
    with db.connection() as conn:
        book = store.load_book(conn)
    return LimitsPage(
        satellite=satellite,
        metrics=[_out(book, metric, satellite) for metric in METRICS],
        overrides=[_out(book, v.metric, v.satellite_id) for v in book.overridden()],
    )


@router.get(
    "/{metric}",
    summary="One metric's set in force and every stored version",
    dependencies=[Depends(read_access)],
)
def metric_history(
    db: DatabaseDep, metric: MetricPath, satellite: SatelliteQuery = None
) -> LimitHistory:
    with db.connection() as conn:
        book = store.load_book(conn)
        versions = store.versions(conn, metric, satellite)
    return LimitHistory(
        in_force=_out(book, metric, satellite), versions=[_version(v) for v in versions]
    )


@router.put(
    "/{metric}",
    summary="Store a new version of a metric's limits",
    responses={401: {"description": "no or a wrong bearer token"}},
)
async def put_limits(
    metric: MetricPath, body: LimitPut, _token: CallerToken, db: DatabaseDep
) -> LimitSetOut:
    """Fleet-wide, or for ``satellite``; applies to the next samples judged. Refused
    (422, naming the field) unless low < high, red lies outside yellow, persistence is
    1…1000 and the deadband is under half the narrowest band."""
    limits = LimitSet(**body.model_dump(include=set(LimitSet.__dataclass_fields__)))
    found = problems(limits)
    if found:
        field, _ = found[0]
        detail = "; ".join(f"body.{f}: {message}" for f, message in found)
        raise Problem(422, detail, f"body.{field}")
    return await run_in_threadpool(
        _store, db, metric, body.satellite, limits, body.operator, body.comment
    )


@router.delete(
    "/{metric}",
    summary="Withdraw a metric's stored set (back to the fleet-wide set or the default)",
    responses={401: {"description": "no or a wrong bearer token"}},
)
async def withdraw_limits(
    metric: MetricPath,
    _token: CallerToken,
    db: DatabaseDep,
    operator: Annotated[
        str,
        Query(
            min_length=1,
            max_length=OPERATOR_MAX,
            pattern=OPERATOR_PATTERN,
            description="who withdraws it",
        ),
    ],
    satellite: SatelliteQuery = None,
    comment: Annotated[str | None, Query(max_length=PROSE_MAX, pattern=PROSE_PATTERN)] = None,
) -> LimitSetOut:
    return await run_in_threadpool(_store, db, metric, satellite, None, operator, comment)


def _store(
    db: DatabaseDep,
    metric: str,
    satellite: str | None,
    limits: LimitSet | None,
    operator: str,
    comment: str | None,
) -> LimitSetOut:
    with db.connection() as conn:
        store.store_version(conn, metric, satellite, limits, operator, comment)
        book = store.load_book(conn)
    return _out(book, metric, satellite)


def _out(book: store.LimitBook, metric: str, satellite: str | None) -> LimitSetOut:
    version = book.source(metric, satellite)
    limits = version.limits if version is not None and version.limits else default_limits(metric)
    return LimitSetOut(
        **limits.to_dict(),
        metric=metric,
        unit=METRICS[metric][0],
        satellite=version.satellite_id if version is not None else None,
        source="stored" if version is not None else "contract",
        version=version.version if version is not None else None,
        changed_by=version.changed_by if version is not None else None,
        changed_at=version.changed_at if version is not None else None,
        comment=version.comment if version is not None else None,
    )


def _version(v: store.Version) -> LimitVersionOut:
    values = v.limits.to_dict() if v.limits is not None else {}
    return LimitVersionOut(
        **values,
        version=v.version,
        withdrawn=v.limits is None,
        changed_by=v.changed_by,
        changed_at=v.changed_at,
        comment=v.comment,
    )
