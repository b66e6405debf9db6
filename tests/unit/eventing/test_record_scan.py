"""The dispatcher's compiled record scan against the Python reference path.

``records.decode`` takes ``_record_scan.scan``'s answer where it gives one; every record
here is decoded both ways (the scan monkeypatched away for the reference) and must give
the same envelope and the same batch body. The scan's JSON check may refuse what
``json.loads`` accepts (that goes to the reference), never the other way round.
"""

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.pipeline.data import Fleet, kafka_record
from satmon.eventing import records
from satmon.eventing.records import batch_json, decode

scan = pytest.importorskip("satmon.eventing._record_scan")

TELEMETRY = b'{"satellite_id":"SAT-1","timestamp":"2026-01-01T00:00:00.000Z","temperature":1.5}'
GOOD = [
    ("ce_id", b"e-1"),
    ("ce_source", b"/satellites/SAT-1"),
    ("ce_type", b"io.satmon.telemetry.v1"),
    ("ce_specversion", b"1.0"),
    ("ce_time", b"2026-01-01T00:00:00.000Z"),
    ("content-type", b"application/json"),
    ("ce_partitionkey", b"SAT-1"),
]


def _with(**changes: bytes | None) -> list[tuple[str, bytes | None]]:
    """GOOD with headers replaced (value None: left out)."""
    out = [(n, changes.get(n, v)) for n, v in GOOD if changes.get(n, v) is not None]
    return out + [(n, v) for n, v in changes.items() if n not in dict(GOOD) and v is not None]


RECORDS: list[tuple[str, list, bytes | None]] = [
    ("the usual record", GOOD, TELEMETRY),
    ("bad UTF-8 in an attribute", _with(ce_source=b"/caf\xe9"), TELEMETRY),
    ("bad UTF-8 in a header that is no attribute", _with(traceparent=b"\xff"), TELEMETRY),
    ("a header that is no attribute", _with(traceparent=b"00-ab-cd-01"), TELEMETRY),
    ("non-ASCII attribute", _with(ce_subject="Sat ünï \u2603 \U0001f600".encode()), TELEMETRY),
    ("escapes in an attribute", _with(ce_subject=b'a"b\\c\n\t\x01\x1f\x7f/'), TELEMETRY),
    ("missing id", _with(ce_id=None), TELEMETRY),
    ("empty id", _with(ce_id=b""), TELEMETRY),
    ("missing source", _with(ce_source=None), TELEMETRY),
    ("missing type", _with(ce_type=None), TELEMETRY),
    ("missing specversion", _with(ce_specversion=None), TELEMETRY),
    ("wrong specversion", _with(ce_specversion=b"0.3"), TELEMETRY),
    ("upper-case header", [("CE_ID", b"e-1"), *GOOD[1:]], TELEMETRY),
    (
        "Content-Type",
        _with(**{"content-type": None, "Content-Type": b"application/json"}),
        TELEMETRY,
    ),
    ("no content-type", _with(**{"content-type": None}), TELEMETRY),
    ("another JSON type", _with(**{"content-type": b"application/cloudevents+json"}), TELEMETRY),
    ("text data", _with(**{"content-type": b"text/plain"}), b"not json"),
    ("binary data", _with(**{"content-type": b"application/octet-stream"}), b"\x00\xff"),
    ("a None header value", [*_with(ce_subject=None), ("ce_subject", None)], TELEMETRY),
    ("a str header value", [*GOOD[:-1], ("ce_partitionkey", "SAT-1")], TELEMETRY),
    ("a repeated header", [*GOOD, ("ce_id", b"e-2")], TELEMETRY),
    ("an attribute named data", [*GOOD, ("ce_data", b"x")], TELEMETRY),
    ("an attribute named data_base64", [*GOOD, ("ce_data_base64", b"eA==")], TELEMETRY),
    ("only a content-type", [("content-type", b"application/json")], TELEMETRY),
    ("no headers (plain JSON)", [], TELEMETRY),
    ("empty value", GOOD, b""),
    ("no value", GOOD, None),
    ("non-JSON data", GOOD, b"{not json"),
    ("truncated JSON", GOOD, TELEMETRY[:-1]),
    ("trailing data", GOOD, TELEMETRY + b"x"),
    ("NaN", GOOD, b'{"temperature":NaN}'),
    ("Infinity", GOOD, b'{"temperature":-Infinity}'),
    ("a huge integer", GOOD, b'{"n":' + b"9" * 5000 + b"}"),
    ("a long number", GOOD, b'{"n":' + b"1" * 80 + b"}"),
    ("a huge exponent", GOOD, b'{"n":1e999}'),
    ("deep nesting", GOOD, b"[" * 200 + b"]" * 200),
    ("too deep for json", GOOD, b"[" * 100_000 + b"]" * 100_000),
    ("a lone surrogate escape", GOOD, b'{"s":"\\ud800"}'),
    ("a surrogate pair escape", GOOD, b'{"s":"\\ud83d\\ude00"}'),
    ("an encoded surrogate", GOOD, b'{"s":"\xed\xa0\x80"}'),
    ("an overlong encoding", GOOD, b'{"s":"\xc0\xaf"}'),
    ("bad UTF-8 in data", GOOD, b'{"s":"caf\xe9"}'),
    ("UTF-8 BOM", GOOD, b"\xef\xbb\xbf" + TELEMETRY),
    ("UTF-16 data", GOOD, TELEMETRY.decode().encode("utf-16")),
    ("a control character in a string", GOOD, b'{"s":"a\tb"}'),
    ("whitespace around", GOOD, b" \r\n\t" + TELEMETRY + b"\n "),
    ("a scalar", GOOD, b"42"),
    ("a string", GOOD, b'"x"'),
    ("a bad escape", GOOD, b'{"s":"\\x"}'),
    ("a leading zero", GOOD, b'{"n":01}'),
    ("duplicate keys", GOOD, b'{"a":1,"a":2}'),
    ("non-breaking space outside strings", GOOD, b'{"a":\xc2\xa01}'),
]


