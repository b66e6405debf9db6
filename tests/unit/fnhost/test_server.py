"""What gunicorn cannot parse, in words a sender can act on (the bytes on the wire are
tested against a real server in tests/integration/functions/test_ingress_http.py)."""

import io

import flask
import pytest
from gunicorn.http import errors

from satmon.fnhost.bodies import read_body
from satmon.fnhost.server import parse_failure


@pytest.mark.parametrize(
    ("exc", "status", "says"),
    [
        (errors.LimitRequestHeaders("limit request headers fields size"), 431, "structured mode"),
        (errors.InvalidHeader("CE-COMMENT"), 400, "percent-encode"),
        (errors.InvalidRequestLine("GARBAGE"), 400, "not a valid HTTP/1.1 request"),
        (errors.UnsupportedTransferCoding("gzip"), 501, "transfer coding"),
        (RuntimeError("boom"), 500, "failed while reading"),
    ],
)
def test_parse_failures_map_to_a_status_and_a_sentence(exc, status, says):
    got, detail = parse_failure(exc)
    assert got == status and says in detail


def test_a_body_is_read_up_to_its_limit_only():
    app = flask.Flask(__name__)
    with app.test_request_context("/", method="POST", data=b"x" * 10):
        assert read_body(flask.request, 10) == b"x" * 10
    with app.test_request_context("/", method="POST", data=b"x" * 11):
        assert read_body(flask.request, 10) is None
        assert flask.request.get_data() == b""  # drained: nothing left to keep in memory
    chunked = {"Transfer-Encoding": "chunked"}
    stream = io.BytesIO(b"y" * 50)
    with app.test_request_context("/", method="POST", input_stream=stream, headers=chunked) as ctx:
        ctx.request.environ["wsgi.input_terminated"] = True
        assert read_body(flask.request, 10) is None


def test_a_cloudevents_header_sent_twice_is_refused_before_wsgi_joins_it():
    from types import SimpleNamespace

    from satmon.fnhost.server import RepeatedAttribute, refuse_repeated_attributes

    once = SimpleNamespace(headers=[("CE-ID", "a"), ("ACCEPT", "x"), ("ACCEPT", "y")])
    refuse_repeated_attributes(None, once)  # other headers may repeat
    twice = SimpleNamespace(headers=[("CE-ID", "a"), ("CE-SOURCE", "/s"), ("CE-ID", "b")])
    with pytest.raises(RepeatedAttribute) as caught:
        refuse_repeated_attributes(None, twice)
    status, detail = parse_failure(caught.value)
    assert status == 400 and "ce-id is sent more than once" in detail
