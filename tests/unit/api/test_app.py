"""The app without servers: errors are problems, writes need the token, the OpenAPI
document describes every error as a problem."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from satmon.api import create_app
from satmon.settings import Settings

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def bare() -> TestClient:
    """No lifespan: nothing connects, so only routing, validation and auth run."""
    return TestClient(create_app(Settings(api_token="unit-test-token")))


@pytest.fixture(scope="module")
def doc(bare: TestClient) -> dict[str, Any]:
    answer = bare.get("/openapi.json")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def test_unknown_route_and_method_are_problems(bare: TestClient) -> None:
    route = bare.get("/api/v2/whatever")
    assert route.status_code == 404 and route.headers["content-type"] == PROBLEM
    assert route.json()["title"] == "Not Found" and "/api/v1" in route.json()["detail"]
    method = bare.put("/api/v1/inference/submit")
    assert method.status_code == 405 and "POST" in method.json()["detail"]


def test_a_write_without_the_right_token_is_401_before_anything_connects(
    bare: TestClient,
) -> None:
    body = {"satellite": "SAT-001", "metric": "temperature", "model": "vae"}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dTpw"}):
        answer = bare.post("/api/v1/inference/submit", json=body, headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"].startswith('Bearer realm="satmon"')
        assert answer.json()["field"] == "header.Authorization"


def test_every_error_response_in_the_document_is_a_problem(doc: dict[str, Any]) -> None:
    assert "Problem" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == [PROBLEM], (path, method, code)
            if path != "/healthz":
                assert "503" in operation["responses"], (path, method)


def test_routes_live_under_api_v1_with_tags(doc: dict[str, Any]) -> None:
    for path, operations in doc["paths"].items():
        assert path.startswith("/api/v1/") or path in ("/healthz", "/readyz"), path
        for operation in operations.values():
            assert operation["tags"], path
    submit = doc["paths"]["/api/v1/inference/submit"]["post"]
    assert submit["security"] == [{"token": []}]
    assert "example" in str(doc["components"]["schemas"]["SubmitRequest"])
