"""The alarm-evaluator's own state (migration 011): ``alarm_series_state`` (series not at
rest) and ``alarm_satellites`` (per satellite the newest sample judged and its cadence).

A batch locks its satellites first (transaction-scoped advisory locks, in satellite
order), reads their state, and writes what changed in the same transaction as the
alarms and steps it produced. So a batch is applied once: a redelivered one finds
its samples at or before ``last_ms`` and judges nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from satmon.store.alarms import Key


@dataclass(slots=True)
class SeriesState:
    """Where one series stands: the alarm level it holds (0 at rest, 1 warning, 2
    critical), its streaks of samples beyond yellow / red, and for an anomaly series the
    end (ms) of the newest forecast window judged."""

    level: int = 0
    streak_warning: int = 0
    streak_critical: int = 0
    last_ms: int | None = None

    @property
    def at_rest(self) -> bool:
        return self.level == 0 and self.streak_warning == 0 and self.streak_critical == 0


@dataclass(slots=True)
class Seen:
    """A satellite's newest judged sample (its own time, ms) and its sample spacing (s)."""

    last_ms: int
    cadence_s: float | None


_LOCK = (
    "SELECT pg_advisory_xact_lock(hashtextextended('alarms/' || s, 0))"
    " FROM unnest(string_to_array(%s, ',')) WITH ORDINALITY AS t(s, n) ORDER BY n"
)
# Satellite ids (SATELLITE_ID_PATTERN: no commas) travel as one comma-joined text: psycopg
# adapts a str in C, a list of them element by element in Python (~0.1 ms per list).


def lock_satellites(conn: Any, satellites: Iterable[str]) -> list[str]:
    """Lock the satellites for this transaction, always in the same (sorted) order."""
    ordered = sorted(set(satellites))
    if ordered:
        conn.execute(_LOCK, (",".join(ordered),))
    return ordered


def read(conn: Any, satellites: list[str]) -> tuple[dict[str, Seen], dict[Key, SeriesState]]:
    """The satellites' watermarks and the state of their series that are not at rest."""
    seen = {
        row[0]: Seen(int(row[1]), row[2])
        for row in conn.execute(
            "SELECT satellite_id, last_ms, cadence_s FROM alarm_satellites"
            " WHERE satellite_id = ANY(string_to_array(%s, ','))",
            (",".join(satellites),),
        ).fetchall()
    }
    states = {
        (row[0], row[1], row[2]): SeriesState(row[3], row[4], row[5], row[6])
        for row in conn.execute(
            "SELECT satellite_id, kind, metric, level, streak_warning, streak_critical, last_ms"
            " FROM alarm_series_state WHERE satellite_id = ANY(string_to_array(%s, ','))",
            (",".join(satellites),),
        ).fetchall()
    }
    return seen, states


_READ_BATCH = (
    "SELECT satellite_id, NULL, NULL, last_ms, cadence_s, NULL::smallint, NULL::int, NULL::int"
    " FROM alarm_satellites WHERE satellite_id = ANY(string_to_array(%(s)s, ','))"
    " UNION ALL SELECT satellite_id, kind, metric, last_ms, NULL, level, streak_warning,"
    " streak_critical FROM alarm_series_state"
    " WHERE satellite_id = ANY(string_to_array(%(s)s, ','))"
    " UNION ALL SELECT NULL, NULL, NULL, coalesce(max(id), 0), NULL, NULL, NULL, NULL"
    " FROM limit_versions"
)


def read_batch(
    conn: Any, satellites: list[str]
) -> tuple[dict[str, Seen], dict[Key, SeriesState], int]:
    """What a telemetry batch needs, in one statement: the satellites' watermarks, the
    state of their series not at rest, and the limits' revision (``limits.revision``)."""
    seen: dict[str, Seen] = {}
    states: dict[Key, SeriesState] = {}
    revision = 0
    for sat, kind, metric, last_ms, cadence_s, level, warning, critical in conn.execute(
        _READ_BATCH, {"s": ",".join(satellites)}
    ).fetchall():
        if sat is None:
            revision = int(last_ms)
        elif kind is None:
            seen[sat] = Seen(int(last_ms), cadence_s)
        else:
            states[(sat, kind, metric)] = SeriesState(level, warning, critical, last_ms)
    return seen, states, revision


