"""The drills' summary table, as Markdown (printed, and kept in ``<run_dir>/drills.md``)."""

from __future__ import annotations

from collections.abc import Sequence

from tests.chaos.drills import DrillRow

HEADER = (
    "| drill | produced | stored | lost | duplicated | jobs | completed / failed | stuck |"
    " healthy after s | recovery s | jobs done s |"
)


def table(rows: Sequence[DrillRow]) -> str:
    extra = sorted({k for r in rows for k in r.extra})
    head = HEADER + "".join(f" {k} |" for k in extra)
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        jobs = r.jobs
        cells = [
            r.drill,
            f"{r.produced:,}",
            f"{r.stored:,}",
            f"{r.lost:,}",
            f"{r.duplicated:,}",
            f"{jobs.requested:,}" if jobs else "-",
            f"{jobs.completed:,} / {jobs.failed:,}" if jobs else "-",
            f"{jobs.stuck + jobs.missing:,}" if jobs else "-",
            _seconds(r.healthy_s),
            _seconds(r.recovered_s),
            _seconds(r.jobs_done_s),
            *(str(r.extra.get(k, "-")) for k in extra),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {r.drill}: {n}" for r in rows for n in r.notes]
    return "\n".join(lines + (["", *notes] if notes else [])) + "\n"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
