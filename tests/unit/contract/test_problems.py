"""problem+json bodies, request ids and the webhook handshake."""

import json

from satmon.contract.http import (
    PROBLEM_JSON,
    HttpProblem,
    problem,
    problem_response,
    request_id_from,
    retry_later,
    unexpected_problem,
    webhook_handshake,
)


def test_a_problem_has_the_rfc_9457_members_and_ours():
    body = problem(413, "too big", "body", limit_bytes=1000, request_id=None)
    assert body == {
        "type": "about:blank",
        "title": "Request Entity Too Large",
        "status": 413,
        "detail": "too big",
        "field": "body",
        "limit_bytes": 1000,
    }


def test_responses_carry_the_media_type_and_their_headers():
    text, status, headers = problem_response(401, "no token", "Authorization", {"X": "y"})
    assert (status, headers) == (401, {"Content-Type": PROBLEM_JSON, "X": "y"})
    assert json.loads(text)["field"] == "Authorization"
    _, status, headers = retry_later(503, "Kafka down", 3)
    assert (status, headers["Retry-After"]) == (503, "3")
    text, status, _ = HttpProblem(413, "big", None, limit_bytes=5).to_response()
    assert (status, json.loads(text)["limit_bytes"]) == (413, 5)


def test_an_unexpected_error_names_its_request_id_and_nothing_else():
    text, status, headers = unexpected_problem("req-42")
    body = json.loads(text)
    assert (status, body["request_id"], headers["X-Request-Id"]) == (500, "req-42", "req-42")
    assert "req-42" in body["detail"] and "Traceback" not in text


def test_request_ids_are_taken_from_the_caller_only_when_sane():
    assert request_id_from({"X-Request-Id": "abc-123"}) == "abc-123"
    made = request_id_from({"x-request-id": "no spaces <script>"})
    assert len(made) == 32 and made.isalnum()
    assert request_id_from({}) != request_id_from({})


def test_webhook_handshake_grants_listed_origins():
    asked = {"WebHook-Request-Origin": "Sender.Example.com", "WebHook-Request-Rate": "120"}
    _, status, headers = webhook_handshake(asked, ["sender.example.com"], 60)
    assert status == 200
    assert headers["WebHook-Allowed-Origin"] == "Sender.Example.com"
    assert (headers["WebHook-Allowed-Rate"], headers["Allow"]) == ("60", "OPTIONS, POST")
    _, status, headers = webhook_handshake(asked, ["*"])
    assert (status, headers["WebHook-Allowed-Rate"]) == (200, "*")


def test_webhook_handshake_refuses_other_origins_and_ignores_plain_options():
    text, status, headers = webhook_handshake(
        {"WebHook-Request-Origin": "intruder.example.org"}, ["sender.example.com"], None, "ask"
    )
    assert status == 403 and "WebHook-Allowed-Origin" not in headers
    assert json.loads(text)["detail"].endswith("; ask")
    _, status, headers = webhook_handshake({}, ["sender.example.com"])
    assert (status, headers) == (204, {"Allow": "OPTIONS, POST"})
