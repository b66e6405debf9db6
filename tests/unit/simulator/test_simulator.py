"""Simulator: orbit physics, power/thermal dynamics, determinism, anomalies, Kafka records."""

from __future__ import annotations

import json
import math
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import typer
from confluent_kafka import KafkaError, KafkaException
from typer.testing import CliRunner

from satmon.contract.events import (
    METRICS,
    TOPIC_TELEMETRY,
    TYPE_TELEMETRY,
    from_kafka,
    parse_telemetry,
)
from satmon.simulator import (
    AnomalySpec,
    generate,
    parse_duration,
    simulate_arrays,
    simulate_track,
)
from satmon.simulator import cli as sim_cli
from satmon.simulator.anomalies import SCALE
from satmon.simulator.orbit import MU_EARTH, R_EARTH, elements_for, wrap_longitude
from satmon.simulator.power_thermal import relax
from satmon.simulator.producer import TelemetrySender, event_id

START = datetime(2026, 11, 28, tzinfo=UTC)
ORBIT_S = 92.5 * 60


def _track(index: int = 0, orbits: float = 3, step_s: float = 10.0, start: datetime = START):
    return simulate_track(index, int(orbits * ORBIT_S / step_s), step_s, start, seed=1)


# --- orbit --------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 1, 2, 7])
def test_latitude_stays_within_inclination_and_reaches_it(index: int) -> None:
    lat = _track(index, orbits=1.2).metrics["latitude"]
    assert np.abs(lat).max() <= 51.6
    assert lat.max() > 51.5
    assert lat.min() < -51.5


def test_longitude_wraps_only_at_the_antimeridian() -> None:
    lon = _track(0, orbits=6).metrics["longitude"]
    assert lon.min() >= -180.0
    assert lon.max() < 180.0
    steps = np.diff(lon)
    jumps = np.flatnonzero(np.abs(steps) > 180.0)
    # the ground track runs eastwards: every jump goes from near +180 to near -180
    assert np.all(lon[jumps] > 175.0)
    assert np.all(lon[jumps + 1] < -175.0)
    assert 5 <= len(jumps) <= 7  # about one crossing per orbit
    smooth = np.delete(steps, jumps)
    assert np.all(smooth > 0.0)  # prograde orbit: always moving east at 10 s steps
    assert np.abs(smooth).max() < 2.0


def test_wrap_longitude_edges() -> None:
    wrapped = wrap_longitude(np.array([180.0, 359.5, -180.0, 179.99, -540.0, -1e-17]))
    assert wrapped.tolist()[:5] == [-180.0, -0.5, -180.0, pytest.approx(179.99), -180.0]
    assert -180.0 <= wrapped[5] < 180.0


def test_orbital_period_is_about_92_minutes() -> None:
    lat = _track(1, orbits=5, step_s=5.0).metrics["latitude"]
    ascending = np.flatnonzero((lat[:-1] < 0) & (lat[1:] >= 0))
    periods_min = np.diff(ascending) * 5.0 / 60.0
    assert len(periods_min) >= 4
    assert np.all((periods_min > 91.5) & (periods_min < 93.5))
    assert np.mean(periods_min) == pytest.approx(elements_for(1).period_s / 60.0, rel=0.005)


def test_altitude_and_velocity_ranges_and_vis_viva() -> None:
    for index in range(3):
        track = _track(index, orbits=2, step_s=5.0)
        alt, vel = track.metrics["altitude"], track.metrics["velocity"]
        assert alt.min() > 405.0 and alt.max() < 445.0
        assert alt.max() - alt.min() > 3.0  # eccentric: altitude varies over the orbit
        assert vel.min() > 7.62 and vel.max() < 7.70
        a_km = elements_for(index).a_km
        r_km = R_EARTH + alt
        expected = np.sqrt(MU_EARTH * (2.0 / r_km - 1.0 / a_km))
        assert np.abs(vel - expected).max() < 0.003  # noise σ = 0.0004 km/s
        # lower means faster
        assert np.corrcoef(alt, vel)[0, 1] < -0.9


# --- eclipse, power and thermal -----------------------------------------------------------


