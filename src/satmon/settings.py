"""One place for satmon's settings: every field can be set as a ``SATMON_*`` env var.

Ports are the contract ports of ARCHITECTURE.md. PostgreSQL moves off 5432 when that
port is taken by somebody else; the launcher records the port it chose in the run
folder and ``Settings`` picks it up from there, so every client agrees without
anyone exporting variables by hand.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "satmon-dev-token", "secret"}


class Settings(BaseSettings):
    """Settings shared by the launcher, clients, functions and CLI."""

    model_config = SettingsConfigDict(env_prefix="SATMON_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development | production")
    run_dir: Path = Field(REPO_ROOT / ".satmon", description="data, logs and pid files")
    repo_root: Path = REPO_ROOT

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_controller_port: int = 9093
    kafka_heap: str = "512m"
    kafka_version: str = "4.1.1"

    vm_url: str = "http://127.0.0.1:8428"
    vm_retention: str = "1y"

    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "satmon"
    pg_password: str = "satmon"
    pg_database: str = "satmon"

    triton_host: str = "127.0.0.1"  # in a cluster: the Triton Service (eventing/cluster/)
    triton_http_port: int = 8500
    triton_grpc_port: int = 8501
    triton_metrics_port: int = 8502
    triton_model_repository: Path = REPO_ROOT / "triton" / "models"

    # forecast models: the NASA SMAP/MSL folder that `satmon models train/evaluate` read
    # (train/, test/, labeled_anomalies.csv; see data/nasa-smap-msl/README.md)
    nasa_root: Path = REPO_ROOT / "data" / "nasa-smap-msl"

    api_token: str = "satmon-dev-token"

    # stack supervision (satmon.stack.policy): Restart=on-failure with capped backoff
    restart_delay_s: float = 1.0  # before the first restart; doubles with each failure
    restart_delay_max_s: float = 30.0
    restart_burst: int = 5  # more failures than this within the window: marked failed
    restart_window_s: float = 300.0
    restart_stable_s: float = 60.0  # healthy this long: the delay starts over
    liveness_grace_s: float = 60.0  # a running component unhealthy this long is restarted

    # --- operation API (satmon.api) ---------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_read_token_required: bool = Field(False, description="reads need the token too")
    api_retry_after_s: int = Field(5, description="Retry-After of a 503 (a dependency is down)")
    api_pg_pool_size: int = 10
    api_dependency_timeout_s: float = Field(3.0, description="PostgreSQL / VictoriaMetrics wait")
    api_submit_timeout_s: float = Field(5.0, description="Kafka acknowledgement wait of a submit")
    api_kafka_linger_ms: int = 1
    api_satellite_lookback_s: float = Field(
        366 * 86400, description="how far back a satellite counts"
    )
    api_satellite_cache_s: float = 10.0
    api_default_buckets: int = 500
    api_raw_sample_limit: int = Field(5000, description="auto mode: samples up to this many")
    api_sse_heartbeat_s: float = 15.0

    # --- logs (VictoriaLogs and the log shipper) ----------------------------------------
    logs_url: str = Field("http://127.0.0.1:9428", description="VictoriaLogs")
    logs_retention: str = Field("30d", description="VictoriaLogs retention")
    logs_ship_poll_s: float = Field(0.1, description="how often the shipper reads the files")
    logs_tail_delay_s: float = Field(
        2.0, description="how far behind now /logs/tail reads the store (searchable p99 ≈ 1.1 s)"
    )
    logs_query_limit: int = Field(1000, description="most records one page of the API holds")

    # --- dashboard (ui/, python -m ui) ------------------------------------------------
    ui_host: str = "127.0.0.1"
    ui_port: int = 8080
    ui_api_url: str = Field("", description="the API the dashboard calls; default api_host:port")

    # --- alarm-evaluator (satmon.pipeline.alarm_evaluator) ---------------------------
    alarm_stale_factor: float = Field(3.0, description="stale after this many cadences")
    alarm_stale_min_s: float = Field(2.0, description="never stale sooner than this")
    alarm_stale_forget_s: float = Field(
        86400.0, description="a satellite silent this long is not newly alarmed as stale"
    )
    alarm_anomaly_model: str = "vae_timeseries"
    alarm_anomaly_threshold: float = Field(
        0.8, description="anomaly score over which an outcome without its own threshold alarms"
    )
    alarm_publish_timeout_s: float = Field(5.0, description="Kafka acknowledgement wait")
    alarm_outbox_after_s: float = Field(
        2.0, description="a step not on Kafka after this long is re-published on a tick"
    )

    @model_validator(mode="before")
    @classmethod
    def _ports_chosen_by_launcher(cls, data: Any) -> Any:
        """Fill ports the launcher picked (recorded in run_dir/ports.json) unless set."""
        if not isinstance(data, dict):
            return data
        run_dir = Path(data.get("run_dir") or REPO_ROOT / ".satmon")
        ports_file = run_dir / "ports.json"
        if ports_file.exists():
            for key, value in json.loads(ports_file.read_text()).items():
                data.setdefault(key, value)
        return data

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment != "development":
            for name in ("api_token", "pg_password"):
                if getattr(self, name) in PLACEHOLDER_SECRETS | {"satmon"}:
                    raise ValueError(
                        f"SATMON_{name.upper()} must be set to a real secret in {self.environment}"
                    )
        return self

    @property
    def pg_dsn(self) -> str:
        return (
            f"host={self.pg_host} port={self.pg_port} dbname={self.pg_database} "
            f"user={self.pg_user} password={self.pg_password}"
        )

    @property
    def triton_http_url(self) -> str:
        return f"{self.triton_host}:{self.triton_http_port}"

    @property
    def logs_dir(self) -> Path:
        return self.run_dir / "logs"


@lru_cache
def get_settings() -> Settings:
    # Secrets may also be files named like the variable (satmon_pg_password) in the
    # folder $SATMON_SECRETS_DIR: how OpenFaaS hands a function its secrets.
    return Settings(_secrets_dir=os.environ.get("SATMON_SECRETS_DIR") or None)
