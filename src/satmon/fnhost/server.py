"""The HTTP server of a function: gunicorn, set up as functions-framework sets it up.

Same knobs (``WORKERS`` processes, default 1; ``THREADS`` per process, default 4 × CPUs;
``CLOUD_RUN_TIMEOUT_SECONDS``; ``GUNICORN_LOG_LEVEL``; no request-line limit), built on
gunicorn's public application API rather than functions-framework's private one, so
that one thing can differ: a request gunicorn cannot parse (a garbled request line, a
control byte in a header, a header over 8,190 bytes) is answered with a problem+json
body too, not gunicorn's HTML page.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import gunicorn.app.base
from gunicorn.http import errors as parse_errors
from gunicorn.workers.gthread import ThreadWorker

from satmon.contract.http import PROBLEM_JSON, problem, request_id_from, status_phrase

log = logging.getLogger(__name__)

HEADER_FIELD_MAX_BYTES = 8190
"""gunicorn's ``limit_request_field_size`` default, kept: it bounds each header line."""


class FunctionServer(gunicorn.app.base.BaseApplication):
    """gunicorn serving one WSGI app with ``ProblemWorker``."""

    def __init__(self, app: Any, host: str, port: int, **options: Any) -> None:
        self.app = app
        self.options = {
            "bind": f"{host}:{port}",
            "workers": int(os.environ.get("WORKERS", 1)),
            "threads": int(os.environ.get("THREADS", (os.cpu_count() or 1) * 4)),
            "timeout": int(os.environ.get("CLOUD_RUN_TIMEOUT_SECONDS", 0)),
            "loglevel": os.environ.get("GUNICORN_LOG_LEVEL", "error"),
            "limit_request_line": 0,
            "limit_request_field_size": HEADER_FIELD_MAX_BYTES,
            "worker_class": f"{__name__}.ProblemWorker",
            "pre_request": refuse_repeated_attributes,
            **options,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.app


class RepeatedAttribute(parse_errors.ParseException):
    """A ``ce-*`` header sent twice: WSGI would hand it over joined by a comma."""

    def __init__(self, header: str) -> None:
        super().__init__(header)
        self.header = header

    def __str__(self) -> str:
        return f"header {self.header} is sent more than once"


def refuse_repeated_attributes(_worker: Any, req: Any) -> None:
    """gunicorn's ``pre_request`` hook: a CloudEvents attribute header sent twice is a 400.

    Past this point the two values are one (``a,b``), which for ``ce-id`` or
    ``ce-source`` is a valid, different value: the event would be taken for another.
    """
    seen: set[str] = set()
    for name, _value in req.headers:
        if name.startswith("CE-"):
            if name in seen:
                raise RepeatedAttribute(name.lower())
            seen.add(name)


class ProblemWorker(ThreadWorker):
    """gunicorn's threaded worker, answering what it cannot parse as problem+json."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, detail = parse_failure(exc)
        members: dict[str, Any] = {}
        if status >= 500:
            request_id = request_id_from(dict(getattr(req, "headers", None) or []))
            members["request_id"] = request_id
            log.error("unexpected server error [request_id=%s]", request_id, exc_info=exc)
            detail = f"{detail}; report request id {request_id} if it keeps failing"
        else:
            log.warning("unparsable request from %s: %s", (addr or ("",))[0], exc)
        body = json.dumps(problem(status, detail, **members)).encode()
        head = (
            f"HTTP/1.1 {status} {status_phrase(status)}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            client.sendall(head.encode("latin-1") + body)
        except OSError:
            log.debug("could not send the error answer: the client is gone")


def parse_failure(exc: BaseException) -> tuple[int, str]:
    """Status and a sentence for what gunicorn refused to parse."""
    if isinstance(exc, parse_errors.LimitRequestHeaders):
        return 431, (
            f"a request header is over {HEADER_FIELD_MAX_BYTES:,} bytes, or there are too many "
            f"({exc}); send large attributes in structured mode (in the body) instead"
        )
    if isinstance(exc, RepeatedAttribute):
        return 400, f"{exc}; a CloudEvents attribute has one value: send it once"
    if isinstance(exc, parse_errors.UnsupportedTransferCoding):
        return 501, f"unsupported transfer coding: {exc}"
    if isinstance(exc, parse_errors.InvalidHeader | parse_errors.InvalidHeaderName):
        return 400, (
            f"{exc}: header values may hold no control characters; percent-encode them "
            "(a CloudEvents attribute value is printable text)"
        )
    if isinstance(exc, parse_errors.ParseException):
        return 400, f"not a valid HTTP/1.1 request: {exc}"
    return 500, "the server failed while reading the request"
