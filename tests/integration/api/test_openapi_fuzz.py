"""schemathesis over the served OpenAPI document (no 5xx, every answer matches its
schema and content type), and injection strings in every parameter → 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks

from satmon.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]
STREAM = "/api/v1/stream/telemetry"
LOG_TAIL = "/api/v1/logs/tail"
"""Endless streams: the telemetry stream ends after ``max_events``; the log tail never
does, so it is only opened, judged by its status and headers, and closed."""
INJECTIONS = [
    "' OR '1'='1",
    '"; DROP TABLE inference_results; --',
    'SAT-001"} or vector(1) {a="',
    '{__name__=~".+"}',
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "1) UNION SELECT 1 --",
]
PROSE = {"comment", "reason"}
"""Operators' free text, stored as sent (parameterised, never part of a query): a quote
in a note is prose, so these may be accepted, but never with a server error."""
VALID = {
    "satellite": "SAT-001",
    "metric": "temperature",
    "model": "vae_timeseries",
    "q": "forecast",
    "job_id": "no-such-job",
}


@pytest.fixture(scope="module", autouse=True)
def limits_left_as_found(settings: Settings) -> Iterator[None]:
    """The fuzzer's accepted PUTs store fleet-wide limit versions; every later test (and
    the stack's alarm-evaluator) would judge telemetry by them, so they go again."""
    with psycopg.connect(settings.pg_dsn, autocommit=True) as conn:
        (before,) = conn.execute("SELECT coalesce(max(id), 0) FROM limit_versions").fetchone()
        yield
        conn.execute("DELETE FROM limit_versions WHERE id > %s", (before,))


@pytest.fixture(scope="module")
def doc(served: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{served}/openapi.json").json()
    return body


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda m: m.value)
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
    served: str, token_headers: dict[str, str], recent_telemetry: list[str], mode: Any
) -> None:
    """Every operation but the endless streams, hypothesis-driven (schemathesis' own pytest
    plugin does not run under this pytest, so the strategies are driven here)."""
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json").exclude(
        path=[STREAM, LOG_TAIL]
    )
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                base_url=served, headers=token_headers, checks=CHECKS, timeout=30
            )

        try:
            run()
        except Unsatisfiable:  # negative mode: an operation without inputs has none to break
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert failures == [], "\n\n".join(failures)


def test_injection_strings_in_every_parameter_are_4xx(
    served: str, doc: dict[str, Any], token_headers: dict[str, str], recent_telemetry: list[str]
) -> None:
    tried = 0
    with httpx.Client(base_url=served, headers=token_headers, timeout=30) as client:
        for path, operations in doc["paths"].items():
            for method, operation in operations.items():
                names = [p for p in operation.get("parameters", []) if p["in"] != "cookie"]
                body = _body(doc, operation)
                for parameter in names + [{"in": "body", "name": n} for n in body]:
                    for evil in INJECTIONS:
                        answer = _call(client, method, path, names, body, parameter, evil)
                        tried += 1
                        where = (method, path, parameter["name"], evil)
                        if parameter["name"] in PROSE:
                            assert answer.status_code < 500, (where, answer.text[:300])
                            continue
                        assert 400 <= answer.status_code < 500, (where, answer.text[:300])
                        assert answer.headers["content-type"] == "application/problem+json"
    assert tried > 200


def _call(
    client: httpx.Client,
    method: str,
    path: str,
    parameters: list[dict[str, Any]],
    body: dict[str, Any],
    target: dict[str, Any],
    evil: str,
) -> httpx.Response:
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    url = path
    for p in parameters:
        value = evil if p is target else VALID.get(p["name"])
        if value is None and p is not target and not p.get("required"):
            continue
        value = value if value is not None else "x"
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", httpx.URL(f"/{value}").path.lstrip("/"))
        elif p["in"] == "query":
            query[p["name"]] = value
        elif p["in"] == "header":
            headers[p["name"]] = value
    payload = {
        k: (evil if target.get("in") == "body" and target["name"] == k else v)
        for k, v in body.items()
    }
    if path == STREAM:
        query.setdefault("max_events", "1")
    if path == LOG_TAIL:
        with client.stream(method.upper(), url, params=query, headers=headers) as answer:
            if answer.status_code >= 400:
                answer.read()
            return answer
    return client.request(method.upper(), url, params=query, headers=headers, json=payload or None)


def _body(doc: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return {}
    ref = content["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = doc["components"]["schemas"][ref]["properties"]
    return {name: VALID.get(name, "vae") for name in fields}
