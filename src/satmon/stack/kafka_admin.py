"""Consumer-group questions to Kafka, asked from a child process.

librdkafka can crash the process that asks: a supervisor here died of a segfault in
librdkafka's main thread while its offset sampler asked for the committed offsets of a
group whose coordinator was still loading (a known librdkafka failure of OffsetFetch
outside a consumer). The supervisor must outlive any such crash, so these requests
run in one long-lived worker process; when the worker dies the request fails and the
next one starts a new worker. Inside the worker, committed offsets are read and
written through a consumer of the group itself (never joining it), the path librdkafka
uses for its own consumers.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from satmon.errors import SatmonError

Offsets = dict[tuple[str, int], int]  # (topic, partition) → offset


class KafkaAdminUnavailable(SatmonError):
    """Kafka did not answer (or the worker that asks it died)."""


class IsolatedAdmin:
    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def group_states(self, groups: list[str]) -> dict[str, tuple[str, int]]:
        """group → (state name, member count)."""
        result: dict[str, tuple[str, int]] = self._call("group_states", groups)
        return result

    def committed(self, group: str, topics: list[str]) -> Offsets:
        result: Offsets = self._call("committed", group, topics)
        return result

    def commit(self, group: str, offsets: Offsets) -> None:
        """Set ``group``'s committed offsets (Kafka refuses while the group has members)."""
        self._call("commit", group, offsets)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _call(self, op: str, *args: Any, timeout: float = 20.0) -> Any:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    1, mp_context=context, initializer=_ignore_interrupts
                )
            pool = self._pool
        try:
            future: Future[Any] = pool.submit(_run, op, self.bootstrap, *args)
            return future.result(timeout)
        except BrokenProcessPool as exc:
            self._discard(pool)
            raise KafkaAdminUnavailable("the Kafka admin worker died") from exc
        except TimeoutError as exc:  # a stuck worker is replaced, not waited for
            self._discard(pool)
            raise KafkaAdminUnavailable(f"Kafka did not answer within {timeout:.0f}s") from exc
        except KafkaAdminUnavailable:
            raise
        except Exception as exc:  # Kafka's answer, as a RuntimeError (see _run)
            raise KafkaAdminUnavailable(str(exc)) from exc

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


# --- run in the worker -------------------------------------------------------------------
_ADMINS: dict[str, Any] = {}
_CONSUMERS: dict[tuple[str, str], Any] = {}


def _ignore_interrupts() -> None:
    """Ctrl-C reaches the whole foreground process group: the supervisor acts on it and
    closes this worker; the worker itself must not die of it (with a traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(op: str, bootstrap: str, *args: Any) -> Any:
    """One request. Any failure comes back as a RuntimeError with Kafka's words (its own
    exceptions do not pickle), and the clients are made anew for the next request: after
    a broker restart, the old ones here kept failing."""
    try:
        return _OPS[op](bootstrap, *args)
    except Exception as exc:
        _forget_clients()
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None


def _forget_clients() -> None:
    for consumer in _CONSUMERS.values():
        with contextlib.suppress(Exception):  # already broken: nothing to close cleanly
            consumer.close()
    _CONSUMERS.clear()
    _ADMINS.clear()


def _admin(bootstrap: str) -> Any:
    from confluent_kafka.admin import AdminClient

    if bootstrap not in _ADMINS:
        _ADMINS[bootstrap] = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    return _ADMINS[bootstrap]


def _group_states(bootstrap: str, groups: list[str]) -> dict[str, tuple[str, int]]:
    futures = _admin(bootstrap).describe_consumer_groups(groups, request_timeout=5)
    out = {}
    for group, future in futures.items():
        description = future.result(timeout=10)
        out[group] = (description.state.name, len(description.members))
    return out


def _group_consumer(bootstrap: str, group: str) -> Any:
    """A consumer of ``group`` that never subscribes (so never joins), kept for reuse."""
    from confluent_kafka import Consumer

    key = (bootstrap, group)
    if key not in _CONSUMERS:
        _CONSUMERS[key] = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "log_level": 0,
            }
        )
    return _CONSUMERS[key]


def _committed(bootstrap: str, group: str, topics: list[str]) -> Offsets:
    from confluent_kafka import TopicPartition

    consumer = _group_consumer(bootstrap, group)
    wanted = []
    for topic in topics:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        wanted += [TopicPartition(topic, p) for p in meta.partitions]
    found = consumer.committed(wanted, timeout=10)
    return {(tp.topic, tp.partition): tp.offset for tp in found if tp.offset >= 0}


def _commit(bootstrap: str, group: str, offsets: Offsets) -> None:
    from confluent_kafka import TopicPartition

    wanted = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
    _group_consumer(bootstrap, group).commit(offsets=wanted, asynchronous=False)


_OPS: dict[str, Any] = {"group_states": _group_states, "committed": _committed, "commit": _commit}
