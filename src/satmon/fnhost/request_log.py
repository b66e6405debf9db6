"""What the function host adds to its log records: the request id of each request,
the CloudEvent id of a single event, one record per refused event of a batch.

The request id is the caller's ``X-Request-Id`` when sane, else a new one
(``contract.http.request_id_from``); the problem answer of an unexpected error names
the same id, so the record holding the traceback is found from the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import flask

from satmon.contract.http import request_id_from, request_id_of
from satmon.logconfig import bind_ids, current_ids, logging_enabled, unbind_ids

log = logging.getLogger(__name__)

REFUSED_LOGGED_MAX = 20
"""Refused events of one batch logged one by one; past this, one summary record."""


def install_request_ids(app: flask.Flask) -> None:
    """Bind ``request_id`` for the length of every request (first hook of the app)."""
    if not logging_enabled():
        return

    def bind() -> None:
        # the environ's own key: copying every header into a dict cost more per request
        # than the rest of logging together (python -m bench writer-logging)
        given = flask.request.environ.get("HTTP_X_REQUEST_ID")
        flask.g.satmon_log_token = bind_ids(request_id=request_id_of(given))

    def unbind(_exc: BaseException | None) -> None:
        token = flask.g.pop("satmon_log_token", None)
        if token is not None:
            unbind_ids(token)

    app.before_request_funcs.setdefault(None, []).insert(0, bind)
    app.teardown_request(unbind)


def request_id() -> str:
    """The current request's id (bound above), or a new one outside a bound request."""
    bound = current_ids().get("request_id")
    if bound:
        return bound
    if flask.has_request_context():
        return request_id_from(dict(flask.request.headers))
    return "-"


def log_refused(total: int, rejected: Sequence[dict[str, Any]]) -> None:
    """A warning per refused event (``event_id``, its reason), then one for the batch."""
    for entry in rejected[:REFUSED_LOGGED_MAX]:
        log.warning(
            "refused event: %s",
            entry.get("detail"),
            extra={"event_id": entry.get("id"), "ce_source": entry.get("source"),
                   "field": entry.get("field"), "status": entry.get("status")},
        )  # fmt: skip
    log.warning("batch of %d: %d refused", total, len(rejected))
