"""Pipeline benchmark: ``python bench/pipeline_bench.py --help`` (same as ``satmon bench``).

Kafka → dispatcher → telemetry-writer → VictoriaMetrics against VictoriaMetrics' direct
import ceiling and a naive one-at-a-time consumer, plus latency at 1,000 events/s.
The logic lives in :mod:`satmon.eventing.bench`; results land in ``bench/results/``.
"""

from satmon.eventing.bench import bench_app

if __name__ == "__main__":
    bench_app(prog_name="pipeline_bench")
