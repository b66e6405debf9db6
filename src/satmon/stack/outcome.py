"""How a requested start ends: healthy, or failed with a reason and the log's last lines."""

from __future__ import annotations

import threading

from satmon.errors import SatmonError


class ComponentFailed(SatmonError):
    def __init__(self, name: str, reason: str, log_tail: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
        self.log_tail = log_tail


class Outcome:
    """The result of one requested start: healthy (``error is None``) or failed."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self.error: ComponentFailed | None = None

    def settle(self, error: ComponentFailed | None) -> None:
        if not self._done.is_set():
            self.error = error
            self._done.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()
