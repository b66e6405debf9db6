"""When a component that exited is started again: ``Restart=on-failure`` with backoff.

The rules are systemd's, with a Kubernetes-style delay: an exit with status 0 or by
SIGTERM / SIGINT / SIGHUP / SIGPIPE is clean and ends the component; any other exit (a
crash, SIGKILL, a failed health check) restarts it after a delay that doubles with each
consecutive failure up to a cap, and resets once the component has run healthy for
``stable_s``. More than ``burst`` failures within ``window_s`` mark it failed: it stays
down, with its log, until ``satmon restart`` or ``satmon up --only``.
"""

from __future__ import annotations

import signal
from collections import deque
from dataclasses import dataclass, field

CLEAN_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE})


@dataclass(frozen=True)
class RestartPolicy:
    delay_s: float = 1.0
    max_delay_s: float = 30.0
    burst: int = 5
    window_s: float = 300.0
    stable_s: float = 60.0


def clean_exit(returncode: int | None) -> bool:
    """True for the exits ``Restart=on-failure`` leaves alone (``None``: unknown, a crash)."""
    if returncode is None:
        return False
    if returncode == 0:
        return True
    return returncode < 0 and -returncode in CLEAN_SIGNALS


def describe_exit(returncode: int | None) -> str:
    """``0``, ``1``, ``SIGKILL``: how a component's process ended."""
    if returncode is None:
        return "unknown"
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return str(returncode)


@dataclass
class Backoff:
    """The failures of one component and the delay before its next start."""

    policy: RestartPolicy
    consecutive: int = 0
    failures: deque[float] = field(default_factory=deque)

    def after_failure(self, now: float, ran_healthy_s: float) -> float | None:
        """The delay before the next start, or None: too many failures, give up."""
        if ran_healthy_s >= self.policy.stable_s:
            self.consecutive = 0
        self.consecutive += 1
        self.failures.append(now)
        while self.failures and self.failures[0] < now - self.policy.window_s:
            self.failures.popleft()
        if len(self.failures) > self.policy.burst:
            return None
        delay = self.policy.delay_s * 2 ** (self.consecutive - 1)
        return float(min(self.policy.max_delay_s, delay))

    def reset(self) -> None:
        """A person asked for the component again: forget its failures."""
        self.consecutive = 0
        self.failures.clear()
