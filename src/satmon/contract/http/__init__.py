"""The CloudEvents HTTP binding and the problem+json answers every satmon door gives.

| module | what |
|---|---|
| ``binding`` | decode binary, structured and batched mode; batch rejections |
| ``headers`` | binary-mode header values: percent-decoding, strict UTF-8, raw UTF-8 |
| ``problems`` | ``application/problem+json`` bodies, ``HttpProblem``, request ids |
| ``webhook`` | the CloudEvents webhook abuse-protection handshake |
"""

from satmon.contract.http.binding import (
    BATCH_JSON,
    MODE_BATCH,
    MODE_BINARY,
    MODE_STRUCTURED,
    REQUIRED,
    STRUCTURED_JSON,
    Decoded,
    decode_batch,
    decode_batch_lenient,
    decode_binary,
    decode_request,
    decode_structured,
    is_json_media,
    load_json,
    media_type,
    refuse_duplicate_members,
    rejection,
    valid_time,
)
from satmon.contract.http.headers import attribute_value, check_text
from satmon.contract.http.problems import (
    PROBLEM_JSON,
    REQUEST_ID_HEADER,
    RETRY_AFTER_S,
    HttpProblem,
    Response,
    problem,
    problem_response,
    request_id_from,
    request_id_of,
    retry_later,
    status_phrase,
    unexpected_problem,
)
from satmon.contract.http.webhook import origin_allowed, webhook_handshake

__all__ = [
    "BATCH_JSON",
    "MODE_BATCH",
    "MODE_BINARY",
    "MODE_STRUCTURED",
    "PROBLEM_JSON",
    "REQUEST_ID_HEADER",
    "REQUIRED",
    "RETRY_AFTER_S",
    "STRUCTURED_JSON",
    "Decoded",
    "HttpProblem",
    "Response",
    "attribute_value",
    "check_text",
    "decode_batch",
    "decode_batch_lenient",
    "decode_binary",
    "decode_request",
    "decode_structured",
    "is_json_media",
    "load_json",
    "media_type",
    "origin_allowed",
    "problem",
    "problem_response",
    "refuse_duplicate_members",
    "rejection",
    "request_id_from",
    "request_id_of",
    "retry_later",
    "status_phrase",
    "unexpected_problem",
    "valid_time",
    "webhook_handshake",
]