def _both(monkeypatch, headers, value):
    compiled = decode("t", 1, 7, b"k", value, headers, 1_700_000_000_000)
    with monkeypatch.context() as m:
        m.setattr(records, "_record_scan", None)
        reference = decode("t", 1, 7, b"k", value, headers, 1_700_000_000_000)
    return compiled, reference


@pytest.mark.parametrize(
    ("headers", "value"), [r[1:] for r in RECORDS], ids=[r[0] for r in RECORDS]
)
def test_the_scan_decodes_as_the_reference(monkeypatch, headers, value):
    compiled, reference = _both(monkeypatch, headers, value)
    if not any(name.startswith("ce_") for name, _ in headers):  # wrapped: a new id and time
        for env in (compiled, reference):
            env.attrs.update(id="wrapped", time="now")
            env.item = None
    assert list(compiled.attrs.items()) == list(reference.attrs.items())
    assert (compiled.error, compiled.json_data, compiled.data) == (
        reference.error,
        reference.json_data,
        reference.data,
    )
    if reference.error is None:
        assert batch_json([compiled]) == batch_json([reference])


def test_the_usual_record_takes_the_scan():
    key, value, headers = kafka_record(Fleet("SCAN", 1, 1, 1_700_000_000_000).sample(0, 0))
    env = decode("t", 0, 0, key, value, headers)
    assert env.item is not None
    assert orjson.loads(env.item)["data"] == orjson.loads(value)


def test_a_batch_of_scanned_and_reference_events_is_one_document(monkeypatch):
    fleet = Fleet("SCAN", 3, 4, 1_700_000_000_000)
    recs = [kafka_record(s) for s in fleet.samples()]
    scanned = [decode("t", 0, i, k, v, h) for i, (k, v, h) in enumerate(recs)]
    mixed = [
        *scanned[:5],
        decode("t", 0, 5, b"k", TELEMETRY, _with(ce_comment=b"x\xff")),
        *scanned[5:],
    ]
    monkeypatch.setattr(records, "_record_scan", None)
    reference = [decode("t", 0, i, k, v, h) for i, (k, v, h) in enumerate(recs)]
    assert all(e.item is None for e in reference)
    assert batch_json(scanned) == batch_json(reference)
    assert orjson.loads(batch_json(mixed)) == orjson.loads(
        batch_json([*reference[:5], mixed[5], *reference[5:]])
    )


def test_every_printable_character_in_an_attribute_is_escaped_as_orjson_escapes_it(monkeypatch):
    text = bytes(range(0x20, 0x7F)) + "é\u00a0☃\ufffd😀".encode()
    compiled, reference = _both(monkeypatch, _with(ce_subject=text), TELEMETRY)
    assert compiled.item is not None
    assert compiled.item == batch_json([reference])[1:-1]


@pytest.mark.parametrize(
    "char", ["\x00", "\t", "\n", "\x1f", "\x7f", "\x80", "\x9f", "\ufdd0", "\ufffe", "\U0010ffff"]
)
def test_a_control_character_or_noncharacter_in_an_attribute_is_refused_by_both(monkeypatch, char):
    compiled, reference = _both(monkeypatch, _with(ce_subject=f"ab{char}c".encode()), TELEMETRY)
    assert compiled.item is None
    assert compiled.error == reference.error
    assert reference.error is not None
    assert f"noncharacter U+{ord(char):04X} at position 2" in reference.error
    assert reference.error.startswith("attribute 'subject' holds the control character")


def _json_accepts(value: bytes) -> bool:
    try:
        json.loads(value)
    except (ValueError, RecursionError):
        return False
    return True


TOKENS = [
    *b'{ } [ ] , : " \\ u d800 00e9 a 0 1 - . e + true null NaN "k": "v"'.split(),
    *(b" ", b"\t", b"\n", b"\x00", b"\x1f", b"\xc3\xa9", b"\xe9", b"\xed\xa0\x80", b"\xef\xbb\xbf"),
]
JSONISH = st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join)


@settings(max_examples=3000, deadline=None)
@given(JSONISH)
def test_what_the_json_check_accepts_json_loads_accepts(value):
    if scan.surely_json(value):
        assert _json_accepts(value), value


@pytest.mark.parametrize(
    "value", [r[2] for r in RECORDS if r[2]], ids=[r[0] for r in RECORDS if r[2]]
)
def test_the_json_check_never_vouches_for_what_json_loads_refuses(value):
    if scan.surely_json(value):
        assert _json_accepts(value)
    if value in (TELEMETRY, b'{"a":1,"a":2}', b"42", b'"x"', b'{"n":1e999}'):
        assert scan.surely_json(value)
