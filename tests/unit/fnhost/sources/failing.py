"""Functions that fail in every way a function can, for the host's error answers."""

import flask
import functions_framework
from werkzeug.exceptions import NotFound

from satmon.errors import PermanentError, TransientError
from satmon.fnhost.host import serve_batches
from satmon.fnhost.problems import install_error_handlers

install_error_handlers()


@functions_framework.http
def fail_over_http(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """``?how=`` bug | permanent | transient | missing."""
    how = request.args.get("how")
    if how == "permanent":
        raise PermanentError("data.battery: not a number", "data.battery")
    if how == "transient":
        raise TransientError("VictoriaMetrics unreachable")
    if how == "missing":
        raise NotFound("no such thing here")
    raise RuntimeError("a bug with a secret in it: hunter2")


@functions_framework.cloud_event
def fail_on_event(event) -> None:
    raise KeyError(event["type"])


serve_batches(fail_on_event)
