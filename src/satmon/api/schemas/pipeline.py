"""The pipeline's health: topics, consumer lag, dead letters, functions, Triton models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TopicRate(BaseModel):
    topic: str
    partitions: int
    retained: int = Field(description="messages Kafka holds (high − low watermark, summed)")
    end_offset: int = Field(description="the partitions' high watermarks, summed")
    arrived: int = Field(description="messages with a timestamp inside the window")
    rate_per_s: float = Field(description="arrived / window")
    dead_letter_topic: bool = Field(description="this is a <topic>.dlq")


class Topics(BaseModel):
    window_s: float
    topics: list[TopicRate]


class SubscriptionLag(BaseModel):
    name: str = Field(description="the KafkaSource or Trigger (eventing/*.yaml)")
    kind: str
    group: str = Field(description="its consumer group")
    topic: str
    subscriber: str = Field(description="the function it delivers to")
    committed: int | None = Field(description="committed offsets, summed; null: none yet")
    end_offset: int
    lag: int = Field(description="records not yet committed (end − committed, summed)")


class DeadLetter(BaseModel):
    topic: str = Field(description="the dead-letter topic")
    original_topic: str
    partition: int
    offset: int
    dead_lettered_at: datetime
    event_id: str | None
    event_type: str | None
    subscriber: str | None = Field(description="knativeerrordest: who gave up")
    reason: str | None
    error_code: int | None = Field(description="knativeerrorcode: the last HTTP status")
    error_data: str | None = Field(description="knativeerrordata: the last answer, decoded")
    attempts: int | None
    body: str = Field(description="the event's data (UTF-8, or base64 when binary), truncated")
    body_bytes: int
    body_truncated: bool


class DeadLetterCount(BaseModel):
    original_topic: str
    reason: str
    count: int = Field(description="among the newest records read (see `scanned`)")


class DeadLetters(BaseModel):
    total: int = Field(description="dead letters Kafka holds, over every <topic>.dlq")
    by_topic: dict[str, int]
    scanned: int = Field(description="newest records read for reasons and bodies")
    reasons: list[DeadLetterCount]
    recent: list[DeadLetter]


class FunctionHealth(BaseModel):
    name: str
    url: str
    up: bool = Field(description="its server answered its health route")
    health: str = Field(description="what the health route answered, or why not")
    subscriptions: list[str]
    arrived: int = Field(description="events on its subscriptions' topics in the window")
    dead_lettered: int = Field(description="its dead letters in the window")
    error_rate: float | None = Field(description="dead_lettered / arrived; null: nothing arrived")


class Functions(BaseModel):
    window_s: float
    functions: list[FunctionHealth]


class ModelHealth(BaseModel):
    name: str
    version: str | None
    state: str = Field(description="Triton's state: READY, UNAVAILABLE, LOADING…")
    reason: str | None
    inferences: int = Field(description="successful requests since Triton started")
    mean_ms: float | None = Field(description="mean request latency over those (queue + compute)")
    queue_ms: float | None
    compute_ms: float | None
    recent_inferences: int | None = Field(description="since the previous reading of this API")
    recent_mean_ms: float | None
    recent_window_s: float | None


class Models(BaseModel):
    models: list[ModelHealth]
