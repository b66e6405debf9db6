"""Every error a function answers is problem+json: through the satmon host and through
plain functions-framework (the handlers a main.py installs at import)."""

import logging

import pytest
from functions_framework import create_app

from satmon.fnhost.host import create_function_app
from satmon.settings import REPO_ROOT

SOURCE = str(REPO_ROOT / "tests" / "unit" / "fnhost" / "sources" / "failing.py")
EVENT = {
    "ce-specversion": "1.0",
    "ce-id": "e-1",
    "ce-source": "/tests",
    "ce-type": "io.satmon.test.v1",
    "Content-Type": "application/json",
}


@pytest.fixture(params=["satmon host", "plain functions-framework"])
def http_client(request):
    if request.param == "satmon host":
        return create_function_app(SOURCE, "fail_over_http", "http").test_client()
    return create_app("fail_over_http", SOURCE, "http").test_client()


def test_an_unexpected_exception_is_a_500_problem_logged_under_its_request_id(http_client, caplog):
    with caplog.at_level(logging.ERROR, logger="satmon.fnhost.problems"):
        response = http_client.post("/?how=bug", headers={"X-Request-Id": "req-7"})
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    body = response.json
    assert (body["status"], body["request_id"]) == (500, "req-7")
    assert response.headers["X-Request-Id"] == "req-7"
    assert "hunter2" not in response.get_data(as_text=True)
    [record] = [r for r in caplog.records if "req-7" in r.getMessage()]
    assert record.exc_info and "hunter2" in str(record.exc_info[1])


@pytest.mark.parametrize(
    ("how", "status", "field"),
    [("permanent", 400, "data.battery"), ("transient", 503, None), ("missing", 404, None)],
)
def test_planned_failures_keep_their_status(http_client, how, status, field):
    response = http_client.post(f"/?how={how}")
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.json.get("field") == field
    if status == 503:
        assert response.headers["Retry-After"] == "1"


def test_a_cloudevent_function_that_crashes_answers_a_problem_too():
    client = create_function_app(SOURCE, "fail_on_event").test_client()
    response = client.post("/", headers=EVENT, data=b"{}")
    assert (response.status_code, response.content_type) == (500, "application/problem+json")
    assert response.json["request_id"]
    routed = client.get("/nowhere")
    assert (routed.status_code, routed.content_type) == (405, "application/problem+json")


def test_plain_functions_framework_routing_errors_are_problems():
    client = create_app("fail_on_event", SOURCE, "cloudevent").test_client()
    response = client.get("/")
    assert (response.status_code, response.content_type) == (405, "application/problem+json")
    assert "POST" in response.headers["Allow"]
    crashed = client.post("/", headers=EVENT, data=b"{}")
    assert (crashed.status_code, crashed.content_type) == (500, "application/problem+json")
