"""``application/problem+json`` (RFC 9457): the one shape of every satmon error answer.

Used by the function hosts, the ingress and the operation API alike, so that an
integrator meets the same body whichever door it knocked on::

    {"type": "about:blank", "title": "Payload Too Large", "status": 413,
     "detail": "…a sentence a person can act on…", "field": "body", "limit_bytes": 999488}

``title`` is the status phrase (RFC 9457 §4.2.1 for ``about:blank``); ``field`` names
what to fix where there is one; ``request_id`` ties an unexpected failure to the log
line that holds its traceback. Extension members (``limit_bytes``, ``request_id``…)
sit at the top level, as the RFC asks.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-Id"
RETRY_AFTER_S = 1
"""Seconds a ``Retry-After`` asks for when a dependency is down or the door is busy."""

Response = tuple[str, int, dict[str, str]]
"""(body, status, headers): what a Flask view returns, and what the API turns into one."""

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class HttpProblem(Exception):
    """An HTTP error answer as an RFC 9457 problem: status, detail and the field at fault.

    ``members`` are extension members of the body (e.g. ``limit_bytes``).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        **members: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.headers = dict(headers or {})
        self.members = members

    def to_response(self) -> Response:
        return problem_response(self.status, self.detail, self.field, self.headers, **self.members)


def problem(status: int, detail: str, field: str | None = None, **members: Any) -> dict[str, Any]:
    """The problem body as a dict (the API serialises it itself)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": status_phrase(status),
        "status": status,
        "detail": detail,
    }
    if field:
        body["field"] = field
    body.update({k: v for k, v in members.items() if v is not None})
    return body


def problem_response(
    status: int,
    detail: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    **members: Any,
) -> Response:
    """(body, status, headers) of an ``application/problem+json`` answer."""
    body = json.dumps(problem(status, detail, field, **members))
    return body, status, {"Content-Type": PROBLEM_JSON, **(headers or {})}


def retry_later(status: int, detail: str, retry_after_s: int = RETRY_AFTER_S) -> Response:
    """429 / 503 with ``Retry-After``: the sender should try again, unchanged."""
    return problem_response(status, detail, None, {"Retry-After": str(retry_after_s)})


def unexpected_problem(request_id: str, what: str = "this request") -> Response:
    """500 for a failure nobody planned for: no internals, the id of the log line instead."""
    detail = (
        f"an unexpected error stopped {what}; nothing was accepted. Retrying may help; "
        f"if it keeps failing, report request id {request_id} (the server log has the details)"
    )
    return problem_response(
        500, detail, None, {REQUEST_ID_HEADER: request_id}, request_id=request_id
    )


def request_id_from(headers: Mapping[str, str]) -> str:
    """The caller's ``X-Request-Id`` when it is a sane token, else a new one."""
    return request_id_of(next((v for k, v in headers.items() if k.lower() == "x-request-id"), None))


def request_id_of(given: str | None) -> str:
    """``given`` (an ``X-Request-Id`` value, None when absent) when it is a sane token,
    else a new one."""
    if given and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
