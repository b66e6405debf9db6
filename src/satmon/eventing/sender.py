"""HTTP delivery of one event or one batch, with the subscription's retry policy.

:class:`Sender` owns the retry loop. An attempt's answer is classified by
:func:`satmon.eventing.delivery.classify`; waits between attempts honour the backoff
policy and ``Retry-After`` and end early when the dispatcher stops (the unit is then
abandoned, its offsets stay uncommitted and Kafka redelivers it later).

Batch answer contract (``application/cloudevents-batch+json``, see
``src/satmon/pipeline/README.md``):

* 2xx — every event is durable, except those listed in an optional JSON body
  ``{"rejected": [{"index": i, "id": ..., "source": ..., "status": 400, "detail" or
  "reason": ...}]}``: each of those failed permanently and is dead-lettered on its own;
* 404 / 409 / 429 / 5xx / no answer — transient: the whole batch is retried;
* any other 4xx — the batch as a whole was refused: its events are then delivered one
  by one in binary mode, so each gets its own verdict and a poison event cannot drag
  good ones into the DLQ.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from satmon.clients.responses import release
from satmon.eventing.delivery import DeliveryPolicy, Outcome, classify, parse_retry_after
from satmon.eventing.dlq import Failure
from satmon.eventing.records import Envelope, batch_json, binary_http

log = logging.getLogger(__name__)
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"


class Abandoned(Exception):
    """The dispatcher is stopping: leave the unit undone (it will be redelivered)."""


@dataclass(slots=True)
class Answer:
    status: int | None
    body: bytes
    retry_after: float | None
    error: str | None = None


@dataclass
class Verdict:
    """What became of a unit: delivered events and those to dead-letter (with why)."""

    delivered: list[Envelope] = field(default_factory=list)
    dead: list[tuple[Envelope, Failure]] = field(default_factory=list)
    attempts: int = 0
    retries: int = 0


class Sender:
    def __init__(
        self,
        url: str,
        policy: DeliveryPolicy,
        stop: threading.Event,
        client: httpx.Client,
        batched: bool = False,
    ) -> None:
        """``batched``: the subscriber accepts batched mode (one request per unit)."""
        self.url = url
        self.policy = policy
        self.stop = stop
        self.client = client
        self.batched = batched

    def send(self, envs: Sequence[Envelope]) -> Verdict:
        """Deliver ``envs`` as one batch, or one by one to a subscriber without batches."""
        return self.send_batch(envs) if self.batched else self.send_each(envs)

    # --- one event -----------------------------------------------------------------------
    def send_one(self, env: Envelope) -> Verdict:
        verdict = Verdict()
        headers, body = binary_http(env)
        answer = self._with_retries(headers, body, verdict)
        if classify(answer.status) is Outcome.ACCEPTED:
            verdict.delivered.append(env)
        else:
            verdict.dead.append((env, self._failure(answer, verdict.attempts)))
        return verdict

    def send_each(self, envs: Sequence[Envelope]) -> Verdict:
        """Every event in binary mode, each with its own retries and verdict."""
        verdict = Verdict()
        for env in envs:
            single = self.send_one(env)
            verdict.delivered.extend(single.delivered)
            verdict.dead.extend(single.dead)
            verdict.attempts += single.attempts
            verdict.retries += single.retries
        return verdict

    # --- a batch -------------------------------------------------------------------------
    def send_batch(self, envs: Sequence[Envelope]) -> Verdict:
        verdict = Verdict()
        body = batch_json(envs)
        answer = self._with_retries({"Content-Type": BATCH_CONTENT_TYPE}, body, verdict)
        outcome = classify(answer.status)
        if outcome is Outcome.ACCEPTED:
            rejected = _rejections(answer.body, envs)
            if not rejected:
                verdict.delivered.extend(envs)
                return verdict
            for index, env in enumerate(envs):
                entry = rejected.get(index)
                if entry is None:
                    verdict.delivered.append(env)
                else:
                    status = _int(entry.get("status"), 400)
                    reason = str(entry.get("reason") or entry.get("detail") or "rejected")
                    verdict.dead.append(
                        (
                            env,
                            Failure(
                                self.url,
                                f"rejected in batch: {reason}",
                                verdict.attempts,
                                status,
                                json.dumps(entry).encode(),
                            ),
                        )
                    )
            return verdict
        if outcome is Outcome.RETRY:  # retries exhausted
            failure = self._failure(answer, verdict.attempts)
            verdict.dead.extend((env, failure) for env in envs)
            return verdict
        log.info(
            "%s refused a batch (%s); delivering its %d events one by one",
            self.url,
            answer.status,
            len(envs),
        )
        singles = self.send_each(envs)
        singles.attempts += verdict.attempts
        singles.retries += verdict.retries
        return singles

    # --- the retry loop ------------------------------------------------------------------
    def _with_retries(self, headers: Mapping[str, str], body: bytes, verdict: Verdict) -> Answer:
        attempt = 0
        while True:
            if self.stop.is_set():
                raise Abandoned()
            attempt += 1
            verdict.attempts += 1
            answer = self.post(headers, body)
            outcome = classify(answer.status)
            if outcome is not Outcome.RETRY or attempt >= self.policy.attempts:
                return answer
            wait = self.policy.wait_before(attempt, answer.status, answer.retry_after)
            verdict.retries += 1
            log.debug("retry %d of %s in %.3fs (answer %s)", attempt, self.url, wait, answer.status)
            if self.stop.wait(wait):
                raise Abandoned()

    def post(self, headers: Mapping[str, str], body: bytes) -> Answer:
        try:
            response = self.client.post(
                self.url, content=body, headers=dict(headers), timeout=self.policy.timeout
            )
        except httpx.TimeoutException as exc:
            return Answer(None, b"", None, f"timeout after {self.policy.timeout}s: {exc!r}")
        except httpx.TransportError as exc:
            return Answer(None, b"", None, f"transport error: {exc!r}")
        answer = Answer(
            response.status_code,
            response.content,
            parse_retry_after(response.headers.get("Retry-After")),
        )
        release(response)
        return answer

    def _failure(self, answer: Answer, attempts: int) -> Failure:
        if answer.status is None:
            reason = f"no answer after {attempts} attempt(s): {answer.error}"
            return Failure(self.url, reason, attempts, None, answer.error)
        kind = "retries exhausted" if classify(answer.status) is Outcome.RETRY else "not retryable"
        return Failure(
            self.url,
            f"{kind}: HTTP {answer.status} after {attempts} attempt(s)",
            attempts,
            answer.status,
            answer.body,
        )


def _rejections(body: bytes, envs: Sequence[Envelope]) -> dict[int, Mapping[str, Any]]:
    """Map batch indexes to their ``rejected`` entries (by index, else by id + source)."""
    if not body or not body.lstrip().startswith(b"{"):
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    entries = parsed.get("rejected") if isinstance(parsed, dict) else None
    if not entries or not isinstance(entries, list):
        return {}
    by_identity = {env.identity(): i for i, env in enumerate(envs)}
    out: dict[int, Mapping[str, Any]] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        index = entry.get("index")
        if (
            isinstance(index, int)
            and 0 <= index < len(envs)
            and (entry.get("id") in (None, envs[index].attrs.get("id")))
        ):
            out[index] = entry
            continue
        found = by_identity.get((entry.get("id"), entry.get("source")))
        if found is not None:
            out[found] = entry
        else:
            log.warning("batch answer rejects an event not in the batch: %s", entry)
    return out


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
