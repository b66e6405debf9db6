"""``satmon fn run``: one function alone, wired to a dispatcher for its own triggers.

The function runs exactly as ``satmon up`` runs it (same command, port, workers and CPU
priority, same pid file and log under the run folder), and a local dispatcher delivers
its triggers only (``--only <trigger>…``, no PingSource). Both logs are echoed to the
terminal. A change to the function's folder, to the satmon package or to the manifests
restarts both, after rendering the manifests again from func.yaml; a description that
no longer loads is reported and the running pair kept until it does. SIGINT / SIGTERM
stop the dispatcher first (it commits what was delivered), then the function.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from satmon.errors import SatmonError
from satmon.fn.logs import LogFollower
from satmon.fnspec.load import FunctionSpecError, load_functions
from satmon.fnspec.model import FunctionSpec
from satmon.fnspec.render import write_rendered
from satmon.settings import Settings
from satmon.stack.components import function_process
from satmon.stack.process import FORECASTING_NICE, ProcessSpec, ProcessTable, port_open

POLL_S = 0.5
SETTLE_S = 0.3  # editors write in steps: wait for the burst of changes to end


class RunError(SatmonError):
    """The function cannot be started here (port taken, Kafka unreachable)."""


class FunctionRunner:
    def __init__(
        self,
        settings: Settings,
        name: str,
        say: Callable[[str], None],
        replace: bool = False,
    ) -> None:
        self.settings = settings
        self.root = settings.repo_root
        self.name = name
        self.say = say
        self.replace = replace
        self.table = ProcessTable(settings.run_dir)
        self.dispatcher_name = f"{name}-dispatcher"
        self._tails: dict[str, LogFollower] = {}

    def run(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set; restart on change; stop both processes at the end."""
        spec = self._load()
        self._claim_port(spec)
        if spec.triggers:
            self._require_kafka()
        watched = self._snapshot()
        try:
            self._start(spec)
            reported = False
            while not stop.wait(POLL_S):
                self._echo_logs()
                now = self._snapshot()
                if now != watched:
                    stop.wait(SETTLE_S)
                    spec = self._reload(spec)
                    watched, reported = self._snapshot(), False
                    continue
                if not reported and (dead := self._dead()):
                    self.say(f"{', '.join(dead)} exited; waiting for a change to restart")
                    reported = True
        finally:
            self._echo_logs()
            self._stop()

    # --- processes -------------------------------------------------------------------------
    def _start(self, spec: FunctionSpec) -> None:
        process = function_process(spec, self.settings)
        self._launch(process)
        deadline = time.monotonic() + process.start_timeout_s
        while not port_open(spec.local.port) and time.monotonic() < deadline:
            if not self._alive(spec.name):
                break
            self._echo_logs()
            time.sleep(0.2)
        if port_open(spec.local.port):
            self.say(f"{spec.name} listening on http://127.0.0.1:{spec.local.port}")
        else:
            self.say(f"{spec.name} did not start; fix it and save to restart")
            return
        if spec.triggers:
            self._launch(self._dispatcher(spec))
            names = ", ".join(f"{t.kind} {t.name}" for t in spec.triggers)
            self.say(f"dispatching {names} → {spec.name}")

    def _dispatcher(self, spec: FunctionSpec) -> ProcessSpec:
        only = [arg for t in spec.triggers for arg in ("--only", t.name)]
        manifests = str(self.root / "eventing")
        argv = [sys.executable, "-m", "satmon", "eventing", "dispatch", "--manifests", manifests]
        return ProcessSpec(
            name=self.dispatcher_name,
            kind="app",
            argv=[*argv, *only, "--no-pings"],
            cwd=self.root,
            nice=FORECASTING_NICE if spec.local.cpu == "low" else 0,
        )

    def _launch(self, process: ProcessSpec) -> None:
        self._tails[process.name] = LogFollower(self.table.log_path(process.name))
        self.table.start(process)

    def _stop(self) -> None:
        for name, timeout in ((self.dispatcher_name, 20.0), (self.name, 15.0)):
            if self.table.stop(name, timeout_s=timeout):
                self.say(f"stopped {name}")

    def _alive(self, name: str) -> bool:
        running = self.table.get(name)
        return running is not None and running.alive

    def _dead(self) -> list[str]:
        return [name for name in self._tails if self.table.get(name) and not self._alive(name)]

    def _echo_logs(self) -> None:
        for name, tail in self._tails.items():
            for line in tail.read_new():
                if line.strip():
                    self.say(f"[{name}] {line}")

    # --- description and changes ---------------------------------------------------------
    def _load(self) -> FunctionSpec:
        spec = load_functions(self.root).get(self.name)
        for rel in write_rendered(self.root):
            self.say(f"rendered {rel} from the descriptions")
        return spec

    def _reload(self, current: FunctionSpec) -> FunctionSpec:
        try:
            spec = self._load()
        except FunctionSpecError as exc:
            self.say(f"not restarting: {exc}")
            return current
        self.say("change seen: restarting")
        self._stop()
        if spec.local.port != current.local.port:
            self._claim_port(spec)
        self._start(spec)
        return spec

    def _snapshot(self) -> dict[Path, float]:
        """Modification times of what the function is made of."""
        folders = [
            self.root / "functions" / self.name,
            self.root / "eventing",
            Path(__file__).resolve().parents[1],  # the satmon package it runs on
        ]
        return {path: path.stat().st_mtime for path in _files(folders)}

    def _claim_port(self, spec: FunctionSpec) -> None:
        port = spec.local.port
        running = self.table.get(spec.name)
        if running is not None and running.alive:
            if not self.replace:
                raise RunError(
                    f"{spec.name} is already running (pid {running.pid}, log "
                    f"{self.table.log_path(spec.name)}): add --replace to stop it first"
                )
            self.table.stop(spec.name, timeout_s=15)
            self.say(f"stopped the running {spec.name}")
        if port_open(port):
            raise RunError(f"port {port} of {spec.name} is held by another process")

    def _require_kafka(self) -> None:
        from satmon.clients.kafka import broker_reachable

        if not broker_reachable(self.settings, timeout=5):
            raise RunError(
                f"Kafka is not reachable at {self.settings.kafka_bootstrap}, and the "
                "dispatcher needs it: start it with `satmon up --detach --only kafka`"
            )


def _files(folders: Iterable[Path]) -> Iterable[Path]:
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                yield path
