"""``python -m bench [NAME [OPTIONS...]]``: run one benchmark, or every default one.

A benchmark is a row of :data:`BENCHMARKS`: its name, the module whose ``main()`` runs
it (options come from ``sys.argv``), whether a bare ``python -m bench`` (``make bench``)
runs it, and what it measures. Add a benchmark by adding its row.
"""

from __future__ import annotations

import importlib
import sys
from typing import NamedTuple


class Benchmark(NamedTuple):
    module: str
    default: bool
    what: str


BENCHMARKS: dict[str, Benchmark] = {
    "pipeline": Benchmark(
        "bench.pipeline.cli",
        True,
        "Kafka → dispatcher → telemetry-writer → VictoriaMetrics: throughput against "
        "VictoriaMetrics' ceiling and a naive consumer, event → stored latency",
    ),
    "api": Benchmark(
        "bench.api_bench",
        True,
        "operation API: trends/raw and compare against the direct VictoriaMetrics query, CSV "
        "of a week, submit against bare Kafka produce acknowledgements, under 1,000 events/s",
    ),
    "logs": Benchmark(
        "bench.logs_bench",
        False,
        "log record written → searchable in VictoriaLogs, shipped from its file against "
        "inserted directly, under 1,000 telemetry events/s",
    ),
    "writer-logging": Benchmark(
        "bench.writer_logging_bench",
        False,
        "the telemetry-writer's CPU per event with the stack's logging against logging off",
    ),
    "alarms": Benchmark(
        "bench.alarms.cli",
        True,
        "alarm raised → visible in GET /alarms at 1,000 events/s, and the alarm path's "
        "throughput beside the telemetry-writer path's",
    ),
    "triton": Benchmark(
        "bench.triton_bench", False, "Triton vs in-process torch for the forecast models"
    ),
}


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        for name, row in BENCHMARKS.items():
            print(f"  {name:<10} {'(default) ' if row.default else ''}{row.what}")
        return 0
    if argv:
        name, options = argv[0], argv[1:]
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
            return 2
        run(name, options)
        return 0
    for name, row in BENCHMARKS.items():
        if row.default:
            run(name, [])
    return 0


def run(name: str, options: list[str]) -> None:
    """Import the benchmark's module and call its ``main()`` with ``options`` as argv."""
    sys.argv = [f"python -m bench {name}", *options]
    module = importlib.import_module(BENCHMARKS[name].module)
    try:
        module.main()
    except SystemExit as exc:  # argparse / typer exit when done; only a failure stops the rest
        if exc.code not in (None, 0):
            raise


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
