"""The ``limit_versions`` table (migration 010): every version of every stored limit set,
its writes and reads, and the book of limits in force that the evaluator judges by.

What is in force for a series (satellite, metric): the satellite's own set if it has
one, else the metric's fleet-wide stored set, else the contract default
(``satmon.contract.limits.default_limits``). A version with ``inherit`` withdraws a set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from satmon.contract.events import METRICS
from satmon.contract.limits import LIMIT_FIELDS, LimitSet, default_limits

VALUE_COLUMNS = (*LIMIT_FIELDS, "persistence", "deadband")
COLUMNS = ("id", "metric", "satellite_id", "version", "inherit", *VALUE_COLUMNS,
           "changed_by", "changed_at", "comment")  # fmt: skip
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM limit_versions"
_IN_FORCE = (
    f"SELECT DISTINCT ON (metric, coalesce(satellite_id, '')) {', '.join(COLUMNS)}"
    " FROM limit_versions ORDER BY metric, coalesce(satellite_id, ''), version DESC"
)
_INSERT = (
    "INSERT INTO limit_versions (metric, satellite_id, version, inherit,"
    f" {', '.join(VALUE_COLUMNS)}, changed_by, comment)"
    " SELECT %(metric)s, %(satellite_id)s, coalesce(max(version), 0) + 1, %(inherit)s,"
    + "".join(f" %({c})s," for c in VALUE_COLUMNS)
    + " %(changed_by)s, %(comment)s FROM limit_versions"
    " WHERE metric = %(metric)s AND satellite_id IS NOT DISTINCT FROM %(satellite_id)s"
    f" RETURNING {', '.join(COLUMNS)}"
)
_LOCK_KEY = "SELECT pg_advisory_xact_lock(hashtextextended('limits/' || %s || '/' || %s, 0))"


@dataclass(frozen=True)
class Version:
    """One stored version; ``limits`` is None when it withdraws the set (inherit)."""

    id: int
    metric: str
    satellite_id: str | None
    version: int
    limits: LimitSet | None
    changed_by: str
    changed_at: datetime
    comment: str | None


@dataclass
class LimitBook:
    """The limits in force: fleet-wide per metric and per-satellite overrides."""

    revision: int = 0  # the newest limit_versions.id it holds (0: defaults only)
    fleet: dict[str, Version] = field(default_factory=dict)
    satellites: dict[tuple[str, str], Version] = field(default_factory=dict)
    _rules: dict[str, tuple[Rule | None, ...]] = field(default_factory=dict, repr=False)
    _bands: dict[str, tuple[tuple[int, float, float], ...]] = field(
        default_factory=dict, repr=False
    )

    def rules(self, satellite_id: str) -> tuple[Rule | None, ...]:
        """Per metric, in ``METRICS`` order, the rule in force for this satellite (None:
        nothing checked); remembered per satellite, as the evaluator asks every batch."""
        found = self._rules.get(satellite_id)
        if found is None:
            found = tuple(_rule(self.for_series(satellite_id, m)) for m in METRICS)
            self._rules[satellite_id] = found
        return found

    def bands(self, satellite_id: str) -> tuple[tuple[int, float, float], ...]:
        """(metric index, low, high) of the quiet band of every metric checked for this
        satellite: values inside all of them can change no series at rest."""
        found = self._bands.get(satellite_id)
        if found is None:
            rules = self.rules(satellite_id)
            found = tuple((i, r.low, r.high) for i, r in enumerate(rules) if r is not None)
            self._bands[satellite_id] = found
        return found

    def for_series(self, satellite_id: str, metric: str) -> LimitSet:
        own = self.satellites.get((metric, satellite_id))
        if own is not None and own.limits is not None:
            return own.limits
        fleet = self.fleet.get(metric)
        if fleet is not None and fleet.limits is not None:
            return fleet.limits
        return default_limits(metric)

    def source(self, metric: str, satellite_id: str | None = None) -> Version | None:
        """The stored version in force for a series, or None (the contract default)."""
        if satellite_id is not None:
            own = self.satellites.get((metric, satellite_id))
            if own is not None and own.limits is not None:
                return own
        fleet = self.fleet.get(metric)
        return fleet if fleet is not None and fleet.limits is not None else None

    def overridden(self) -> list[Version]:
        """The per-satellite sets in force (withdrawn ones left out), by metric, satellite."""
        live = [v for v in self.satellites.values() if v.limits is not None]
        return sorted(live, key=lambda v: (v.metric, v.satellite_id or ""))


@dataclass(frozen=True, slots=True)
class Rule:
    """A limit set with its quiet band: a value inside [low, high] is within every limit."""

    limits: LimitSet
    low: float
    high: float


def _rule(limits: LimitSet) -> Rule | None:
    return Rule(limits, *limits.quiet_band()) if limits.checked else None


def load_book(conn: Any) -> LimitBook:
    """Every set in force, in one query."""
    book = LimitBook()
    for row in conn.execute(_IN_FORCE).fetchall():
        version = _version(row)
        book.revision = max(book.revision, version.id)
        if version.satellite_id is None:
            book.fleet[version.metric] = version
        else:
            book.satellites[(version.metric, version.satellite_id)] = version
    return book


def revision(conn: Any) -> int:
    """The newest version's id: a book with this revision is still current."""
    row = conn.execute("SELECT coalesce(max(id), 0) FROM limit_versions").fetchone()
    return int(row[0]) if row else 0


def store_version(
    conn: Any,
    metric: str,
    satellite_id: str | None,
    limits: LimitSet | None,
    changed_by: str,
    comment: str | None,
) -> Version:
    """Add the next version of (metric, satellite); ``limits`` None withdraws the set.

    Runs in its own transaction; concurrent writers of one key are serialised.
    """
    if metric not in METRICS:
        raise KeyError(metric)
    values: Mapping[str, Any] = (
        limits.to_dict()
        if limits is not None
        else {**dict.fromkeys(LIMIT_FIELDS), "persistence": 1, "deadband": 0.0}
    )
    params = {"metric": metric, "satellite_id": satellite_id, "inherit": limits is None,
              "changed_by": changed_by, "comment": comment, **values}  # fmt: skip
    with conn.transaction():
        conn.execute(_LOCK_KEY, (metric, satellite_id or ""))
        row = conn.execute(_INSERT, params).fetchone()
    return _version(row)


def versions(conn: Any, metric: str, satellite_id: str | None = None) -> list[Version]:
    """Every version of (metric, satellite), newest first."""
    rows = conn.execute(
        _SELECT
        + " WHERE metric = %s AND satellite_id IS NOT DISTINCT FROM %s ORDER BY version DESC",
        (metric, satellite_id),
    ).fetchall()
    return [_version(r) for r in rows]


def _version(row: Any) -> Version:
    record = dict(zip(COLUMNS, row, strict=True))
    limits = None
    if not record["inherit"]:
        limits = LimitSet(**{c: record[c] for c in VALUE_COLUMNS})
    return Version(
        id=record["id"],
        metric=record["metric"],
        satellite_id=record["satellite_id"],
        version=record["version"],
        limits=limits,
        changed_by=record["changed_by"],
        changed_at=record["changed_at"],
        comment=record["comment"],
    )
