"""ingress: integrators POST CloudEvents (binary, structured, batched) → Kafka, 202 once acked."""

import flask
import functions_framework

from satmon.fnhost import clients
from satmon.fnhost.host import HEALTH_PATHS
from satmon.pipeline.ingress import Ingress, IngressSettings
from satmon.settings import get_settings
from satmon.store.dedupe import MemoryDedupe, PostgresDedupe


@functions_framework.http
def ingest_cloudevent(request: flask.Request) -> flask.typing.ResponseReturnValue:
    """Answer 202 once Kafka has the event(s); problem+json naming the field otherwise."""
    if request.method == "GET" and request.path in HEALTH_PATHS:  # the readiness probe
        return "OK", 200
    return _ingress().handle(request.method, request.headers, request.get_data())


@clients.once
def _ingress() -> Ingress:
    settings = IngressSettings()
    memory = MemoryDedupe()
    dedupe = (
        PostgresDedupe(clients.db_pool, settings.dedupe_ttl_s, memory)
        if settings.dedupe == "postgres"
        else memory
    )
    return Ingress(clients.producer(), dedupe, get_settings().api_token, settings)
