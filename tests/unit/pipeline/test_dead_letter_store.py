"""Dead letters → rows: the dispatcher's own dead letters and wrapped poison records,
decoded the way the function host receives them (a CloudEvents batch)."""

import base64
import json
from datetime import UTC, datetime

from satmon.contract.http import decode_batch
from satmon.eventing.dlq import Failure, dead_letter_headers
from satmon.eventing.invalid_records import wrap_invalid_record
from satmon.eventing.records import batch_json, decode
from satmon.pipeline.dead_letter_store import BODY_MAX_CHARS, body_text, row_from_event
from tests.samples import CONTRACT_TELEMETRY

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


RECORD_MS = 1_764_590_400_000  # 2025-12-01T12:00:00Z, the dead letter's record time


def dead_letter(
    value: bytes,
    headers: list,
    failure: Failure,
    offset: int = 7,
    origin_offset: int = 41,
    record_ms: int = RECORD_MS,
) -> list:
    """What the dead-letter-store's host hands over for one record of satellite-telemetry
    that the dispatcher dead-lettered (the record read back from the .dlq topic)."""
    original = decode("satellite-telemetry", 0, origin_offset, b"SAT-001", value, headers)
    dlq_headers = dead_letter_headers(original.headers, failure, original.origin)
    env = decode("satellite-telemetry.dlq", 1, offset, b"SAT-001", value, dlq_headers, record_ms)
    if env.error is not None:
        env = wrap_invalid_record(env, "dead-letter-store", "satmon")
    return decode_batch(batch_json([env]))


def test_a_refused_cloudevent_keeps_its_identity_reason_and_body():
    headers = [
        ("ce_id", b"evt-9"),
        ("ce_source", b"/satellites/SAT-001"),
        ("ce_specversion", b"1.0"),
        ("ce_type", b"io.satmon.telemetry.v1"),
        ("ce_time", b"2026-11-28T10:00:00.000Z"),
        ("content-type", b"application/json"),
    ]
    bad = json.dumps(CONTRACT_TELEMETRY | {"battery": "flat"}).encode()
    answer = b'{"detail": "data.battery: Input should be a valid number"}'
    reason = "not retryable: HTTP 400 after 1 attempt(s)"
    failure = Failure("http://127.0.0.1:8082", reason, 1, 400, answer)
    [event] = dead_letter(bad, headers, failure)
    row = row_from_event(event, now=NOW)
    assert (row.source, row.event_id, row.event_type) == (
        "/satellites/SAT-001",
        "evt-9",
        "io.satmon.telemetry.v1",
    )
    assert (row.original_topic, row.origin) == ("satellite-telemetry", "satellite-telemetry/0/41")
    assert row.reason == f"{reason}: data.battery: Input should be a valid number"
    assert (row.error_code, row.attempts) == (400, 1)
    assert row.error_dest == "http://127.0.0.1:8082" and "valid number" in row.error_data
    assert json.loads(row.body)["battery"] == "flat" and row.body_encoding == "utf-8"
    assert "knativeerrordest" not in row.attributes and row.attributes["id"] == "evt-9"
    assert row.event_time == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert row.dead_lettered_at == NOW


def test_a_record_that_never_was_a_cloudevent_is_stored_with_the_dispatchers_reason():
    headers = [("ce_id", b"evt-10"), ("ce_source", b"/s"), ("ce_type", b"t"), ("ce_note", b"\xff")]
    failure = Failure("http://127.0.0.1:8082", "undeliverable record: header is not valid UTF-8", 0)
    [event] = dead_letter(b'{"x": 1}', headers, failure, offset=8)
    row = row_from_event(event, now=NOW)
    assert (row.source, row.event_id) == ("/s", "evt-10")  # its own, as far as it had them
    assert row.reason == "undeliverable record: header is not valid UTF-8"
    assert (row.attempts, row.original_topic, row.event_type) == (0, "satellite-telemetry", "t")
    assert row.attributes["note"] == "\ufffd"
    assert row.dead_lettered_at == datetime(2025, 12, 1, 12, 0, tzinfo=UTC)  # the record's time
    assert row.body == '{"x":1}'  # JSON data kept as compact JSON


def test_without_an_id_of_its_own_the_dead_letter_records_identity_is_used():
    failure = Failure("http://127.0.0.1:8082", "undeliverable record: value is not valid JSON", 0)
    [event] = dead_letter(b"\x00{oops", [("content-type", b"application/json")], failure, offset=9)
    row = row_from_event(event, now=NOW)
    assert row.event_id == "partition:1/offset:9@2025-12-01T12:00:00.000Z"
    assert row.source.endswith("/kafkasources/dead-letter-store#satellite-telemetry.dlq")
    assert row.event_type is None and row.reason.endswith("not valid JSON")
    assert row.body == "\ufffd{oops"  # NUL: PostgreSQL text cannot hold it


def test_bad_ids_that_read_the_same_keep_two_rows():
    failure = Failure("http://127.0.0.1:8082", "undeliverable record: header is not valid UTF-8", 0)
    rows = [
        row_from_event(dead_letter(b"{}", [*head, ("ce_id", raw)], failure, o, 31 + o)[0])
        for o, raw in ((10, b"\xff\xfe\xb3"), (11, b"\xff\xfe\x80"))
        for head in [[("ce_source", b"/s"), ("ce_type", b"t"), ("ce_specversion", b"1.0")]]
    ]
    assert [r.attributes["id"] for r in rows] == ["\ufffd\ufffd\ufffd"] * 2
    assert [r.event_id for r in rows] == [
        "satellite-telemetry/0/41@2025-12-01T12:00:00.000Z",
        "satellite-telemetry/0/42@2025-12-01T12:00:00.000Z",
    ]


def test_a_dead_letter_at_an_offset_used_before_the_topic_was_made_anew_keeps_its_row():
    """Same partition and offset on the .dlq topic, a day apart: two dead letters, and the
    same one delivered again is still one."""
    failure = Failure("http://127.0.0.1:8082", "undeliverable record: value is not valid JSON", 0)
    day = 86_400_000
    first, again, later = (
        row_from_event(dead_letter(b"{oops", [], failure, 9, record_ms=ms)[0], now=NOW)
        for ms in (RECORD_MS, RECORD_MS, RECORD_MS + day)
    )
    assert (first.source, first.event_id) == (again.source, again.event_id)
    assert first.source == later.source and first.event_id != later.event_id


def test_bodies_are_truncated_and_bytes_that_are_not_text_kept_as_base64():
    text, encoding, size, truncated = body_text({"padding": "x" * 20_000})
    assert (len(text), encoding, size, truncated) == (BODY_MAX_CHARS, "utf-8", 20_014, True)
    raw = bytes(range(256)) * 100
    text, encoding, size, truncated = body_text(raw)
    assert (encoding, size, truncated) == ("base64", 25_600, True)
    assert base64.b64decode(text) == raw[: len(base64.b64decode(text))]
    assert body_text(None) == ("", "utf-8", 0, False)
