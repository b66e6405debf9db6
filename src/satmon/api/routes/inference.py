"""``/inference``: queue a forecast job on Kafka (202 once Kafka has it), read its result."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Response
from starlette.concurrency import run_in_threadpool

from satmon.api.deps import CallerToken, DatabaseDep, ResourcesDep, read_access
from satmon.api.problems import Problem
from satmon.api.schemas.inference import (
    ForecastPoint,
    InputPoint,
    JobLinks,
    JobResult,
    SubmitAccepted,
    SubmitRequest,
)
from satmon.contract.events import TOPIC_REQUESTS, TYPE_FORECAST_REQUESTED, make_event
from satmon.contract.forecast import SHORT_NAMES, ForecastRequest
from satmon.pipeline.result_store import queued_row
from satmon.store.results import fetch_job

log = logging.getLogger(__name__)
router = APIRouter(prefix="/inference", tags=["inference"])
SOURCE = "/services/api"
RESULT_PATH = "/api/v1/inference/result/{}"
LOGS_PATH = "/api/v1/logs?job_id={}"
IDEMPOTENCY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "satmon:api:idempotency-key")
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="a retried submit with the same key answers the same job "
        "(letters, digits, '.', '_', ':' or '-')",
    ),
]


@router.post(
    "/submit",
    status_code=202,
    response_model=SubmitAccepted,
    summary="Queue a forecast job",
    responses={
        401: {"description": "no or a wrong bearer token"},
        409: {"description": "the Idempotency-Key was used for another request"},
    },
)
async def submit(
    body: SubmitRequest,
    _token: CallerToken,
    held: ResourcesDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Emit ``forecast.requested`` on ``inference.requests`` (acks=all) and answer 202 with
    the job id once Kafka has it; ``Location`` points at the result.

    The hot path of the API (1,000 submits/s is a goal): one dependency for the clients
    instead of one each, the answer serialised by its model straight to bytes (FastAPI's
    response validation would only check it again), the queued row built from the request
    rather than parsed back from the event."""
    satellite = await held.satellites.require(body.satellite, "body.satellite")
    model = SHORT_NAMES.get(body.model, body.model)
    if idempotency_key is None:
        job_id = str(uuid.uuid4())
    else:
        job_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, idempotency_key))
        earlier = await run_in_threadpool(_job_row, held.db, job_id)
        if earlier is not None:
            _same_request_or_409(earlier, satellite, body.metric, model)
            return _accepted(earlier["job_id"], earlier["status"], earlier, earlier["requested_at"])
    request = ForecastRequest(
        job_id=job_id,
        satellite_id=satellite,
        metric=body.metric,
        model=model,
        trigger="api",
        requested_at=datetime.now(UTC),
    )
    event = make_event(
        TYPE_FORECAST_REQUESTED,
        SOURCE,
        request.model_dump(mode="json"),
        key=satellite,
        event_id=job_id,
    )
    await held.publisher.publish(TOPIC_REQUESTS, event)
    log.info(
        "queued forecast job",
        extra={"job_id": job_id, "satellite": satellite, "metric": body.metric, "model": model},
    )
    await held.queued.record(queued_row(request))  # the job shows as queued at once
    fields = {"satellite_id": satellite, "metric": body.metric, "model": model}
    return _accepted(job_id, "queued", fields, request.requested_at or datetime.now(UTC))


@router.get(
    "/result/{job_id}",
    summary="A job's status and forecast",
    dependencies=[Depends(read_access)],
    responses={404: {"description": "no job has this id"}},
)
def result(
    db: DatabaseDep,
    job_id: Annotated[str, Path(min_length=1, max_length=128, description="from the submit")],
) -> JobResult:
    row = _job_row(db, job_id)
    if row is None:
        raise Problem(
            404,
            f"no job {job_id[:128]!r}; a submit answers the id (jobs show here once queued)",
            "path.job_id",
        )
    return job_result(row)


def job_result(row: dict[str, Any]) -> JobResult:
    """An ``inference_results`` row (``store.results.fetch_job``) as the API shows it."""
    predictions = row["predictions"] or []
    stamps = row["prediction_timestamps"] or []
    lower = row["lower_bound"] or [None] * len(predictions)
    upper = row["upper_bound"] or [None] * len(predictions)
    forecast = [
        ForecastPoint(timestamp=t, value=v, lower=lo, upper=hi)
        for t, v, lo, hi in zip(stamps, predictions, lower, upper, strict=False)
    ]
    inputs = [
        InputPoint(timestamp=t, value=v)
        for t, v in zip(row["input_timestamps"] or [], row["input_window"] or [], strict=False)
    ]
    return JobResult(
        job_id=row["job_id"],
        status=row["status"],
        satellite=row["satellite_id"],
        metric=row["metric"],
        model=row["model"],
        trigger=row["trigger"],
        requested_at=row["requested_at"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        forecast=forecast,
        input=inputs,
        anomaly_score=row["anomaly_score"],
        latency_ms=row["latency_ms"],
        forecast_source=row["forecast_source"],
        error=row["error"],
        updated_at=row["updated_at"],
        links=job_links(row["job_id"]),
    )


def _job_row(db: Any, job_id: str) -> dict[str, Any] | None:
    with db.connection() as conn:
        return fetch_job(conn, job_id)


def _same_request_or_409(row: dict[str, Any], satellite: str, metric: str, model: str) -> None:
    earlier = (row["satellite_id"], row["metric"], row["model"])
    if earlier != (satellite, metric, model):
        raise Problem(
            409,
            f"this Idempotency-Key was used for {'/'.join(earlier)}; use a new key for "
            f"{satellite}/{metric}/{model}",
            "header.Idempotency-Key",
        )


def _accepted(job_id: str, status: str, fields: dict[str, Any], requested_at: datetime) -> Response:
    """The 202: the job as ``SubmitAccepted``, ``Location`` its result."""
    accepted = SubmitAccepted(
        job_id=job_id,
        status=status,
        satellite=fields["satellite_id"],
        metric=fields["metric"],
        model=fields["model"],
        requested_at=requested_at,
        links=job_links(job_id),
    )
    return Response(
        accepted.model_dump_json(),
        202,
        {"Location": RESULT_PATH.format(job_id)},
        media_type="application/json",
    )


def job_links(job_id: str) -> JobLinks:
    return JobLinks(result=RESULT_PATH.format(job_id), logs=LOGS_PATH.format(job_id))
