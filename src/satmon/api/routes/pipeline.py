"""``/pipeline``: what Kafka UI and Flower showed — per topic the rate in, per
subscription its consumer lag, the dead letters with their reasons and bodies, each
function's health and error rate, and Triton's models with their latency."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from satmon.api.deps import PipelineDep, read_access
from satmon.api.pipeline import (
    DLQ_SUFFIX,
    dead_letter,
    dead_lettered_by,
    function_name,
    now_ms,
    reason_counts,
)
from satmon.api.schemas.pipeline import DeadLetters, Functions, Models, SubscriptionLag, Topics

router = APIRouter(prefix="/pipeline", tags=["pipeline"], dependencies=[Depends(read_access)])
Window = Annotated[
    float, Query(ge=5, le=86_400, description="seconds the rates and error rates cover")
]


@router.get("/topics", summary="Per topic: partitions, retained messages, rate in")
async def topics(sources: PipelineDep, window_s: Window = 60) -> Topics:
    def read() -> list[Any]:
        names = sources.kafka.topic_names()
        return sources.kafka.flows(names, window_s)

    flows = await run_in_threadpool(read)
    return Topics(
        window_s=window_s,
        topics=[
            {
                "topic": f.topic,
                "partitions": f.partitions,
                "retained": f.retained,
                "end_offset": f.end_offset,
                "arrived": f.arrived,
                "rate_per_s": f.arrived / window_s,
                "dead_letter_topic": f.topic.endswith(DLQ_SUFFIX),
            }
            for f in flows
        ],
    )


@router.get("/subscriptions", summary="Per subscription: its consumer group's lag")
async def subscriptions(sources: PipelineDep) -> list[SubscriptionLag]:
    subs = sources.subscriptions
    pairs = [(s, topic) for s in subs for topic in s.topics]
    lags = await run_in_threadpool(sources.kafka.lags, [(s.group, t) for s, t in pairs])
    return [
        SubscriptionLag(
            name=s.name,
            kind=s.kind,
            group=lag.group,
            topic=lag.topic,
            subscriber=function_name(s),
            committed=lag.committed,
            end_offset=lag.end_offset,
            lag=lag.lag,
        )
        for (s, _), lag in zip(pairs, lags, strict=True)
    ]


@router.get("/dead-letters", summary="Dead letters: counts, reasons and the newest bodies")
async def dead_letters(
    sources: PipelineDep,
    newest: Annotated[int, Query(ge=1, le=1000, description="records read per DLQ topic")] = 100,
    limit: Annotated[int, Query(ge=0, le=500, description="dead letters in `recent`")] = 50,
) -> DeadLetters:
    """Read from the ``<topic>.dlq`` topics themselves: each record keeps the original
    event and gains the reason, the subscriber's last answer and the attempts."""

    def read() -> tuple[dict[str, int], list[dict[str, Any]]]:
        names = [t for t in sources.kafka.topic_names() if t.endswith(DLQ_SUFFIX)]
        flows = sources.kafka.flows(names, 60)
        letters = [dead_letter(r) for r in sources.kafka.tail_many(names, newest)]
        return {f.topic: f.retained for f in flows}, letters

    held, letters = await run_in_threadpool(read)
    letters.sort(key=lambda d: d["dead_lettered_at"], reverse=True)
    return DeadLetters(
        total=sum(held.values()),
        by_topic=held,
        scanned=len(letters),
        reasons=reason_counts(letters),
        recent=letters[:limit],
    )


@router.get("/functions", summary="Per function: health and dead-letter rate in the window")
async def functions(sources: PipelineDep, window_s: Window = 300) -> Functions:
    subs = sources.subscriptions
    since = now_ms() - int(window_s * 1000)

    def read() -> tuple[dict[str, int], list[dict[str, Any]]]:
        names = sources.kafka.topic_names()
        wanted = sorted({t for s in subs for t in s.topics} & set(names))
        arrived = {f.topic: f.arrived for f in sources.kafka.flows(wanted, window_s)}
        dlqs = [t for t in names if t.endswith(DLQ_SUFFIX)]
        letters = [dead_letter(r) for r in sources.kafka.tail_many(dlqs, 1000, since)]
        return arrived, letters

    arrived, letters = await run_in_threadpool(read)
    by_function: dict[str, list[Any]] = {}
    for sub in subs:
        by_function.setdefault(function_name(sub), []).append(sub)
    names = sorted(by_function)
    healths = await sources.healths([by_function[n][0].sink.url for n in names])
    rows = []
    for name, (up, said) in zip(names, healths, strict=True):
        owned = by_function[name]
        came = sum(arrived.get(t, 0) for s in owned for t in s.topics)
        dead = sum(dead_lettered_by(letters, s) for s in owned)
        rows.append(
            {
                "name": name,
                "url": owned[0].sink.url,
                "up": up,
                "health": said,
                "subscriptions": [s.name for s in owned],
                "arrived": came,
                "dead_lettered": dead,
                "error_rate": dead / came if came else None,
            }
        )
    return Functions(window_s=window_s, functions=rows)


@router.get("/models", summary="Triton's models: state, inferences, mean latency")
async def models(sources: PipelineDep) -> Models:
    found = await sources.triton.models()
    return Models(models=[m.__dict__ for m in found])
