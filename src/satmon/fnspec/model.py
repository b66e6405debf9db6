"""The typed shape of ``functions/<name>/func.yaml``: one description per function.

Everything about a function lives here once: how it is served (entry point and
signature), how it runs locally (port, workers, CPU priority), how it runs in a cluster
(image, concurrency, scale bounds, resources, the secret keys it reads) and which events
reach it (its triggers, with their delivery policy). The launcher reads it; the Knative
manifests in ``eventing/`` and the OpenFaaS ``stack.yml`` are rendered from it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"  # a Kubernetes object name (RFC 1123)
QUANTITY = re.compile(r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Strict):
    """How functions-framework finds and serves the function."""

    target: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """The entry point's name in main.py: unique across functions (functions-framework
    keys its registry by it)."""
    signature: Literal["cloudevent", "http"] = "cloudevent"
    """``cloudevent``: served by satmon.fnhost (binary, structured and batched mode);
    ``http``: plain functions-framework, the function decodes requests itself."""


class Local(_Strict):
    """The function as a process of the local stack."""

    port: int = Field(ge=1024, le=65535)
    workers: int = Field(1, ge=1, le=16)
    cpu: Literal["normal", "low"] = "normal"
    """``low``: it, and the dispatcher that delivers its triggers, run below the ingestion
    path's CPU priority (the launcher's ``nice``)."""


class Scale(_Strict):
    min: int = Field(0, ge=0)
    """0 lets Knative scale it to zero (OpenFaaS: ``com.openfaas.scale.zero``)."""
    max: int = Field(ge=1)
    target: int | None = Field(None, ge=1)
    """Concurrent requests per replica that Knative's autoscaler aims at."""

    @model_validator(mode="after")
    def _bounds_in_order(self) -> Scale:
        if self.min > self.max:
            raise ValueError(f"scale.min ({self.min}) is above scale.max ({self.max})")
        return self


class Resources(_Strict):
    requests: dict[Literal["cpu", "memory"], str] = Field(default_factory=dict)
    limits: dict[Literal["cpu", "memory"], str] = Field(default_factory=dict)

    @field_validator("requests", "limits")
    @classmethod
    def _quantities(cls, value: dict[str, str]) -> dict[str, str]:
        for key, quantity in value.items():
            if not QUANTITY.match(str(quantity)):
                raise ValueError(f"{key}: {quantity!r} is not a Kubernetes quantity (200m, 128Mi)")
        return value


class Cluster(_Strict):
    """The function as a Knative Service or an OpenFaaS function."""

    concurrency: int = Field(0, ge=0)
    """Requests one replica serves at once (``containerConcurrency``; 0: no limit)."""
    timeout_s: int = Field(30, ge=1, le=3600)
    scale: Scale
    resources: Resources = Field(default_factory=Resources)
    secrets: list[str] = Field(default_factory=list)
    """Keys of the Secret ``satmon-secrets`` it reads, named like its setting
    (``satmon_pg_password`` → ``SATMON_PG_PASSWORD``); configuration comes from the
    ConfigMap ``satmon-config``, never inline."""

    @field_validator("secrets")
    @classmethod
    def _setting_names(cls, value: list[str]) -> list[str]:
        for key in value:
            if not re.match(r"^satmon_[a-z0-9_]+$", key):
                raise ValueError(f"{key!r}: a secret key is a setting name like satmon_pg_password")
        return value


class Delivery(_Strict):
    """Knative's ``delivery`` block, in this file's spelling."""

    retry: int | None = Field(None, ge=0)
    backoff_policy: Literal["linear", "exponential"] | None = None
    backoff_delay: str | None = None
    timeout: str | None = None
    retry_after_max: str | None = None
    dead_letter: str | None = Field(None, pattern=NAME_PATTERN)
    """The Broker (a Kafka topic) dead letters go to."""

    @field_validator("backoff_delay", "timeout", "retry_after_max")
    @classmethod
    def _iso_duration(cls, value: str | None) -> str | None:
        from satmon.eventing.delivery import parse_duration

        if value is not None:
            parse_duration(value)  # ValueError names the bad text
        return value


class Batch(_Strict):
    max_events: int = Field(ge=1)
    """> 1: CloudEvents batches (only for functions that accept batched mode)."""
    max_wait_ms: float = Field(5.0, ge=0)


class Trigger(_Strict):
    """One subscription: a Knative Trigger on a Broker, or a KafkaSource on topics."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    broker: str | None = Field(None, pattern=NAME_PATTERN)
    """A Broker of ``eventing/brokers.yaml``: rendered as a Trigger."""
    filters: list[dict[str, Any]] = Field(default_factory=list)
    """Trigger only: Knative's filter expressions on attributes (exact, prefix, suffix,
    all, any, not)."""
    topics: list[str] | None = None
    """Kafka topics read directly: rendered as a KafkaSource."""
    consumer_group: str | None = None
    ordering: Literal["ordered", "unordered"]
    initial_offset: Literal["earliest", "latest"] = "earliest"
    delivery: Delivery | None = None
    """None: a Trigger takes its Broker's; a KafkaSource Knative's defaults."""
    batch: Batch | None = None
    max_in_flight: int | None = Field(None, ge=1)
    max_events_per_second: float | None = Field(None, gt=0, allow_inf_nan=False)
    invalid_records: Literal["dead-letter", "wrap"] = "dead-letter"
    """KafkaSource only: ``wrap`` delivers records that are not CloudEvents as Knative's
    KafkaSource does (``dev.knative.kafka.event``) instead of dead-lettering them."""

    @model_validator(mode="after")
    def _one_source(self) -> Trigger:
        if (self.broker is None) == (self.topics is None):
            raise ValueError("a trigger names either a broker or topics, not both or neither")
        if self.topics is not None and not self.topics:
            raise ValueError("topics: at least one topic")
        if self.topics is not None and self.filters:
            raise ValueError("filters need a broker (a KafkaSource delivers every record)")
        if self.broker is not None and self.consumer_group is not None:
            raise ValueError("consumer_group is for topics (a Trigger's group is derived)")
        if self.broker is not None and self.invalid_records != "dead-letter":
            raise ValueError("invalid_records is for topics (a KafkaSource)")
        from satmon.eventing.filters import compile_filters

        compile_filters(self.filters)  # FilterError (a ValueError) says where
        return self

    @property
    def kind(self) -> str:
        return "Trigger" if self.broker is not None else "KafkaSource"


class FunctionSpec(_Strict):
    """The whole description of one function (``functions/<name>/func.yaml``)."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str
    entry: Entry
    image: str = Field(pattern=r"^[a-z0-9./_:-]+:[A-Za-z0-9._-]+$")
    local: Local
    cluster: Cluster
    triggers: list[Trigger] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_trigger_names(self) -> FunctionSpec:
        names = [t.name for t in self.triggers]
        if len(names) != len(set(names)):
            raise ValueError(f"trigger names repeat: {names}")
        return self

    @property
    def folder(self) -> str:
        """The function's folder, relative to the repository root."""
        return f"functions/{self.name}"

    @property
    def source(self) -> str:
        return f"{self.folder}/main.py"
