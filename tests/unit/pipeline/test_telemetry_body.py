"""The compiled batch scan (``telemetry_body``) against the Python path, body by body.

``write_batch_body`` must answer every raw body exactly as parsing it and calling
``write_batch_items`` does: the same samples written (values to the bit), the same
rejections (which the dispatcher dead-letters), and for a body that is not a batch it
can delimit, None with nothing written (the host then parses it and words the error).
"""

import json
import random
import shutil

import orjson
import pytest

from satmon.contract.http import HttpProblem, load_json
from satmon.errors import TransientError
from satmon.pipeline import telemetry_body
from satmon.pipeline.telemetry_writer import write_batch_items
from tests.fakes import FakeVictoriaMetrics
from tests.unit.pipeline.test_telemetry_fast import ATTRS, DATA, _json_safe, variants

compiled = pytest.mark.skipif(not telemetry_body.COMPILED, reason="the C scan is not built")


def test_the_scan_is_built_where_a_c_compiler_is():
    """`make install` builds it; a silent fallback would hide a broken build."""
    if shutil.which("cc") or shutil.which("gcc"):
        assert telemetry_body.COMPILED


def python_answer(body):
    """(items, rejected, samples) by the host's Python path, or the error it meets parsing."""
    try:
        items = load_json(body)
    except HttpProblem:
        return "unparsable"
    if not isinstance(items, list):
        return "not an array"
    vm = RecordingFakeVictoriaMetrics()
    rejected = write_batch_items(vm, items) if items else []
    return len(items), rejected, _samples(vm)


def compiled_answer(body):
    vm = RecordingFakeVictoriaMetrics()
    scanned = telemetry_body.write_batch_body(vm, body)
    if scanned is None:
        assert vm.samples == {}, "nothing may be written when the scan gives up"
        return None
    count, rejected = scanned
    return count, rejected, _samples(vm)


def check(body):
    scanned = compiled_answer(body)
    expected = python_answer(body)
    if scanned is None:
        return None
    assert scanned == expected, body[:300]
    return scanned


def _samples(vm):
    """Every written sample, in any order (the server dedupes a series' repeated timestamp
    by value, not by the order of the lines), with its double's repr (0.0 == -0.0)."""
    return sorted(vm.written)


class RecordingFakeVictoriaMetrics(FakeVictoriaMetrics):
    """The shared fake, also keeping every sample written, repeats included."""

    def __init__(self):
        super().__init__()
        self.written = []

    def import_lines(self, body):
        super().import_lines(body)
        for line in body.decode().splitlines():
            row = json.loads(line)
            name, sat = row["metric"]["__name__"], row["metric"]["satellite_id"]
            for value, ts in zip(row["values"], row["timestamps"], strict=True):
                self.written.append((name, sat, ts, repr(float(value))))


ITEMS = [item for item in variants() if _json_safe(item)]
PLAIN = {**ATTRS, "data": DATA}


@compiled
def test_every_variant_alone_gets_the_python_answer():
    for item in ITEMS:  # ~1,400 events, one field off each (test_telemetry_fast.variants)
        check(json.dumps([item]).encode())


@compiled
def test_plain_contract_events_are_written_by_the_scan_itself():
    minimal = {k: ATTRS[k] for k in ("id", "source", "type", "specversion")}
    _lines, count, rest = telemetry_body._telemetry_scan.scan(
        orjson.dumps([PLAIN, {**minimal, "data": DATA}, {**PLAIN, "extension": "x"}])
    )
    assert (count, [index for index, _, _ in rest]) == (3, [2])


@compiled
def test_mixed_batches_get_the_python_answer_in_every_layout():
    items = list(ITEMS)
    random.Random(5).shuffle(items)
    for start in range(0, len(items), 200):
        chunk = items[start : start + 200]
        for body in (
            json.dumps(chunk, separators=(",", ":")).encode(),
            json.dumps(chunk).encode(),
            json.dumps(chunk, indent=2).encode(),
            json.dumps(chunk, separators=(" ,\t", "\r\n:  ")).encode(),
            json.dumps(chunk, ensure_ascii=False).encode(),
        ):
            answer = check(body)
            if answer is None:  # only where orjson refuses an item (10**400, …)
                with pytest.raises(orjson.JSONDecodeError):
                    orjson.loads(body)
            else:
                assert answer[0] == len(chunk)


