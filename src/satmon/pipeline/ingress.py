"""The integrators' door: HTTP CloudEvents in, validated events on Kafka out.

Order of checks: the webhook handshake (``OPTIONS``), health (``GET /healthz``),
method (405), bearer token (401 / 403), size (413, the limit Kafka takes:
``ingress_limits``), load (429), mode and content type (415), attributes and data
schema (400, naming the field), each event's Kafka record size (413). An event is
answered 202 only after Kafka acknowledged it (acks=all); an already accepted
``source`` + ``id`` is answered 200 and not produced again.

A batch is all or nothing: one bad event refuses the whole batch with its index in
``field``, and a valid batch is produced in one Kafka transaction
(``clients.transactions``), so that a failure halfway leaves no event of it visible
to consumers. The client resends the batch as it was; nothing of it is a duplicate.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cloudevents.http import CloudEvent

from satmon.clients.delivery import Overloaded, deliver
from satmon.clients.kafka_limits import LIBRDKAFKA_MESSAGE_MAX_BYTES, RecordLimit, RecordTooLarge
from satmon.clients.transactions import TransactionalProducers, deliver_atomically
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
    MODE_BINARY,
    HttpProblem,
    Response,
    check_text,
    decode_request,
    is_json_media,
    problem_response,
    refuse_duplicate_members,
    retry_later,
    webhook_handshake,
)
from satmon.errors import PermanentError, TransientError
from satmon.pipeline.ingress_limits import (
    body_too_large,
    check_records,
    effective_limit,
    refused_by_kafka,
)
from satmon.pipeline.ingress_settings import IngressSettings
from satmon.store.dedupe import Dedupe, Key

log = logging.getLogger(__name__)

KNOWN_TYPES = {TYPE_TELEMETRY: TOPIC_TELEMETRY, TYPE_FORECAST_REQUESTED: TOPIC_REQUESTS}
TOPICS = tuple(KNOWN_TYPES.values())
HEALTH_PATHS = frozenset(("/healthz", "/_/health"))
DEFAULT_LIMIT = RecordLimit(
    LIBRDKAFKA_MESSAGE_MAX_BYTES,
    f"the producer's message.max.bytes ({LIBRDKAFKA_MESSAGE_MAX_BYTES:,} bytes)",
)
ORIGINS_SETTING = "SATMON_INGRESS_WEBHOOK_ALLOWED_ORIGINS"

__all__ = ["Ingress", "IngressSettings", "route_event"]


class Ingress:
    """One per process: the producers, the dedupe store, the size limit, the in-flight cap."""

    def __init__(
        self,
        producer: Any,
        dedupe: Dedupe,
        token: str,
        settings: IngressSettings | None = None,
        *,
        batches: TransactionalProducers | None = None,
        kafka_limit: Callable[[], RecordLimit] | None = None,
    ) -> None:
        self.producer = producer
        self.dedupe = dedupe
        self.token = token
        self.settings = settings or IngressSettings()
        self.batches = batches
        self.kafka_limit = kafka_limit or (lambda: DEFAULT_LIMIT)
        self._slots = threading.BoundedSemaphore(self.settings.max_in_flight)

    def body_limit(self) -> RecordLimit:
        """The largest body (and Kafka record) accepted now."""
        return effective_limit(self.kafka_limit(), self.settings.max_body_bytes)

    def handle(
        self, method: str, headers: Mapping[str, str], body: bytes | None, path: str = "/"
    ) -> Response:
        """Answer one HTTP request (body, status, headers). ``body`` None: it was over
        ``body_limit()`` and left unread."""
        if method == "OPTIONS":
            how = f"allowed origins are set by {ORIGINS_SETTING}"
            origins = self.settings.webhook_allowed_origins
            return webhook_handshake(headers, origins, self.settings.webhook_allowed_rate, how)
        if method == "GET" and path in HEALTH_PATHS:
            return "OK", 200, {"Content-Type": "text/plain"}
        if method != "POST":
            return problem_response(
                405, f"{method} not allowed; POST CloudEvents here", None, {"Allow": "POST"}
            )
        denied = self._authorize(_header(headers, "authorization"))
        if denied:
            return denied
        limit = self.body_limit()
        if body is None or len(body) > limit.max_bytes:
            return body_too_large(None if body is None else len(body), limit).to_response()
        if not self._slots.acquire(blocking=False):
            return self._overloaded("too many requests in flight")
        try:
            return self._accept(headers, body, limit)
        finally:
            self._slots.release()

    def _accept(self, headers: Mapping[str, str], body: bytes, limit: RecordLimit) -> Response:
        try:
            decoded = decode_request(dict(headers), body, accept_batch=self.settings.accept_batch)
            if decoded.mode != MODE_BINARY or is_json_media(_header(headers, "content-type")):
                refuse_duplicate_members(body)
            batch = decoded.mode == MODE_BATCH
            if len(decoded.events) > self.settings.max_batch:
                raise HttpProblem(413, f"batch over {self.settings.max_batch} events", "body")
            records = [
                route_event(e, f"[{i}]." if batch else "") for i, e in enumerate(decoded.events)
            ]
            check_records(records, limit, batch)
        except HttpProblem as exc:
            return exc.to_response()
        fresh, duplicates = self._split_duplicates(records)
        try:
            self._deliver(fresh, batch)
        except Overloaded as exc:
            return self._overloaded(str(exc))
        except RecordTooLarge as exc:
            return refused_by_kafka(exc, limit).to_response()
        except TransientError as exc:
            log.warning("ingress could not deliver: %s", exc)
            return retry_later(503, str(exc), self.settings.retry_after_s)
        self.dedupe.remember(_key(e) for _, e in fresh)
        status = 202 if fresh or not records else 200
        answer = {"accepted": len(fresh), "duplicates": duplicates}
        return json.dumps(answer), status, {"Content-Type": "application/json"}

    def _deliver(self, records: Sequence[tuple[str, CloudEvent]], batch: bool) -> None:
        timeout = self.settings.produce_timeout_s
        if batch and len(records) > 1 and self.batches is not None:
            deliver_atomically(self.batches, records, timeout)
        elif batch and len(records) > 1:
            raise TransientError("batches need a transactional producer; none is configured")
        else:
            deliver(self.producer, records, timeout)

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
        return retry_later(429, detail, self.settings.retry_after_s)


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
    for name, value in attributes.items():
        if isinstance(value, str):
            check_text(value, where + name)
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
