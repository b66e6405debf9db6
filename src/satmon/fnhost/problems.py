"""Every error a function answers is ``application/problem+json``, never an HTML page.

Registered through functions-framework's public API: while ``create_app`` executes a
function's main.py, ``functions_framework.errorhandler`` is the new app's
``errorhandler`` (outside it, a no-op), so a main.py that calls
:func:`install_error_handlers` at import gets them under plain ``functions-framework``
too. ``create_function_app`` also installs them on the app it returns.

| raised | answer |
|---|---|
| ``HttpProblem`` | its own status, detail and field |
| ``PermanentError`` | 400 naming the field (never retried → dead letter) |
| ``TransientError`` | 503 + ``Retry-After`` (retried) |
| werkzeug ``HTTPException`` (404, 405, 413 …) | its status, with its description |
| anything else | 500 with a request id; the traceback is logged under that id |
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import flask
import functions_framework
from werkzeug.exceptions import HTTPException

from satmon.contract.http import (
    RETRY_AFTER_S,
    HttpProblem,
    Response,
    problem_response,
    request_id_from,
    retry_later,
    unexpected_problem,
)
from satmon.errors import PermanentError, TransientError

log = logging.getLogger(__name__)

Register = Callable[[Any], Callable[[Callable[..., Any]], Any]]


def install_error_handlers(register: Register | None = None) -> None:
    """Install the answers above with ``register`` (``app.errorhandler``); by default
    on the app functions-framework is creating."""
    register = register or functions_framework.errorhandler
    register(HttpProblem)(answer_problem)
    register(PermanentError)(answer_permanent)
    register(TransientError)(answer_transient)
    register(HTTPException)(answer_http_exception)
    register(500)(answer_unexpected)
    register(Exception)(answer_unexpected)


def answer_problem(exc: HttpProblem) -> Response:
    return exc.to_response()


def answer_permanent(exc: PermanentError) -> Response:
    log.info("rejected event: %s", exc)
    return problem_response(400, str(exc), exc.field)


def answer_transient(exc: TransientError) -> Response:
    log.warning("transient failure, asking for a retry: %s", exc)
    return retry_later(503, str(exc), RETRY_AFTER_S)


def answer_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        return answer_unexpected(exc)
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem_response(status, exc.description or exc.name, None, headers)


def answer_unexpected(exc: BaseException) -> Response:
    """500: logged with its traceback under a request id that the answer carries."""
    original = getattr(exc, "original_exception", None) or exc
    request_id = (
        request_id_from(dict(flask.request.headers)) if flask.has_request_context() else "-"
    )
    where = f"{flask.request.method} {flask.request.path}" if flask.has_request_context() else ""
    log.error(
        "unexpected error answering %s [request_id=%s]: %r",
        where,
        request_id,
        original,
        exc_info=(type(original), original, original.__traceback__),
    )
    return unexpected_problem(request_id)
