"""CloudEvents HTTP decoding: binary, structured, batched; errors name the field."""

import base64
import json

import pytest

from satmon.contract.http import (
    MODE_BATCH,
    MODE_BINARY,
    MODE_STRUCTURED,
    HttpProblem,
    decode_batch_lenient,
    decode_request,
    problem_response,
)

BINARY = {
    "ce-specversion": "1.0",
    "ce-id": "1234-1234-1234",
    "ce-source": "/mycontext/subcontext",
    "ce-type": "com.example.someevent",
    "ce-time": "2018-04-05T03:56:24Z",
    "Content-Type": "application/json; charset=utf-8",
}


def structured(**extra):
    return {
        "specversion": "1.0",
        "id": "1234-1234-1234",
        "source": "/mycontext/subcontext",
        "type": "com.example.someevent",
        "datacontenttype": "application/json",
        "data": {"message": "Hello World!"},
        **extra,
    }


def problem_of(headers, body):
    with pytest.raises(HttpProblem) as info:
        decode_request(headers, body)
    return info.value


def test_binary_mode_reads_headers_and_json_data():
    decoded = decode_request(BINARY, b'{"message": "Hello World!"}')
    event = decoded.events[0]
    assert decoded.mode == MODE_BINARY
    assert event["id"] == "1234-1234-1234"
    assert event["time"] == "2018-04-05T03:56:24Z"
    assert event["datacontenttype"] == "application/json; charset=utf-8"
    assert event.get_data() == {"message": "Hello World!"}


def test_binary_headers_are_percent_decoded_in_any_hex_case():
    headers = dict(BINARY, **{"ce-subject": "a%20b%22c%25%c3%a9", "ce-myext": "%E2%82%AC"})
    event = decode_request(headers, b"{}").events[0]
    assert event["subject"] == 'a b"c%é'
    assert event["myext"] == "€"


def test_binary_header_with_invalid_utf8_is_a_400_naming_the_header():
    problem = problem_of(dict(BINARY, **{"ce-subject": "%ff%fe"}), b"{}")
    assert (problem.status, problem.field) == (400, "ce-subject")


@pytest.mark.parametrize("missing", ["id", "source", "type", "specversion"])
def test_binary_missing_required_attribute_is_a_400(missing):
    headers = {k: v for k, v in BINARY.items() if k != f"ce-{missing}"}
    problem = problem_of(headers, b"{}")
    assert (problem.status, problem.field) == (400, f"ce-{missing}")


def test_wrong_specversion_bad_time_and_bad_json_are_400s():
    assert problem_of(dict(BINARY, **{"ce-specversion": "0.3"}), b"{}").field == "ce-specversion"
    assert problem_of(dict(BINARY, **{"ce-time": "yesterday"}), b"{}").field == "ce-time"
    assert problem_of(BINARY, b"{not json").field == "data"


def test_structured_mode_with_charset():
    body = json.dumps(structured(comexampleextension1="value")).encode()
    decoded = decode_request({"Content-Type": "application/cloudevents+json; charset=utf-8"}, body)
    event = decoded.events[0]
    assert decoded.mode == MODE_STRUCTURED
    assert event["comexampleextension1"] == "value"
    assert event.get_data() == {"message": "Hello World!"}


def test_structured_data_base64_is_decoded():
    obj = structured()
    del obj["data"]
    obj["data_base64"] = base64.b64encode(b"\x00\x01raw").decode()
    event = decode_request(
        {"content-type": "application/cloudevents+json"}, json.dumps(obj).encode()
    ).events[0]
    assert event.get_data() == b"\x00\x01raw"


def test_structured_non_json_format_is_415():
    problem = problem_of({"Content-Type": "application/cloudevents+xml"}, b"<x/>")
    assert (problem.status, problem.field) == (415, "Content-Type")


def test_structured_missing_id_names_it():
    obj = structured()
    del obj["id"]
    problem = problem_of({"Content-Type": "application/cloudevents+json"}, json.dumps(obj).encode())
    assert (problem.status, problem.field) == (400, "id")


def test_batch_mode_and_refusal_where_not_accepted():
    body = json.dumps([structured(id="a"), structured(id="b")]).encode()
    headers = {"Content-Type": "application/cloudevents-batch+json"}
    decoded = decode_request(headers, body)
    assert decoded.mode == MODE_BATCH
    assert [e["id"] for e in decoded.events] == ["a", "b"]
    with pytest.raises(HttpProblem) as info:
        decode_request(headers, body, accept_batch=False)
    assert info.value.status == 415


def test_batch_error_names_the_index():
    body = json.dumps([structured(id="a"), {"specversion": "1.0"}]).encode()
    problem = problem_of({"Content-Type": "application/cloudevents-batch+json"}, body)
    assert problem.field == "[1].id"


def test_lenient_batch_keeps_good_events_and_reports_bad_ones():
    body = json.dumps([structured(id="a"), {"id": "b", "source": "/x"}, 7]).encode()
    good, bad = decode_batch_lenient(body)
    assert [(i, e["id"]) for i, e in good] == [(0, "a")]
    assert [(r["index"], r["id"], r["field"]) for r in bad] == [
        (1, "b", "specversion"),
        (2, None, "body"),
    ]


def test_problem_response_is_problem_json():
    body, status, headers = problem_response(429, "slow down", None, {"Retry-After": "1"})
    assert status == 429
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Retry-After"] == "1"
    assert json.loads(body)["status"] == 429
