"""The integrators' door: HTTP CloudEvents in, validated events on Kafka out.

Order of checks: method (405), bearer token (401 / 403), size (413), load (429), mode
and content type (415), attributes and data schema (400, naming the field). An event
is answered 202 only after Kafka acknowledged it (acks=all); an already accepted
``source`` + ``id`` is answered 200 and not produced again. A batch is all or
nothing: one bad event refuses the whole batch with the index in ``field``.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from cloudevents.http import CloudEvent
from pydantic_settings import BaseSettings, SettingsConfigDict

from satmon.clients.delivery import Overloaded, deliver
from satmon.contract.events import (
    TOPIC_REQUESTS,
    TOPIC_TELEMETRY,
    TYPE_FORECAST_REQUESTED,
    TYPE_TELEMETRY,
    parse_telemetry,
)
from satmon.contract.forecast import check_model, parse_request
from satmon.contract.http import (
    MODE_BATCH,
    HttpProblem,
    decode_request,
    is_json_media,
    problem_response,
)
from satmon.errors import PermanentError, TransientError
from satmon.store.dedupe import Dedupe, Key

log = logging.getLogger(__name__)

Response = tuple[str, int, dict[str, str]]
KNOWN_TYPES = {TYPE_TELEMETRY: TOPIC_TELEMETRY, TYPE_FORECAST_REQUESTED: TOPIC_REQUESTS}


class IngressSettings(BaseSettings):
    """``SATMON_INGRESS_*``: limits of the ingress function."""

    model_config = SettingsConfigDict(env_prefix="SATMON_INGRESS_", extra="ignore")

    accept_batch: bool = True
    max_body_bytes: int = 4 * 1024 * 1024
    max_batch: int = 1000
    max_in_flight: int = 64
    produce_timeout_s: float = 10.0
    retry_after_s: int = 1
    dedupe: str = "postgres"
    dedupe_ttl_s: float = 86_400.0


class Ingress:
    """One per process: holds the producer, the dedupe store and the in-flight limit."""

    def __init__(
        self, producer: Any, dedupe: Dedupe, token: str, settings: IngressSettings | None = None
    ) -> None:
        self.producer = producer
        self.dedupe = dedupe
        self.token = token
        self.settings = settings or IngressSettings()
        self._slots = threading.BoundedSemaphore(self.settings.max_in_flight)

    def handle(self, method: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Answer one HTTP request (body, status, headers)."""
        if method != "POST":
            return problem_response(
                405, f"{method} not allowed; POST CloudEvents here", None, {"Allow": "POST"}
            )
        denied = self._authorize(_header(headers, "authorization"))
        if denied:
            return denied
        if len(body) > self.settings.max_body_bytes:
            return problem_response(413, f"body over {self.settings.max_body_bytes} bytes", "body")
        if not self._slots.acquire(blocking=False):
            return self._overloaded("too many requests in flight")
        try:
            return self._accept(headers, body)
        finally:
            self._slots.release()

    def _accept(self, headers: Mapping[str, str], body: bytes) -> Response:
        try:
            decoded = decode_request(dict(headers), body, accept_batch=self.settings.accept_batch)
            batch = decoded.mode == MODE_BATCH
            if len(decoded.events) > self.settings.max_batch:
                raise HttpProblem(413, f"batch over {self.settings.max_batch} events", "body")
            records = [
                route_event(e, f"[{i}]." if batch else "") for i, e in enumerate(decoded.events)
            ]
        except HttpProblem as exc:
            return exc.to_response()
        fresh, duplicates = self._split_duplicates(records)
        try:
            deliver(self.producer, fresh, self.settings.produce_timeout_s)
        except Overloaded as exc:
            return self._overloaded(str(exc))
        except TransientError as exc:
            log.warning("ingress could not deliver: %s", exc)
            return problem_response(
                503, str(exc), None, {"Retry-After": str(self.settings.retry_after_s)}
            )
        self.dedupe.remember(_key(e) for _, e in fresh)
        status = 202 if fresh or not records else 200
        answer = {"accepted": len(fresh), "duplicates": duplicates}
        return json.dumps(answer), status, {"Content-Type": "application/json"}

    def _split_duplicates(
        self, records: Sequence[tuple[str, CloudEvent]]
    ) -> tuple[list[tuple[str, CloudEvent]], int]:
        seen = self.dedupe.seen(_key(e) for _, e in records)
        fresh: list[tuple[str, CloudEvent]] = []
        for topic, event in records:
            key = _key(event)
            if key in seen:
                continue
            seen.add(key)
            fresh.append((topic, event))
        return fresh, len(records) - len(fresh)

    def _authorize(self, header: str | None) -> Response | None:
        challenge = {"WWW-Authenticate": 'Bearer realm="satmon"'}
        if not header or not header.lower().startswith("bearer "):
            return problem_response(401, "a bearer token is required", "Authorization", challenge)
        given = header[7:].strip().encode()
        if not hmac.compare_digest(given, self.token.encode()):
            return problem_response(403, "the bearer token is not valid", "Authorization")
        return None

    def _overloaded(self, detail: str) -> Response:
        return problem_response(
            429, detail, None, {"Retry-After": str(self.settings.retry_after_s)}
        )


def route_event(event: CloudEvent, where: str = "") -> tuple[str, CloudEvent]:
    """Validate a known event type's data; returns (topic, normalised event) or raises 400."""
    event_type = event["type"]
    topic = KNOWN_TYPES.get(event_type)
    if topic is None:
        raise HttpProblem(
            400,
            f"unknown event type {event_type!r}; known: {', '.join(KNOWN_TYPES)}",
            where + "type",
        )
    content_type = event.get("datacontenttype")
    if content_type and not is_json_media(content_type):
        raise HttpProblem(
            400, f"{event_type} data must be JSON, not {content_type!r}", where + "datacontenttype"
        )
    attributes = dict(event.get_attributes())
    attributes["datacontenttype"] = "application/json"
    try:
        if event_type == TYPE_TELEMETRY:
            sample = parse_telemetry(event.get_data())
            attributes["partitionkey"] = sample.satellite_id
            data = sample.to_json_dict()
        else:
            request = parse_request(event)
            check_model(request)
            attributes["partitionkey"] = request.satellite_id
            data = request.model_dump(mode="json")
    except PermanentError as exc:
        raise HttpProblem(400, str(exc), where + (exc.field or "data")) from exc
    return topic, CloudEvent(attributes, data)


def _key(event: CloudEvent) -> Key:
    return (event["source"], event["id"])


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)
