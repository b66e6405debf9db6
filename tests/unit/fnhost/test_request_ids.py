"""Each request's records carry its ``request_id``: the caller's ``X-Request-Id`` when it
is a sane token, else a new one (bound by the function host for the request's length)."""

import re

import pytest

from satmon.fnhost.host import create_function_app
from satmon.settings import REPO_ROOT

SOURCE = str(REPO_ROOT / "tests" / "unit" / "fnhost" / "sources" / "echo_ids.py")
NEW_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def client():
    return create_function_app(SOURCE, "echo_ids", "http").test_client()


def test_the_callers_request_id_is_bound_for_its_request(client) -> None:
    assert client.get("/", headers={"X-Request-Id": "req-42:a.b"}).json == {
        "request_id": "req-42:a.b"
    }


@pytest.mark.parametrize("given", [None, "two words", 'quote"d', "x" * 129])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(client, given) -> None:
    headers = {} if given is None else {"X-Request-Id": given}
    first = client.get("/", headers=headers).json["request_id"]
    second = client.get("/", headers=headers).json["request_id"]
    assert NEW_ID.match(first) and NEW_ID.match(second) and first != second