def _segments(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of runs of True that start and end inside ``mask``."""
    edges = np.diff(mask.astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1) + 1, np.flatnonzero(edges == -1) + 1
    return [(s, int(ends[ends > s][0])) for s in starts if (ends > s).any()]


def test_eclipses_have_plausible_length_and_zero_solar_power() -> None:
    track = _track(0, orbits=4, step_s=1.0)
    power = track.metrics["solar_power"]
    assert np.all(power[track.eclipse] == 0.0)
    eclipses = _segments(track.eclipse)
    # in sunlight the arrays deliver; only a few penumbra seconds may read 0 W (noise)
    assert np.count_nonzero(power[~track.eclipse] <= 0.0) <= 5 * 2 * len(eclipses)
    assert np.median(power[~track.eclipse]) > 60.0
    assert len(eclipses) >= 3
    for s, e in eclipses:
        assert 25 * 60 <= e - s <= 37 * 60
    # one eclipse per orbit
    assert np.diff([s for s, _ in eclipses]).mean() == pytest.approx(
        elements_for(0).period_s, rel=0.01
    )


def test_battery_and_temperature_follow_sun_and_shadow() -> None:
    track = _track(2, orbits=4, step_s=1.0)
    battery, temp = track.metrics["battery"], track.metrics["temperature"]
    for s, e in _segments(track.eclipse):
        assert battery[e - 1] < battery[s] - 0.1  # discharging towards 3.0 V
        assert temp[e - 1] < temp[s] - 25.0  # cooling
    for s, e in _segments(~track.eclipse):
        assert battery[e - 1] > battery[s] + 0.1  # charging towards 4.2 V
        assert temp[e - 1] > temp[s] + 25.0  # heating towards +50 °C
    assert temp.max() < 50.0 and temp.min() > -50.0
    assert battery.min() > 3.5 and battery.max() < 4.2
    # first-order dynamics: continuous from one second to the next (noise aside)
    assert np.abs(np.diff(temp)).max() < 1.5
    assert np.abs(np.diff(battery)).max() < 0.04


def test_relax_matches_the_step_by_step_recurrence() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    target = rng.uniform(-40, 40, n)
    rate = rng.uniform(0.0, 0.02, n)
    fast = relax(5.0, target, rate, 3.0)
    x, slow = 5.0, [5.0]
    for k in range(n):
        x = target[k] + (x - target[k]) * math.exp(-rate[k] * 3.0)
        slow.append(x)
    np.testing.assert_allclose(fast, slow, atol=1e-9)


# --- the stream ---------------------------------------------------------------------------


def test_all_values_stay_in_the_contract_ranges_even_with_anomalies() -> None:
    spec = AnomalySpec(rate_per_hour=20.0)
    for index in range(5):
        metrics = simulate_track(
            index, 30 * 24 * 60, 60.0, START, seed=index, anomalies=spec
        ).metrics
        for name, (_, low, high) in METRICS.items():
            assert low <= metrics[name].min() and metrics[name].max() <= high, name
        assert np.abs(metrics["latitude"]).max() <= 51.6
        assert metrics["longitude"].max() < 180.0


def test_generate_interleaves_satellites_on_an_exact_schedule() -> None:
    samples = list(generate(satellites=3, rate_hz=2.0, start=START, duration_s=60))
    assert len(samples) == 3 * 2 * 60
    assert [s.satellite_id for s in samples[:6]] == ["SAT-001", "SAT-002", "SAT-003"] * 2
    assert samples[-1].timestamp == START + timedelta(seconds=59.5)
    assert samples[3].timestamp == START + timedelta(seconds=0.5)
    assert len(list(generate(satellites=3, start=START, count=10))) == 10
    for s in samples:
        for name, (_, low, high) in METRICS.items():
            assert low <= getattr(s, name) <= high
        assert -180.0 <= s.longitude < 180.0


def test_same_seed_same_stream_different_seed_different_stream() -> None:
    first = list(generate(satellites=3, start=START, count=600, seed=3))
    again = list(generate(satellites=3, start=START, count=600, seed=3))
    other = list(generate(satellites=3, start=START, count=600, seed=4))
    assert first == again
    assert [s.temperature for s in first] != [s.temperature for s in other]
    # orbits belong to the satellite, not the seed: same ground track
    assert [s.latitude for s in first] == [s.latitude for s in other]


def test_generate_matches_simulate_arrays_whatever_the_block_size() -> None:
    n = 1500  # more than one generator block
    samples = [
        s for s in generate(3, 1.0, START, count=3 * n, seed=9) if s.satellite_id == "SAT-002"
    ]
    arrays = simulate_arrays(1, n, 1.0, START, seed=9)
    for name in ("temperature", "battery", "altitude", "solar_power", "latitude"):
        np.testing.assert_allclose([getattr(s, name) for s in samples], arrays[name], atol=0.006)


# --- anomalies ----------------------------------------------------------------------------


def test_anomalies_change_the_data_exactly_inside_their_labelled_windows() -> None:
    labels: list[Any] = []
    spec = AnomalySpec(rate_per_hour=6.0)
    kw: dict[str, Any] = {"satellites": 3, "start": START, "duration_s": 3 * 3600, "seed": 11}
    faulty = list(generate(**kw, anomalies=spec, on_label=labels.append))
    clean = list(generate(**kw))
    records = [a.label() for a in labels]
    assert len(records) >= 20
    assert {r["kind"] for r in records} == {"spike", "drift", "stuck"}

    by_key: dict[tuple[str, str], list[tuple[float, float, Any]]] = {}
    for a in labels:
        by_key.setdefault((a.satellite_id, a.metric), []).append((a.start, a.end, a))
    hits: dict[int, list[tuple[float, float]]] = {id(a): [] for a in labels}
    for bad, good in zip(faulty, clean, strict=True):
        t = bad.timestamp.timestamp()
        for name in SCALE:
            diff = getattr(bad, name) - getattr(good, name)
            windows = [a for s, e, a in by_key.get((bad.satellite_id, name), []) if s <= t < e]
            if not windows:
                assert diff == 0.0, (bad.satellite_id, name, bad.timestamp)
            else:
                hits[id(windows[0])].append((getattr(bad, name), diff))
                if windows[0].kind == "spike":
                    assert abs(diff) >= 0.5 * SCALE[name]
    for a in labels:
        seen = hits[id(a)]
        if a.end <= kw["start"].timestamp() + kw["duration_s"]:
            assert seen, a.label()
        if a.kind == "stuck":
            assert len({value for value, _ in seen}) == 1  # the sensor repeats one reading
        if a.kind == "drift" and len(seen) > 60:  # grows from 0 to the labelled offset
            assert abs(seen[0][1]) < 0.05 * SCALE[a.metric]
            assert abs(seen[-1][1]) > 0.1 * SCALE[a.metric]
            assert np.sign(seen[-1][1]) == np.sign(a.label()["magnitude"])


def test_anomaly_spec_parse() -> None:
    assert AnomalySpec.parse(None) is None
    assert AnomalySpec.parse("none") is None
    assert AnomalySpec.parse("0") is None
    assert AnomalySpec.parse("3") == AnomalySpec(rate_per_hour=3.0)
    assert AnomalySpec.parse("spike,stuck") == AnomalySpec(kinds=("spike", "stuck"))
    assert AnomalySpec.parse("drift@0.5") == AnomalySpec(rate_per_hour=0.5, kinds=("drift",))
    with pytest.raises(ValueError, match="anomaly kinds"):
        AnomalySpec.parse("wobble")
    with pytest.raises(ValueError, match="rate must be > 0"):
        AnomalySpec.parse("spike@-1")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("60s", 60),
        ("5m", 300),
        ("2h", 7200),
        ("1d", 86400),
        ("1h30m", 5400),
        ("250ms", 0.25),
        ("90", 90),
        ("1.5h", 5400),
        ("10 min", 600),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "5x", "m", "1h30", "-5s"])
def test_parse_duration_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


# --- Kafka records and the CLI ------------------------------------------------------------


class FakeProducer:
    """Stands in for confluent_kafka.Producer: keeps records, acknowledges on poll/flush."""

    def __init__(self, fail: bool = False) -> None:
        self.records: list[dict[str, Any]] = []
        self.pending: list[Any] = []
        self.fail = fail

    def produce(self, topic: str, **kw: Any) -> None:
        self.records.append({"topic": topic, "wall": time.time(), **kw})
        self.pending.append(kw["on_delivery"])

    def poll(self, timeout: float = 0) -> int:
        done, self.pending = self.pending, []
        for callback in done:
            err = KafkaError(KafkaError._MSG_TIMED_OUT) if self.fail else None
            callback(err, None)
        return len(done)

    def flush(self, timeout: float = 0) -> int:
        self.poll()
        return 0

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> Any:
        return SimpleNamespace(topics={TOPIC_TELEMETRY: None})


def test_every_record_is_a_valid_cloudevent_with_a_deterministic_id() -> None:
    sender = TelemetrySender(FakeProducer())
    samples = list(generate(3, 1.0, START, count=30, seed=2))
    for sample in samples:
        sender.send(sample)
    sender.close()
    assert sender.ok and sender.delivered == 30
    records = sender.producer.records
    for sample, record in zip(samples, records, strict=True):
        assert record["topic"] == TOPIC_TELEMETRY
        assert record["key"] == sample.satellite_id.encode()
        event = from_kafka(TOPIC_TELEMETRY, record["key"], record["value"], record["headers"])
        assert event["type"] == TYPE_TELEMETRY
        assert event["source"] == f"/satellites/{sample.satellite_id}"
        assert event["id"] == event_id(sample)
        assert event["id"] == str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"{sample.satellite_id}/{sample.timestamp_ms}")
        )
        assert parse_telemetry(event.data) == sample
    assert len({r["value"] for r in records}) == 30


@pytest.fixture
def cli_app(monkeypatch: pytest.MonkeyPatch) -> tuple[typer.Typer, list[FakeProducer]]:
    made: list[FakeProducer] = []
    fail = {"on": False}

    def fake_sender(bootstrap: str | None = None, topic: str = TOPIC_TELEMETRY) -> TelemetrySender:
        made.append(FakeProducer(fail=fail["on"]))
        return TelemetrySender(made[-1], topic, bootstrap or "fake:9092")

    monkeypatch.setattr(sim_cli, "make_sender", fake_sender)
    app = typer.Typer()
    app.command()(sim_cli.simulate)
    app.fail = fail  # type: ignore[attr-defined]
    return app, made


def _values(producer: FakeProducer) -> list[dict[str, Any]]:
    return [json.loads(r["value"]) for r in producer.records]


def test_cli_duration_gives_exactly_n_times_rate_times_seconds(cli_app: Any) -> None:
    app, made = cli_app
    args = ["-n", "3", "-r", "2", "--duration", "5s", "--start", "2026-11-28T00:00:00Z"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    values = _values(made[-1])
    assert len(values) == 3 * 2 * 5
    assert values[-1]["timestamp"] == "2026-11-28T00:00:04.500Z"
    assert [r["key"] for r in made[-1].records[:3]] == [b"SAT-001", b"SAT-002", b"SAT-003"]


def test_cli_live_run_is_paced_to_the_wall_clock(cli_app: Any) -> None:
    app, made = cli_app
    result = CliRunner().invoke(app, ["-n", "2", "--duration", "2s"])
    assert result.exit_code == 0, result.output
    records = made[-1].records
    assert len(records) == 4
    for record in records:
        stamp = datetime.fromisoformat(json.loads(record["value"])["timestamp"]).timestamp()
        assert record["wall"] >= stamp - 0.01  # never sent before its tick


def test_cli_backfill_then_stops_and_writes_labels(cli_app: Any, tmp_path: Path) -> None:
    app, made = cli_app
    labels = tmp_path / "labels.jsonl"
    args = ["-n", "2", "--backfill", "2h", "--anomalies", "spike,stuck@4", "--labels", str(labels)]
    before = time.time()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    values = _values(made[-1])
    assert len(values) == 2 * 7200
    last = datetime.fromisoformat(values[-1]["timestamp"]).timestamp()
    assert before - 2.0 <= last <= before
    rows = [json.loads(line) for line in labels.read_text().splitlines()]
    assert len(rows) >= 4
    assert {r["kind"] for r in rows} <= {"spike", "stuck"}
    assert set(rows[0]) >= {"satellite_id", "metric", "kind", "start", "end"}


def test_cli_count_stops_after_that_many_events(cli_app: Any) -> None:
    app, made = cli_app
    result = CliRunner().invoke(app, ["-n", "3", "--count", "7", "--start", "2026-01-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert len(made[-1].records) == 7


def test_cli_exits_non_zero_when_a_delivery_fails(cli_app: Any) -> None:
    app, _ = cli_app
    app.fail["on"] = True
    result = CliRunner().invoke(app, ["--count", "6", "--start", "2026-11-28T00:00:00Z"])
    assert result.exit_code == 1
    assert "delivery error" in result.output
    assert "0 events delivered" in result.output


def test_cli_exits_non_zero_when_kafka_is_unreachable(
    cli_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = cli_app

    def unreachable(self: FakeProducer, topic: str | None = None, timeout: float = -1) -> Any:
        raise KafkaException(KafkaError(KafkaError._TRANSPORT))

    monkeypatch.setattr(FakeProducer, "list_topics", unreachable)
    result = CliRunner().invoke(app, ["--count", "3"])
    assert result.exit_code == 1
    assert "not reachable" in result.output


def test_cli_refuses_a_bad_duration(cli_app: Any) -> None:
    app, _ = cli_app
    result = CliRunner().invoke(app, ["--duration", "soon"])
    assert result.exit_code == 2
    assert "not a duration" in result.output
