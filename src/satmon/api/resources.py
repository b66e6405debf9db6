"""What one API process holds for its lifetime: pools and clients, opened on start."""

from __future__ import annotations

from dataclasses import dataclass, field

from satmon.api.feed import TelemetryFeed
from satmon.api.pipeline import PipelineSources
from satmon.api.queued import QueuedRows
from satmon.api.satellites import SatelliteDirectory
from satmon.api.upstream.kafka import Publisher
from satmon.api.upstream.postgres import Database
from satmon.api.upstream.vm import VictoriaMetricsReader
from satmon.settings import Settings


@dataclass
class Resources:
    settings: Settings
    db: Database
    vm: VictoriaMetricsReader
    publisher: Publisher
    satellites: SatelliteDirectory
    feed: TelemetryFeed
    queued: QueuedRows
    pipeline: PipelineSources = field(init=False)

    def __post_init__(self) -> None:
        self.pipeline = PipelineSources(self.settings)

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        """Create every client; none waits for its server (readiness reports them)."""
        db = Database(settings)
        db.open()
        vm = VictoriaMetricsReader(settings.vm_url, settings.api_dependency_timeout_s)
        satellites = SatelliteDirectory(
            vm, settings.api_satellite_cache_s, settings.api_satellite_lookback_s
        )
        feed = TelemetryFeed(settings)
        return cls(settings, db, vm, Publisher(settings), satellites, feed, QueuedRows(db))

    async def close(self) -> None:
        self.feed.close()
        self.publisher.close()
        await self.vm.close()
        self.db.close()
        await self.pipeline.close()