@compiled
def test_plain_events_of_many_satellites_are_grouped_as_the_python_path_groups_them():
    rng = random.Random(11)
    items = []
    for n in range(2000):
        sat = f"SAT-{rng.randrange(150):03d}"
        data = {
            **DATA,
            "satellite_id": sat,
            "timestamp": f"2026-11-28T10:{n // 60:02d}:{n % 60:02d}.{rng.randrange(1000):03d}Z",
            "temperature": round(rng.uniform(-50, 50), rng.randrange(6)),
            "altitude": rng.uniform(400, 450),
            "solar_power": rng.choice([0, -0.0, 100, rng.random() * 1e-9, 12.5]),
            "longitude": rng.choice([-180, 180.0, rng.uniform(-180, 180)]),
        }
        items.append({**ATTRS, "id": f"e-{n}", "source": f"/satellites/{sat}", "data": data})
    count, rejected, samples = check(orjson.dumps(items))
    assert (count, rejected) == (2000, []) and len(samples) == 2000 * 7


@compiled
def test_numbers_as_producers_write_them_are_the_values_python_reads():
    literals = ["12", "-3", "0", "0.0", "-0.0", "12.30", "1.000000000000001", "99999999999999.9"]
    literals += ["0.1", "7.66", "123456789012345", "1234567890123456", "1e2", "1E-2", "-0"]
    literals += ["4.2e0", "3.", ".5", "01", "+1", "0x10", "NaN", "Infinity"]
    plain = orjson.dumps([PLAIN]).decode()
    for literal in literals:
        text = plain.replace('"temperature":12.3', f'"temperature":{literal}')
        assert text != plain or literal == "12.3"
        check(text.encode())


@compiled
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b" ",
        b"[",
        b"]",
        b"{}",
        b'"x"',
        b"null",
        b"[]",
        b" [ ] ",
        b"[,]",
        b"[1,]",
        b"[1 2]",
        b"[[1],[2]",
        b"[]]",
        b"[] x",
        b"[{}]",
        b'[null, 1, "a", [], {}]',
        b'[{"id": "a\\u0000"}]',
        b'[{"id": "\xff"}]',
        b'[{"id": "\xc3\xa9"}]',
        b'[{"id": "\\"}]',
        b'[{"id": "a\\"b"}]',
        b'[{"id": "tab\there"}]',
        b"[NaN]",
        b"[1e400]",
    ],
)
def test_malformed_or_odd_bodies_get_the_python_answer_or_are_left_to_it(body):
    check(body)
    plain = orjson.dumps([PLAIN])
    check(plain[:-1] + b"," + body + b"]")


@compiled
def test_every_cut_of_a_batch_is_answered_as_python_answers_it():
    body = orjson.dumps([PLAIN, {**PLAIN, "id": "e-2", "extension": "x"}, 7])
    for cut in range(len(body)):
        check(body[:cut])
        check(body[:cut] + b"}" + body[cut:])


@compiled
def test_bad_events_are_rejected_with_their_reason_for_the_dead_letter_topic():
    bad = {**ATTRS, "id": "bad-1", "data": {**DATA, "battery": "x"}}
    count, rejected, samples = check(orjson.dumps([PLAIN, bad, 5]))
    assert count == 3 and len(samples) == 7
    assert [(r["index"], r["id"], r["field"]) for r in rejected] == [
        (1, "bad-1", "data.battery"),
        (2, None, "body"),
    ]


@compiled
def test_an_unreachable_store_fails_the_whole_batch():
    vm = FakeVictoriaMetrics()
    vm.down = True
    with pytest.raises(TransientError):
        telemetry_body.write_batch_body(vm, orjson.dumps([PLAIN]))
