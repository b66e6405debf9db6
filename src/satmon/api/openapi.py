"""The OpenAPI document: every error response is a problem (``application/problem+json``)
and every route that reaches a dependency documents its 503."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from satmon.api.problems import PROBLEM_SCHEMA, TITLES

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
NO_DEPENDENCY = {"/healthz"}


def build(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["Problem"] = PROBLEM_SCHEMA
    for path, operations in doc.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": "the body is not UTF-8 JSON"})
            if path not in NO_DEPENDENCY:
                responses.setdefault("503", {"description": "a dependency is down (named)"})
                responses["503"].setdefault(
                    "headers",
                    {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
                )
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
                    if response.get("description") == "Validation Error":
                        response["description"] = TITLES[422] + ": the field and what it takes"
    return doc
