"""A function that answers the log ids bound for its request, for the host's request ids."""

import flask
import functions_framework

from satmon.logconfig import current_ids


@functions_framework.http
def echo_ids(request: flask.Request) -> flask.typing.ResponseReturnValue:
    return dict(current_ids())
