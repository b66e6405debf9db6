"""``SATMON_INGRESS_*``: the limits and the webhook permissions of the ingress function."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class IngressSettings(BaseSettings):
    """Limits of the ingress. The body limit is Kafka's (``clients.kafka_limits``);
    ``max_body_bytes`` can only lower it."""

    model_config = SettingsConfigDict(env_prefix="SATMON_INGRESS_", extra="ignore")

    accept_batch: bool = True
    max_body_bytes: int | None = Field(None, gt=0, description="a cap below Kafka's limit")
    max_batch: int = 1000
    max_in_flight: int = 64
    produce_timeout_s: float = 10.0
    retry_after_s: int = 1
    dedupe: str = "postgres"
    dedupe_ttl_s: float = 86_400.0
    batch_producers: int = Field(2, ge=1, description="transactional producers for batches")
    webhook_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins granted by the webhook handshake; * = all"
    )
    webhook_allowed_rate: int | None = Field(None, gt=0, description="requests/min; None = *")

    @field_validator("webhook_allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """``a.example.com,b.example.com`` (or a JSON list) from the environment."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value
