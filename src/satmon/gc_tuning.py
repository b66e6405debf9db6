"""Garbage-collector settings for the long-running, high-rate processes.

The dispatcher and the function hosts create a few dozen short-lived objects per event
(Kafka messages, header tuples, attribute dicts, parsed JSON) while keeping tens of
thousands alive (buffered envelopes, batches in flight). With CPython's default
thresholds (700, 10, 10) a young-generation collection runs every few events and the
older ones keep re-walking that live set: measured on the dispatcher's decode loop with
20,000 envelopes alive, the first ``headers()`` call of a record cost 3.1-6.5 µs with the
defaults and 1.35 µs with a first threshold of 20,000 (``bench/README.md``).

Reference cycles are rare on these paths (they are freed by reference counting), so
collecting less often costs little memory. ``gc.freeze`` moves everything that exists
at start-up (modules, classes, the app) out of the collector's sight for good.
"""

from __future__ import annotations

import gc
import os

YOUNG_THRESHOLD = 20_000
"""Allocations (minus deallocations) between young-generation collections."""


def tune_for_throughput(young_threshold: int = YOUNG_THRESHOLD) -> None:
    """Freeze what exists now and collect less often; call once, after start-up imports.

    ``SATMON_GC_YOUNG_THRESHOLD`` overrides the first threshold (0 keeps Python's
    defaults altogether)."""
    young = int(os.environ.get("SATMON_GC_YOUNG_THRESHOLD", young_threshold))
    if young <= 0:
        return
    gc.freeze()
    gc.set_threshold(young, 20, 10)
