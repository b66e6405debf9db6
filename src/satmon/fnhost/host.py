"""satmon's function host: functions-framework plus CloudEvents batched mode.

functions-framework's ``cloudevent`` signature decodes one event per request. The
host wraps ``functions_framework.create_app`` (same module loading, same entry point
names) and answers every POST itself: binary and structured events go to the single
handler, ``application/cloudevents-batch+json`` bodies to the batch handler that the
function module declared with :func:`serve_batches` — or, when it declared one, to its
*items* handler, which gets the parsed JSON array as is (no CloudEvent per event: the
hot path of the telemetry-writer) and words the rejections itself. Answers follow the batch
contract of ``pipeline/README.md``; every error is problem+json (``problems``), those of
the HTTP server (``server``) included. Plain ``functions-framework --signature-type
cloudevent`` keeps working for single events (the module still registers
problem+json error handlers for it).

Run: ``python -m satmon.fnhost --source functions/<name>/main.py --target <fn>
--port <port>``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import flask
import functions_framework
from cloudevents.http import CloudEvent

from satmon.contract.http import (
    BATCH_JSON,
    HttpProblem,
    decode_batch_lenient,
    decode_request,
    load_json,
    media_type,
    problem_response,
    rejection,
)
from satmon.contract.rejections import Rejected
from satmon.errors import PermanentError, TransientError
from satmon.fnhost.problems import answer_permanent, answer_transient, install_error_handlers
from satmon.fnhost.server import FunctionServer
from satmon.gc_tuning import tune_for_throughput

log = logging.getLogger(__name__)


SingleHandler = Callable[[CloudEvent], Any]
BatchHandler = Callable[[Sequence[CloudEvent]], list[Rejected]]
ItemsHandler = Callable[[list[Any]], list[dict[str, Any]]]
"""Parsed batch array → its ``rejected`` entries (see ``cloudevent_http.rejection``)."""
BodyHandler = Callable[[bytes], tuple[int, list[dict[str, Any]]] | None]
"""Raw batch body → (items, ``rejected`` entries), or None: parse it and ask ``items``."""


@dataclass(frozen=True, slots=True)
class _Registered:
    single: SingleHandler
    batch: BatchHandler | None
    items: ItemsHandler | None = None
    body: BodyHandler | None = None


_HANDLERS: dict[str, _Registered] = {}


def serve_batches(
    single: SingleHandler,
    batch: BatchHandler | None = None,
    items: ItemsHandler | None = None,
    body: BodyHandler | None = None,
) -> None:
    """Declare ``single``'s batch handler (None: the host loops over ``single``).

    ``items``, when given, takes batches instead: it gets the array's items undecoded
    and must answer exactly as ``batch`` would (same accepted events, same rejections).
    ``body``, when given with ``items``, is asked first with the raw body; where it
    answers None (it wrote nothing), the body is parsed and ``items`` answers.

    Called at import of a function's main.py. Also installs the problem+json error
    handlers on the functions-framework app being created (plain ff runs).
    """
    _HANDLERS[single.__name__] = _Registered(single, batch, items, body)
    install_error_handlers()


HEALTH_PATHS = frozenset(("/_/health", "/healthz"))
"""GET paths answered 200 while the process serves: OpenFaaS' default readiness probe
(``/_/health``) and the usual Kubernetes name. Every other GET stays a 405."""


def create_function_app(
    source: str, target: str, signature_type: str = "cloudevent", accept_batch: bool = True
) -> flask.Flask:
    """functions-framework's app for ``target``, answering binary / structured / batched POSTs."""
    app = functions_framework.create_app(target, source, signature_type)
    install_error_handlers(app.errorhandler)
    registered = _HANDLERS.get(target)
    if signature_type != "cloudevent" or registered is None:
        return app

    @app.before_request
    def _answer_cloudevent() -> Any:
        if flask.request.method != "POST":
            if flask.request.method == "GET" and flask.request.path in HEALTH_PATHS:
                return "OK", 200
            return None
        return handle_request(registered, flask.request, accept_batch)

    return app


def handle_request(registered: _Registered, request: flask.Request, accept_batch: bool) -> Any:
    """Answer one POST: a single event (binary / structured) or a batch."""
    if _is_batch(request):
        if not accept_batch:
            return problem_response(415, "batched mode is not accepted here", "Content-Type")
        if media_type(request.content_type) != BATCH_JSON:
            return problem_response(
                415, f"unsupported batch format {request.content_type!r}", "Content-Type"
            )
        return _handle_batch(registered, request.get_data())
    try:
        decoded = decode_request(dict(request.headers), request.get_data(), accept_batch=False)
    except HttpProblem as exc:
        return exc.to_response()
    try:
        registered.single(decoded.events[0])
    except PermanentError as exc:
        return answer_permanent(exc)
    except TransientError as exc:
        return answer_transient(exc)
    return "OK", 200


