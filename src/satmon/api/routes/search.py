"""``/search``: PostgreSQL full-text search over forecasts and failures (and every table
that joins ``search_documents``: alarms, dead letters), ranked, paged, highlighted."""

from __future__ import annotations

import html
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from satmon.api.deps import DatabaseDep, OptionalRange, read_access
from satmon.api.schemas.search import SearchHit, SearchResults
from satmon.contract.events import SATELLITE_ID_PATTERN
from satmon.store.search import MARK_START, MARK_STOP, search

router = APIRouter(prefix="/search", tags=["search"], dependencies=[Depends(read_access)])
QUERY_PATTERN = r'^[\w\s\-.:"*@+,]+$'
"""Search words: letters, digits, spaces and - _ . : " * @ + , (web-search syntax:
"a phrase", -excluded, or); nothing else is ever needed to find a word."""
LINKS = {"inference_results": "/api/v1/inference/result/{}", "alarms": "/api/v1/alarms/{}"}


@router.get("/results", summary="Full-text search, ranked and paged, with snippets")
async def results(
    db: DatabaseDep,
    window: OptionalRange,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            pattern=QUERY_PATTERN,
            description='words, "a phrase", -excluded, or (web-search syntax)',
            examples=["battery failed"],
        ),
    ],
    kind: Annotated[
        list[Literal["forecast", "failure", "alarm", "dead_letter"]] | None,
        Query(description="repeat for several; default every kind"),
    ] = None,
    satellite: Annotated[str | None, Query(max_length=64, pattern=SATELLITE_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> SearchResults:
    """The range filters on the time of each thing (a job's completion, an alarm's)."""

    def read() -> tuple[list[tuple[Any, ...]], int]:
        with db.connection() as conn:
            return search(
                conn,
                q,
                kind,
                satellite,
                window.start if window else None,
                window.end if window else None,
                limit,
                offset,
            )

    rows, total = await run_in_threadpool(read)
    items = [
        SearchHit(
            kind=kind_,
            id=ref,
            source=source,
            title=title,
            snippet=highlight(snippet),
            satellite=sat,
            time=moment,
            rank=rank,
            link=LINKS[source].format(ref) if source in LINKS else None,
        )
        for source, ref, kind_, title, sat, moment, rank, snippet in rows
    ]
    return SearchResults(q=q, total=total, offset=offset, limit=limit, items=items)


def highlight(snippet: str) -> str:
    """Escape stored text, then mark the hits: no stored text can become markup."""
    return html.escape(snippet).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
