"""Forecast jobs submitted through the operation API during a drill (no tests here).

One ``POST /api/v1/inference/submit`` every ``every_s`` for one of the stream's
satellites, as an operator would; a submit that gets no answer, a 5xx, a 429 or an
"unknown satellite" (the API has not seen the new fleet yet) is sent again with the same
``Idempotency-Key``, so a retried submit is still one job. The job ids it was given
must all show up as requests (and rows) in the drill's window.
"""

from __future__ import annotations

import threading
import time
import uuid

import httpx

from satmon.contract.events import METRICS
from satmon.settings import Settings


class ApiSubmitter:
    def __init__(self, settings: Settings, satellite: str, every_s: float = 2.0) -> None:
        self.url = f"http://{settings.api_host}:{settings.api_port}/api/v1/inference/submit"
        self.token = settings.api_token
        self.satellite = satellite
        self.every_s = every_s
        self.jobs: list[str] = []
        self.retries = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="api-submitter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(120)

    def _run(self) -> None:
        metrics = list(METRICS)
        with httpx.Client(timeout=10.0) as http:
            n = 0
            while not self._stop.wait(self.every_s):
                body = {
                    "satellite": self.satellite,
                    "metric": metrics[n % len(metrics)],
                    "model": "vae" if n % 2 else "transformer",
                }
                job = self._submit(http, body, f"drill-{uuid.uuid4().hex}")
                if job:
                    self.jobs.append(job)
                n += 1

    def _submit(self, http: httpx.Client, body: dict[str, str], key: str) -> str | None:
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                answer = http.post(self.url, json=body, headers=headers)
            except httpx.TransportError:
                self.retries += 1
                time.sleep(0.5)
                continue
            if answer.status_code == 202:
                return str(answer.json()["job_id"])
            if _retryable(answer):
                self.retries += 1
                time.sleep(float(answer.headers.get("Retry-After", "0.5")))
                continue
            self.errors.append(f"{answer.status_code} {answer.text[:200]}")
            return None
        self.errors.append("no 202 within 120 s")
        return None


def _retryable(answer: httpx.Response) -> bool:
    """Overload, a server error, or a satellite the API has not seen yet (it learns the
    fleet from VictoriaMetrics every few seconds)."""
    if answer.status_code == 429 or answer.status_code >= 500:
        return True
    return answer.status_code in (404, 422) and "unknown satellite" in answer.text
