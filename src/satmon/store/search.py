"""The ``search_documents`` table (migration 004): full-text search over forecasts and
failures, and over every table that joins it (alarms, dead letters) with a trigger
calling ``search_document_put``. Ranked by ``ts_rank_cd``, highlighted by ``ts_headline``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MARK_START = "\ue000"
MARK_STOP = "\ue001"
"""Private-use characters around each hit in a snippet: the API escapes the text, then
turns them into <mark>…</mark>, so stored text can never become markup."""

_MATCHES = (
    " FROM search_documents d, websearch_to_tsquery('english', %(q)s) AS q(query)"
    " WHERE d.document @@ q.query"
    " AND (%(kinds)s::text[] IS NULL OR d.kind = ANY(%(kinds)s::text[]))"
    " AND (%(satellite)s::text IS NULL OR d.satellite_id = %(satellite)s)"
    " AND (%(start)s::timestamptz IS NULL OR d.happened_at >= %(start)s)"
    " AND (%(end)s::timestamptz IS NULL OR d.happened_at < %(end)s)"
)
SEARCH = (
    "SELECT d.source, d.ref, d.kind, d.title, d.satellite_id, d.happened_at,"
    " ts_rank_cd(d.document, q.query) AS rank,"
    " ts_headline('english', d.title || '. ' || d.body, q.query,"
    f" 'StartSel={MARK_START}, StopSel={MARK_STOP}, MaxFragments=2, MaxWords=24, MinWords=8')"
    + _MATCHES
    + " ORDER BY rank DESC, d.happened_at DESC, d.source, d.ref"
    " LIMIT %(limit)s OFFSET %(offset)s"
)
COUNT = "SELECT count(*) FROM (SELECT 1" + _MATCHES + " LIMIT %(cap)s) AS hits"
COUNT_CAP = 10_000


def search(
    conn: Any,
    q: str,
    kinds: Sequence[str] | None,
    satellite: str | None,
    start: Any,
    end: Any,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Any, ...]], int]:
    """(rows, matches up to ``COUNT_CAP``); rows are (source, ref, kind, title,
    satellite_id, happened_at, rank, snippet), best first."""
    params = {
        "q": q,
        "kinds": list(kinds) if kinds else None,
        "satellite": satellite,
        "start": start,
        "end": end,
        "limit": limit,
        "offset": offset,
        "cap": COUNT_CAP,
    }
    rows = list(conn.execute(SEARCH, params).fetchall())
    total = conn.execute(COUNT, params).fetchone()
    return rows, int(total[0]) if total else 0
