"""Every error is application/problem+json; a downed dependency is a 503 with Retry-After
naming it. "Down" is a real closed port, not a stand-in."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from satmon.api import create_app
from satmon.settings import Settings
from tests.integration.api.conftest import closed_port

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


def test_ready_when_every_dependency_answers(api: TestClient) -> None:
    answer = api.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"] == {"PostgreSQL": "ok", "VictoriaMetrics": "ok", "Kafka": "ok"}
    assert api.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("dependency", "override"),
    [
        ("PostgreSQL", lambda: {"pg_port": closed_port()}),
        ("VictoriaMetrics", lambda: {"vm_url": f"http://127.0.0.1:{closed_port()}"}),
        ("Kafka", lambda: {"kafka_bootstrap": f"127.0.0.1:{closed_port()}"}),
    ],
)
def test_a_downed_dependency_is_named_in_a_503_with_retry_after(
    settings: Settings,
    token_headers: dict[str, str],
    recent_telemetry: list[str],
    dependency: str,
    override: object,
) -> None:
    broken = settings.model_copy(
        update={**override(), "api_dependency_timeout_s": 1.0, "api_submit_timeout_s": 1.0}  # type: ignore[operator]
    )
    with TestClient(create_app(broken)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["retry-after"] == str(settings.api_retry_after_s)
        assert ready.json()["dependency"] == dependency
        assert ready.json()["checks"][dependency] != "ok"

        began = time.monotonic()
        if dependency == "PostgreSQL":
            answer = client.get("/api/v1/inference/result/any-job")
        else:
            answer = client.post(
                "/api/v1/inference/submit",
                json={"satellite": "SAT-001", "metric": "temperature", "model": "vae"},
                headers=token_headers,
            )
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == PROBLEM
        assert answer.headers["retry-after"] == str(settings.api_retry_after_s)
        assert answer.json()["dependency"] == dependency
        assert dependency in answer.json()["detail"] and "Traceback" not in answer.text
        assert time.monotonic() - began < 5  # answered within the dependency timeout


def test_unknown_routes_methods_and_bad_bodies_are_problems(
    api: TestClient, token_headers: dict[str, str]
) -> None:
    route = api.get("/api/v1/nothing-here")
    assert route.status_code == 404 and route.headers["content-type"] == PROBLEM
    assert "/api/v1" in route.json()["detail"]
    method = api.delete("/api/v1/inference/submit")
    assert method.status_code == 405 and method.headers["content-type"] == PROBLEM
    assert "POST" in method.json()["detail"]
    body = api.post(
        "/api/v1/inference/submit",
        content=b"{not json",
        headers={**token_headers, "Content-Type": "application/json"},
    )
    assert body.status_code == 422 and body.headers["content-type"] == PROBLEM
    assert body.json()["field"].startswith("body") and "JSON" in body.json()["detail"]


def test_validation_errors_name_each_field(api: TestClient, token_headers: dict[str, str]) -> None:
    answer = api.post(
        "/api/v1/inference/submit",
        json={"satellite": "bad id!", "metric": "pressure"},
        headers=token_headers,
    )
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    fields = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert set(fields) == {"body.satellite", "body.metric", "body.model"}
    assert fields["body.model"] == "required"
    assert "'temperature'" in fields["body.metric"]