def write(
    conn: Any,
    states: Mapping[Key, SeriesState | None],
    seen: Mapping[str, Seen],
) -> None:
    """Upsert changed series states (None: the series is back at rest, drop its row) and
    the satellites' watermarks."""
    keep = [(k, s) for k, s in states.items() if s is not None]
    drop = [k for k, s in states.items() if s is None]
    if keep:
        conn.execute(
            "INSERT INTO alarm_series_state"
            " (satellite_id, kind, metric, level, streak_warning, streak_critical, last_ms)"
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::smallint[],"
            " %s::int[], %s::int[], %s::bigint[])"
            " ON CONFLICT (satellite_id, kind, metric) DO UPDATE SET level = EXCLUDED.level,"
            " streak_warning = EXCLUDED.streak_warning,"
            " streak_critical = EXCLUDED.streak_critical, last_ms = EXCLUDED.last_ms",
            (
                [k[0] for k, _ in keep],
                [k[1] for k, _ in keep],
                [k[2] for k, _ in keep],
                [s.level for _, s in keep],
                [s.streak_warning for _, s in keep],
                [s.streak_critical for _, s in keep],
                [s.last_ms for _, s in keep],
            ),
        )
    if drop:
        conn.execute(
            "DELETE FROM alarm_series_state WHERE (satellite_id, kind, metric) IN"
            " (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]))",
            ([k[0] for k in drop], [k[1] for k in drop], [k[2] for k in drop]),
        )
    if seen:
        names = sorted(seen)
        conn.execute(
            "INSERT INTO alarm_satellites (satellite_id, last_ms, cadence_s)"
            " SELECT * FROM unnest(string_to_array(%s, ','), string_to_array(%s, ',')::bigint[],"
            " string_to_array(%s, ',', '')::float8[])"
            " ON CONFLICT (satellite_id) DO UPDATE SET"
            " last_ms = GREATEST(alarm_satellites.last_ms, EXCLUDED.last_ms),"
            " cadence_s = EXCLUDED.cadence_s, updated_at = now()",
            (
                ",".join(names),
                ",".join(str(seen[n].last_ms) for n in names),
                ",".join(
                    "" if seen[n].cadence_s is None else repr(seen[n].cadence_s) for n in names
                ),
            ),
        )


def stale_candidates(
    conn: Any,
    now_ms: int,
    factor: float,
    min_s: float,
    forget_s: float,
    among: list[str] | None = None,
    limit: int = 1000,
) -> list[tuple[str, int, float | None]]:
    """Satellites without a stale alarm whose newest judged sample is older than their
    allowance (``factor`` × cadence, at least ``min_s``) and that the evaluator has not
    heard from for as long either, seen within ``forget_s``: (satellite, last_ms,
    cadence_s). The second condition keeps a backlog being worked off (old samples
    arriving fast) from looking like silence."""
    rows = conn.execute(
        "SELECT s.satellite_id, s.last_ms, s.cadence_s FROM alarm_satellites s,"
        " LATERAL (SELECT GREATEST(%(min)s, %(factor)s * coalesce(s.cadence_s, 1.0)) AS allow) a"
        " WHERE s.last_ms > %(now)s - %(forget)s * 1000"
        " AND s.last_ms < %(now)s - 1000 * a.allow"
        " AND s.updated_at < to_timestamp(%(now)s / 1000.0) - make_interval(secs => a.allow)"
        " AND (%(among)s::text[] IS NULL OR s.satellite_id = ANY(%(among)s::text[]))"
        " AND NOT EXISTS (SELECT 1 FROM alarm_series_state t WHERE t.satellite_id = s.satellite_id"
        " AND t.kind = 'stale' AND t.metric = '')"
        " ORDER BY s.satellite_id LIMIT %(limit)s",
        {
            "now": now_ms,
            "forget": forget_s,
            "min": min_s,
            "factor": factor,
            "among": among,
            "limit": limit,
        },
    ).fetchall()
    return [(r[0], int(r[1]), r[2]) for r in rows]
