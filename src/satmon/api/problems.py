"""Every error the API answers is an RFC 9457 problem (``application/problem+json``).

Validation errors name the parameter and say what it accepts; unknown routes and
methods are problems too; a dependency that is down is a 503 with ``Retry-After``
naming it; anything unexpected is a 500 whose body carries no stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from satmon.contract.http import PROBLEM_JSON, HttpProblem

Problem = HttpProblem
"""Raise to answer with a problem: status, a detail a person can act on, the field."""

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Unavailable(Exception):
    """A dependency (PostgreSQL, VictoriaMetrics, Kafka) cannot be reached: a 503."""

    def __init__(self, dependency: str, reason: str) -> None:
        super().__init__(f"{dependency} is unavailable: {reason}")
        self.dependency = dependency
        self.reason = reason


def problem(
    status: int,
    detail: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if field:
        body["field"] = field
    body.update(extra)
    return Response(orjson.dumps(body), status, dict(headers or {}), media_type=PROBLEM_JSON)


def install(app: FastAPI, retry_after_s: int) -> None:
    """Register the handlers that turn every error into a problem."""

    async def on_problem(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem(exc.status, exc.detail, exc.field, exc.headers)

    async def on_http(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such route; the API lives under /api/v1 (see /docs)"
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the body is not valid UTF-8 JSON; send a JSON object"
        elif exc.status_code == 405:
            allowed = next((v for k, v in (exc.headers or {}).items() if k.lower() == "allow"), "")
            detail = f"method not allowed here; allowed: {allowed or 'see /docs'}"
        return problem(exc.status_code, detail, None, exc.headers)

    async def on_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [_describe(e) for e in exc.errors()]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(422, detail, first["field"], errors=errors)

    async def on_unavailable(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Unavailable)
        log.warning("%s", exc)
        return problem(
            503,
            f"{exc.dependency} is unavailable ({exc.reason}); retry in {retry_after_s} s",
            None,
            {"Retry-After": str(retry_after_s)},
            dependency=exc.dependency,
        )

    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return problem(500, "internal error; the server log has the details")

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Unavailable, on_unavailable)
    app.add_exception_handler(Exception, on_unexpected)


def _describe(error: Mapping[str, Any]) -> dict[str, Any]:
    """One pydantic error as {field, message}: ``query.satellite``, what it accepts."""
    loc: Sequence[Any] = error.get("loc", ())
    field = ".".join(str(p) for p in loc) or "request"
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "missing":
        message = "required"
    elif error.get("type") == "json_invalid":
        message = f"body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
    return {"field": field, "message": message}


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what went wrong and what to do about it"},
        "field": {"type": "string", "description": "the parameter or header at fault"},
        "dependency": {"type": "string", "description": "the service that is down (503)"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "example": {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "query.satellite: unknown satellite 'SAT-999'; known: SAT-001, SAT-002",
        "field": "query.satellite",
    },
}