def _handle_batch(registered: _Registered, body: bytes) -> Any:
    if registered.items is not None:
        if registered.body is not None:
            try:
                scanned = registered.body(body)
            except TransientError as exc:
                return answer_transient(exc)
            except PermanentError:  # the items path rejects every event, worded per event
                scanned = None
            if scanned is not None:
                return _batch_answer(*scanned)
        return _handle_items(registered.items, body)
    try:
        good, rejected = decode_batch_lenient(body)
    except HttpProblem as exc:
        return exc.to_response()
    events = [event for _, event in good]
    try:
        refused = run_batch(registered, events)
    except TransientError as exc:
        return answer_transient(exc)
    for item in refused:
        index, event = good[item.position]
        rejected.append(rejection(index, event["id"], event["source"], item.detail, item.field))
    rejected.sort(key=lambda r: r["index"])
    if rejected:
        log.warning(
            "batch of %d: %d rejected", len(good) + len(rejected) - len(refused), len(rejected)
        )
    body_out = {"accepted": len(events) - len(refused), "rejected": rejected}
    return json.dumps(body_out), 200, {"Content-Type": "application/json"}


def _handle_items(handler: ItemsHandler, body: bytes) -> Any:
    try:
        items = load_json(body)
    except HttpProblem as exc:
        return exc.to_response()
    if not isinstance(items, list):
        return problem_response(400, "a CloudEvents batch must be a JSON array", "body")
    if not items:
        rejected: list[dict[str, Any]] = []
    else:
        try:
            rejected = handler(items)
        except TransientError as exc:
            return answer_transient(exc)
        except PermanentError as exc:
            rejected = [
                rejection(i, *_identity(item), str(exc), exc.field) for i, item in enumerate(items)
            ]
    return _batch_answer(len(items), rejected)


def _batch_answer(count: int, rejected: list[dict[str, Any]]) -> Any:
    if rejected:
        log.warning("batch of %d: %d rejected", count, len(rejected))
    body_out = {"accepted": count - len(rejected), "rejected": rejected}
    return json.dumps(body_out), 200, {"Content-Type": "application/json"}


def _identity(item: Any) -> tuple[Any, Any]:
    if isinstance(item, dict):
        return item.get("id"), item.get("source")
    return None, None


def run_batch(registered: _Registered, events: Sequence[CloudEvent]) -> list[Rejected]:
    """The batch handler, or the single handler once per event (a transient error aborts)."""
    if not events:
        return []
    if registered.batch is not None:
        try:
            return registered.batch(events)
        except PermanentError as exc:
            return [Rejected(i, str(exc), exc.field) for i in range(len(events))]
    refused: list[Rejected] = []
    for i, event in enumerate(events):
        try:
            registered.single(event)
        except PermanentError as exc:
            refused.append(Rejected(i, str(exc), exc.field))
    return refused


def _is_batch(request: flask.Request) -> bool:
    return (request.content_type or "").lower().startswith("application/cloudevents-batch")


def main(argv: Sequence[str] | None = None) -> None:
    """Serve one function (gunicorn threads, as functions-framework does)."""
    parser = argparse.ArgumentParser(prog="python -m satmon.fnhost")
    parser.add_argument("--source", default=os.environ.get("FUNCTION_SOURCE"), required=False)
    parser.add_argument("--target", default=os.environ.get("FUNCTION_TARGET"), required=False)
    parser.add_argument("--signature-type", default="cloudevent", choices=["cloudevent", "http"])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--no-batch", action="store_true", help="refuse batched mode (415)")
    parser.add_argument("--debug", action="store_true", help="Flask's server instead of gunicorn")
    args = parser.parse_args(argv)
    if not args.source or not args.target:
        parser.error("--source and --target are required (or FUNCTION_SOURCE / FUNCTION_TARGET)")
    logging.basicConfig(
        level=os.environ.get("SATMON_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per VM call is noise
    app = create_function_app(
        args.source, args.target, args.signature_type, accept_batch=not args.no_batch
    )
    tune_for_throughput()  # before gunicorn forks: the workers inherit it

    options: dict[str, Any] = {}
    registered = _HANDLERS.get(args.target)
    if not args.debug and registered is not None and registered.items is not None:
        items = registered.items
        options["post_worker_init"] = lambda _worker: warm(items)
    if args.debug:
        app.run(args.host, args.port, debug=True)
    else:
        FunctionServer(app, args.host, args.port, **options).run()


def warm(items: ItemsHandler) -> None:
    """Run an empty batch through ``items`` in a fresh worker, before it takes requests.

    A function creates its clients on first use (``pipeline.clients``); for the
    telemetry-writer that is an httpx client (imports, TLS context: ~0.5 s of CPU on a
    busy host), which the first batch of every worker used to wait for. An empty batch
    writes nothing and must answer no rejections.
    """
    try:
        items([])
    except Exception as exc:  # the first real batch will meet (and answer) the same error
        log.warning("warming the function up failed: %s", exc)
