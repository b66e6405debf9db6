"""Alarm benchmark (issue 11): ``python -m bench alarms``.

1. **latency** — telemetry at a steady rate (default 1,000 events/s, 100 nominal
   satellites) through the alarm path (dispatcher → alarm-evaluator → PostgreSQL), with
   probe satellites whose one sample is beyond its red limit; for each probe, the time
   from producing that sample until its alarm first shows in the running API's
   ``GET /api/v1/alarms`` (polled every 20 ms), and the CPU the evaluator and its
   dispatcher used meanwhile (cores);
2. **throughput** — the same simulator telemetry (100 satellites × 1,000 s, its injected
   anomalies) pre-loaded on a fresh topic per run, consumed by the telemetry-writer path
   and by the alarm path, alternating; events/s of each and their ratio.

Modules: :mod:`.data` (fleet, records, the steady producer), :mod:`.runs` (the runs),
:mod:`.cli` (options, processes, the table).
"""
