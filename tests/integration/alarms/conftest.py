"""Fixtures of the alarm tests: the evaluator in-process on the real servers, and the
satellites a test made (their alarms, state and limits removed afterwards)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from satmon.clients.kafka import ensure_topics, make_admin
from satmon.contract.events import TOPIC_ALARMS
from satmon.fnhost import clients
from satmon.fnhost.host import create_function_app
from satmon.settings import REPO_ROOT
from tests.integration.alarms.support import forget

SOURCE = str(REPO_ROOT / "functions" / "alarm-evaluator" / "main.py")


@pytest.fixture(scope="module")
def evaluator(kafka_bootstrap: str) -> Any:
    """The alarm-evaluator's Flask app (functions-framework + the satmon host)."""
    clients.db_pool.reset()  # type: ignore[attr-defined]
    ensure_topics(make_admin(), [TOPIC_ALARMS])
    return create_function_app(SOURCE, "evaluate_alarms").test_client()


@pytest.fixture
def made(pg: psycopg.Connection) -> Iterator[list[str]]:
    """Append the satellites a test uses; what they left is removed at the end."""
    names: list[str] = []
    yield names
    forget(pg, names)
