"""The API's dependencies in one place, as ``Annotated`` aliases routes declare.

``DatabaseDep`` (PostgreSQL pool), ``VictoriaMetricsDep``, ``PublisherDep`` (Kafka
producer), ``CallerToken`` (a verified bearer token: every write declares it),
``LogStoreDep`` (VictoriaLogs), ``Satellite`` (a ``satellite`` query parameter that
names a known satellite) and the time ranges. Reads are open unless
``SATMON_API_READ_TOKEN_REQUIRED`` is set; the routers of reads depend on
:func:`read_access` for that.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from satmon.api.feed import TelemetryFeed
from satmon.api.pipeline import PipelineSources
from satmon.api.problems import Problem
from satmon.api.queued import QueuedRows
from satmon.api.ranges import TimeRange, range_query
from satmon.api.resources import Resources
from satmon.api.satellites import SatelliteDirectory
from satmon.api.upstream.kafka import Publisher
from satmon.api.upstream.logs import LogStoreReader
from satmon.api.upstream.postgres import Database
from satmon.api.upstream.vm import VictoriaMetricsReader
from satmon.contract.events import SATELLITE_ID_PATTERN
from satmon.settings import Settings

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="`Authorization: Bearer <SATMON_API_TOKEN>`; writes always need it",
)


async def resources(request: Request) -> Resources:
    held: Resources = request.app.state.resources
    return held


ResourcesDep = Annotated[Resources, Depends(resources)]
# every dependency here is ``async``: a plain ``def`` would cost a thread hop per request


async def settings(request: Request) -> Settings:
    config: Settings = request.app.state.settings
    return config


async def database(held: ResourcesDep) -> Database:
    return held.db


async def victoria_metrics(held: ResourcesDep) -> VictoriaMetricsReader:
    return held.vm


async def publisher(held: ResourcesDep) -> Publisher:
    return held.publisher


async def satellites(held: ResourcesDep) -> SatelliteDirectory:
    return held.satellites


async def pipeline_sources(held: ResourcesDep) -> PipelineSources:
    return held.pipeline


async def feed(held: ResourcesDep) -> TelemetryFeed:
    return held.feed


async def queued_rows(held: ResourcesDep) -> QueuedRows:
    return held.queued


async def log_store(held: ResourcesDep) -> LogStoreReader:
    return held.logs


SettingsDep = Annotated[Settings, Depends(settings)]
DatabaseDep = Annotated[Database, Depends(database)]
VictoriaMetricsDep = Annotated[VictoriaMetricsReader, Depends(victoria_metrics)]
PublisherDep = Annotated[Publisher, Depends(publisher)]
SatellitesDep = Annotated[SatelliteDirectory, Depends(satellites)]
FeedDep = Annotated[TelemetryFeed, Depends(feed)]
PipelineDep = Annotated[PipelineSources, Depends(pipeline_sources)]
QueuedRowsDep = Annotated[QueuedRows, Depends(queued_rows)]
LogStoreDep = Annotated[LogStoreReader, Depends(log_store)]


async def caller_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's bearer token, compared in constant time; 401 + WWW-Authenticate if not.

    The settings come straight from the app (not through ``SettingsDep``): every
    dependency FastAPI resolves costs a submit measurable time."""
    config: Settings = request.app.state.settings
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(
            401,
            "this needs Authorization: Bearer <token> (the SATMON_API_TOKEN of the server)",
            "header.Authorization",
            {"WWW-Authenticate": 'Bearer realm="satmon"'},
        )
    given = credentials.credentials.encode()
    if not hmac.compare_digest(given, config.api_token.encode()):
        raise Problem(
            401,
            "the bearer token is not valid",
            "header.Authorization",
            {"WWW-Authenticate": 'Bearer realm="satmon", error="invalid_token"'},
        )
    return credentials.credentials


CallerToken = Annotated[str, Depends(caller_token)]


async def read_access(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Reads are open unless the setting asks for the token on them too."""
    if request.app.state.settings.api_read_token_required:
        await caller_token(request, credentials)


async def known_satellite(
    directory: SatellitesDep,
    satellite: Annotated[
        str,
        Query(
            min_length=1,
            max_length=64,
            pattern=SATELLITE_ID_PATTERN,
            description="a satellite id with stored telemetry (GET /trends/satellites)",
            examples=["SAT-001"],
        ),
    ],
) -> str:
    return await directory.require(satellite)


Satellite = Annotated[str, Depends(known_satellite)]
TrendRange = Annotated[TimeRange, Depends(range_query("1h"))]
OptionalRange = Annotated[TimeRange | None, Depends(range_query(None))]
