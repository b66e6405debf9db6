"""The operation API: FastAPI over PostgreSQL, VictoriaMetrics and Kafka (``create_app``)."""

from satmon.api.app import create_app

__all__ = ["create_app"]
