"""Record decoding (fast path vs the reference decoder) and dead-letter extensions."""

from __future__ import annotations

import base64
import json

from satmon.contract.events import Telemetry, from_kafka, telemetry_event, to_kafka
from satmon.eventing.dlq import (
    ERROR_DATA_MAX,
    Failure,
    dead_letter_headers,
    decode_error_data,
    encode_error_data,
)
from satmon.eventing.records import (
    batch_json,
    binary_http,
    decode,
    percent_encode,
    structured_json,
)
from tests.samples import CONTRACT_TELEMETRY

SAMPLE = Telemetry.model_validate(CONTRACT_TELEMETRY)


def _record(event_id: str = "e-1") -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    return to_kafka(telemetry_event(SAMPLE, event_id=event_id))


def test_fast_decode_agrees_with_reference_decoder() -> None:
    key, value, headers = _record()
    env = decode("satellite-telemetry", 0, 7, key, value, headers)
    ref = from_kafka("satellite-telemetry", key, value, headers)
    assert env.error is None
    assert env.attrs == {k: str(v) for k, v in ref.get_attributes().items()}
    (structured,) = json.loads(batch_json([env]))
    assert structured["data"] == ref.get_data()
    assert structured["id"] == "e-1" and structured["specversion"] == "1.0"
    assert env.origin == "satellite-telemetry/0/7"


def test_binary_http_headers() -> None:
    key, value, headers = _record()
    env = decode("satellite-telemetry", 0, 0, key, value, headers)
    http_headers, body = binary_http(env)
    assert http_headers["ce-id"] == "e-1"
    assert http_headers["ce-type"] == "io.satmon.telemetry.v1"
    assert http_headers["Content-Type"] == "application/json"
    assert json.loads(body)["satellite_id"] == "SAT-001"


def test_percent_encoding_of_header_values() -> None:
    assert percent_encode("plain-value/1") == "plain-value/1"
    assert percent_encode('a b"c%d') == "a%20b%22c%25d"
    assert percent_encode("é") == "%C3%A9"


def test_plain_json_record_is_wrapped_with_a_stable_id() -> None:
    value = json.dumps(SAMPLE.to_json_dict()).encode()
    first = decode("satellite-telemetry", 0, 1, b"SAT-001", value, [])
    again = decode("satellite-telemetry", 1, 9, b"SAT-001", value, None)
    assert first.error is None
    assert first.attrs["type"] == "io.satmon.telemetry.v1"
    assert first.attrs["id"] == again.attrs["id"]
    assert first.value == value  # the original bytes are kept for a dead letter


def test_undecodable_records_carry_a_reason_instead_of_raising() -> None:
    key, value, headers = _record()
    no_id = [(n, v) for n, v in headers if n != "ce_id"]
    assert "missing CloudEvent attribute 'id'" in (decode("t", 0, 0, key, value, no_id).error or "")
    bad_utf8 = [*headers, ("ce_subject", b"\xff\xfe")]
    assert "UTF-8" in (decode("t", 0, 0, key, value, bad_utf8).error or "")
    control = [*headers, ("ce_subject", b"line\nbreak")]
    assert "attribute 'subject' holds the control character" in (
        decode("t", 0, 0, key, value, control).error or ""
    )
    assert "not valid JSON" in (decode("t", 0, 0, key, b"{nope", headers).error or "")
    old = [(n, b"0.3" if n == "ce_specversion" else v) for n, v in headers]
    assert "specversion" in (decode("t", 0, 0, key, value, old).error or "")
    assert "JSON" in (decode("satellite-telemetry", 0, 0, None, b"[1, 2", []).error or "")


def test_dead_letter_headers_keep_the_original_and_add_extensions() -> None:
    _, _, headers = _record()
    body = b"x" * (ERROR_DATA_MAX + 500)
    failure = Failure("http://127.0.0.1:8082", "retries exhausted: HTTP 500", 6, 500, body)
    out = dict(dead_letter_headers(headers, failure, "satellite-telemetry/2/41"))
    for name, value in headers:
        assert out[name] == value
    assert out["ce_knativeerrordest"] == b"http://127.0.0.1:8082"
    assert out["ce_knativeerrorcode"] == b"500"
    assert decode_error_data(out["ce_knativeerrordata"]) == body[:ERROR_DATA_MAX]
    assert out["ce_satmonattempts"] == b"6"
    assert out["ce_satmonreason"] == b"retries exhausted: HTTP 500"
    assert out["ce_satmonorigin"] == b"satellite-telemetry/2/41"


def test_dead_letter_headers_replace_earlier_extensions_and_omit_missing_code() -> None:
    _, _, headers = _record()
    first = dead_letter_headers(headers, Failure("a", "r1", 1, 500, b"one"), "t/0/0")
    second = dead_letter_headers(first, Failure("b", "r2\nsecond line", 0), "t/0/0")
    names = [n for n, _ in second]
    assert names.count("ce_knativeerrordest") == 1
    assert "ce_knativeerrorcode" not in names
    assert dict(second)["ce_satmonreason"] == b"r2 second line"
    assert dict(second)["ce_knativeerrordata"] == b""


def test_encode_error_data() -> None:
    assert encode_error_data(None) == b""
    assert encode_error_data("bad field") == base64.b64encode(b"bad field")


def test_batch_json_one_call_matches_the_spliced_events() -> None:
    """orjson's one-call batch and the per-event splicing give the same documents: JSON
    data spliced unchanged, other data as base64, no data at all, and an attribute
    orjson refuses (a lone surrogate) that sends the whole batch the spliced way."""
    key, value, headers = _record()
    plain = decode("t", 0, 0, key, value, headers)
    spaced = decode("t", 0, 1, key, b'{"a": [1, 2.50, "x"]}', headers)
    octets = [(n, b"application/octet-stream" if n == "content-type" else v) for n, v in headers]
    raw = decode("t", 0, 2, key, b"\x00\x01binary", octets)
    empty = decode("t", 0, 3, key, b"", headers)
    envs = [plain, spaced, raw, empty]
    assert raw.json_data is False and not empty.data
    spliced = b"[" + b",".join(structured_json(e) for e in envs) + b"]"
    assert json.loads(batch_json(envs)) == json.loads(spliced)
    assert b'"data":{"a": [1, 2.50, "x"]}' in batch_json(envs)  # the bytes, not re-encoded
    odd = decode("t", 0, 4, key, value, headers)
    odd.attrs["subject"] = "\ud800"
    odd.item = None  # the batch item the record scan wrote holds the attributes decoded
    assert json.loads(batch_json([plain, odd])) == [
        json.loads(structured_json(plain)),
        json.loads(structured_json(odd)),
    ]


def test_throughput_gc_settings() -> None:
    import gc

    from satmon.gc_tuning import YOUNG_THRESHOLD, tune_for_throughput

    before = gc.get_threshold()
    try:
        tune_for_throughput()
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
