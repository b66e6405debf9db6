"""The bench's synthetic fleet: its import bodies are the telemetry-writer's."""

from bench.pipeline.data import Fleet, import_lines, kafka_record
from satmon.clients.vm import telemetry_import_body
from satmon.contract.events import from_kafka, parse_telemetry


def test_import_lines_match_what_the_writer_imports_for_the_same_events():
    fleet = Fleet("BENCH-T", satellites=3, per_sat=4, start_ms=1_760_000_000_000)
    samples = fleet.samples()
    parsed = []
    for sample in samples:
        key, value, headers = kafka_record(sample)
        event = from_kafka("satellite-telemetry", key, value, headers)
        parsed.append(parse_telemetry(event.get_data()))
    assert import_lines(samples) == telemetry_import_body(parsed)
    assert import_lines(samples).count(b"\n") == 3 * 7  # one line per satellite × metric
