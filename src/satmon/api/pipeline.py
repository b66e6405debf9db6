"""What the pipeline page reads, opened once per API process: Kafka's topics, groups and
dead-letter topics, Triton's models, the functions' health routes, and the eventing
manifests that say which consumer group delivers which topic to which function."""

from __future__ import annotations

import asyncio
import base64
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import httpx

from satmon.api.upstream.kafka_admin import KafkaAdminReader, Record
from satmon.api.upstream.triton_stats import TritonStatsReader
from satmon.eventing.dlq import decode_error_data
from satmon.eventing.manifests import Subscription, load_topology
from satmon.settings import Settings

DLQ_SUFFIX = ".dlq"
BODY_MAX = 2048
"""Bytes of a dead letter's body shown; the rest is counted, not sent."""


class PipelineSources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        timeout = settings.api_dependency_timeout_s
        self.kafka = KafkaAdminReader(settings, timeout)
        self.triton = TritonStatsReader(f"http://127.0.0.1:{settings.triton_http_port}", timeout)
        self._http = httpx.AsyncClient(timeout=2.0)

    @cached_property
    def subscriptions(self) -> list[Subscription]:
        """The KafkaSources and Triggers of ``eventing/`` (what the dispatcher runs)."""
        topology = load_topology(self.settings.repo_root / "eventing", validate=False)
        return list(topology.subscriptions)

    async def close(self) -> None:
        self.kafka.close()
        await self.triton.close()
        await self._http.aclose()

    async def health(self, url: str) -> tuple[bool, str]:
        """Whether a function's server answers ``GET /_/health``, and what it said."""
        parts = urlsplit(url)
        try:
            answer = await self._http.get(f"{parts.scheme}://{parts.netloc}/_/health")
        except httpx.TransportError as exc:
            return False, f"no answer ({type(exc).__name__})"
        return answer.status_code < 500, f"{answer.status_code} {answer.reason_phrase}"

    async def healths(self, urls: Sequence[str]) -> list[tuple[bool, str]]:
        return list(await asyncio.gather(*(self.health(u) for u in urls)))


def function_name(sub: Subscription) -> str:
    return sub.sink.name or urlsplit(sub.sink.url).netloc


def dead_letter(record: Record) -> dict[str, Any]:
    """A record of a ``<topic>.dlq`` as the API shows it (its headers decoded)."""
    headers = record.headers

    def text(name: str) -> str | None:
        value = headers.get(name)
        return value.decode("utf-8", errors="replace") if value else None

    raw_error = headers.get("ce_knativeerrordata")
    error_data = None
    if raw_error:
        try:
            error_data = decode_error_data(raw_error).decode("utf-8", errors="replace")
        except ValueError:
            error_data = raw_error.decode("utf-8", errors="replace")
    body, encoded = record.value[:BODY_MAX], ""
    try:
        encoded = body.decode("utf-8")
    except UnicodeDecodeError:
        encoded = base64.b64encode(body).decode()
    code, attempts = text("ce_knativeerrorcode"), text("ce_satmonattempts")
    return {
        "topic": record.topic,
        "original_topic": record.topic.removesuffix(DLQ_SUFFIX),
        "partition": record.partition,
        "offset": record.offset,
        "dead_lettered_at": datetime.fromtimestamp(record.timestamp_ms / 1000, UTC),
        "event_id": text("ce_id"),
        "event_type": text("ce_type"),
        "subscriber": text("ce_knativeerrordest"),
        "reason": text("ce_satmonreason"),
        "error_code": int(code) if code and code.isdigit() else None,
        "error_data": error_data,
        "attempts": int(attempts) if attempts and attempts.isdigit() else None,
        "body": encoded,
        "body_bytes": len(record.value),
        "body_truncated": len(record.value) > BODY_MAX,
    }


def reason_counts(letters: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = Counter((d["original_topic"], d["reason"] or "no reason recorded") for d in letters)
    return [
        {"original_topic": topic, "reason": reason, "count": n}
        for (topic, reason), n in counts.most_common()
    ]


def dead_lettered_by(letters: Sequence[dict[str, Any]], sub: Subscription) -> int:
    """Dead letters a subscription's subscriber gave up on (matched by its URL)."""
    return sum(1 for d in letters if d["subscriber"] and d["subscriber"] == sub.sink.url)


def now_ms() -> int:
    return int(time.time() * 1000)
