"""ingress: integrators POST CloudEvents (binary, structured, batched) → Kafka, 202 once acked."""

import flask
import functions_framework

from satmon.fnhost import clients
from satmon.fnhost.bodies import read_body
from satmon.fnhost.problems import install_error_handlers
from satmon.pipeline.ingress import Ingress, IngressSettings
from satmon.settings import get_settings
from satmon.store.dedupe import MemoryDedupe, PostgresDedupe

install_error_handlers()


@functions_framework.http
def ingest_cloudevent(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Answer 202 once Kafka has the event(s); problem+json naming the field otherwise."""
    ingress = _ingress()
    body = read_body(request, ingress.body_limit().max_bytes)
    return ingress.handle(request.method, request.headers, body, request.path)


@clients.once
def _ingress() -> Ingress:
    settings = IngressSettings()
    memory = MemoryDedupe()
    dedupe = (
        PostgresDedupe(clients.db_pool, settings.dedupe_ttl_s, memory)
        if settings.dedupe == "postgres"
        else memory
    )
    return Ingress(
        clients.producer(),
        dedupe,
        get_settings().api_token,
        settings,
        batches=clients.batch_producers(),
        kafka_limit=clients.kafka_record_limit().current,
    )
