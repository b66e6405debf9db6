"""The table of components the launcher knows, in start order, with their health checks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from satmon.fnspec.load import load_functions
from satmon.fnspec.model import FunctionSpec
from satmon.fnspec.serve import server_argv
from satmon.settings import REPO_ROOT, Settings
from satmon.stack import probes
from satmon.stack.process import FORECASTING_NICE, ProcessSpec


@dataclass(frozen=True)
class Replay:
    """After the component comes back from a crash, ``dispatcher`` redelivers what its
    ``subscriptions`` delivered in the ``window_s`` before the crash (``stack/replay.py``)."""

    dispatcher: str
    subscriptions: tuple[str, ...]
    window_s: float


@dataclass(frozen=True)
class Component:
    name: str
    tier: str  # "server" starts first; "app" once every server is healthy
    build: Callable[[Settings], ProcessSpec]
    health: Callable[[Settings], bool]  # the component's own probe (stack/probes.py)
    stop_timeout_s: float = 20.0
    default: bool = True  # part of a plain `satmon up`
    replay: Replay | None = None  # a store that loses its newest writes in a crash


def _vm(settings: Settings) -> ProcessSpec:
    from satmon.stack.servers import victoriametrics_spec

    return victoriametrics_spec(settings)


def _kafka(settings: Settings) -> ProcessSpec:
    from satmon.stack.servers import kafka_spec

    return kafka_spec(settings)


def _postgres(settings: Settings) -> ProcessSpec:
    from satmon.stack.postgres import postgres_spec

    return postgres_spec(settings)


def _triton(settings: Settings) -> ProcessSpec:
    from satmon.stack.servers import triton_spec

    return triton_spec(settings)


FUNCTIONS = load_functions(REPO_ROOT)
"""Every function of functions/, from its func.yaml (the one description of each)."""
ALARM_FUNCTIONS = ("alarm-evaluator",)
ALARM_SUBSCRIPTIONS = tuple(
    t.name for fn in FUNCTIONS if fn.name in ALARM_FUNCTIONS for t in fn.triggers
)
"""Subscriptions of the alarm dispatcher, a process of its own: alarms wait neither for
telemetry nor for a forecast tick's burst of jobs, and never slow the telemetry-writer."""
INGESTION_SUBSCRIPTIONS = tuple(
    t.name
    for fn in FUNCTIONS
    if fn.local.cpu == "normal" and fn.name not in ALARM_FUNCTIONS
    for t in fn.triggers
)
"""Subscriptions of the ingestion dispatcher: the triggers of functions at normal CPU
priority; every other one (and the PingSources) runs in the forecasting dispatcher, at
the lower priority of the functions it feeds."""


def function_process(fn: FunctionSpec, settings: Settings) -> ProcessSpec:
    """The local process of one function: its server on its port, at its CPU priority."""
    port = fn.local.port
    return ProcessSpec(
        name=fn.name,
        kind="app",
        argv=server_argv(fn, settings.repo_root, "127.0.0.1", port),
        ports=[port],
        cwd=settings.repo_root,
        env={"WORKERS": str(fn.local.workers)},
        healthy=lambda: _function_healthy(port),
        start_timeout_s=60,
        nice=FORECASTING_NICE if fn.local.cpu == "low" else 0,
    )


def _function_component(fn: FunctionSpec) -> Component:
    return Component(
        fn.name,
        "app",
        lambda settings: function_process(fn, settings),
        lambda _s: _function_healthy(fn.local.port),
        stop_timeout_s=15,
    )


def _function_healthy(port: int) -> bool:
    return probes.http_ok(f"http://127.0.0.1:{port}/healthz")


def _dispatch_argv(settings: Settings, *selection: str) -> list[str]:
    return [
        sys.executable, "-m", "satmon", "eventing", "dispatch",
        "--manifests", str(settings.repo_root / "eventing"), *selection,
    ]  # fmt: skip


def _dispatcher(settings: Settings) -> ProcessSpec:
    """Kafka → functions, as Knative Eventing would, from the manifests in eventing/: the
    ingestion subscriptions, in a process of their own (Knative too runs a dispatcher
    per source), so that forecasting traffic never queues in front of telemetry."""
    return _dispatcher_of("dispatcher", settings, INGESTION_SUBSCRIPTIONS)


def _alarm_dispatcher(settings: Settings) -> ProcessSpec:
    """The alarm-evaluator's subscriptions, in a process of their own."""
    return _dispatcher_of("alarm-dispatcher", settings, ALARM_SUBSCRIPTIONS)


def _dispatcher_of(name: str, settings: Settings, subscriptions: tuple[str, ...]) -> ProcessSpec:
    """A dispatcher of only these subscriptions (the PingSources tick elsewhere)."""
    only = [arg for sub in subscriptions for arg in ("--only", sub)]
    return ProcessSpec(
        name=name,
        kind="app",
        cwd=settings.repo_root,
        argv=_dispatch_argv(settings, *only, "--no-pings"),
        healthy=lambda: _groups_healthy(settings, subscriptions, ()),
        start_timeout_s=60,
    )


def _forecast_dispatcher(settings: Settings) -> ProcessSpec:
    """Every other subscription and the PingSources, below the ingestion's CPU priority."""
    others = (*INGESTION_SUBSCRIPTIONS, *ALARM_SUBSCRIPTIONS)
    skip = [arg for name in others for arg in ("--skip", name)]
    return ProcessSpec(
        name="forecast-dispatcher",
        kind="app",
        cwd=settings.repo_root,
        argv=_dispatch_argv(settings, *skip),
        healthy=lambda: _forecast_dispatcher_healthy(settings),
        start_timeout_s=60,
        nice=FORECASTING_NICE,
    )


def _dispatcher_healthy(settings: Settings) -> bool:
    return _groups_healthy(settings, INGESTION_SUBSCRIPTIONS, ())


def _alarm_dispatcher_healthy(settings: Settings) -> bool:
    return _groups_healthy(settings, ALARM_SUBSCRIPTIONS, ())


def _forecast_dispatcher_healthy(settings: Settings) -> bool:
    return _groups_healthy(settings, (), (*INGESTION_SUBSCRIPTIONS, *ALARM_SUBSCRIPTIONS))


def _groups_healthy(settings: Settings, only: tuple[str, ...], skip: tuple[str, ...]) -> bool:
    """A dispatcher's consumer groups are stable with members: it has joined and got its
    partitions (``only`` / ``skip``: its selection of the manifests' subscriptions)."""
    return probes.consumer_groups_ok(settings, _groups(settings.repo_root, only, skip))


@cache
def _groups(repo_root: Path, only: tuple[str, ...], skip: tuple[str, ...]) -> tuple[str, ...]:
    settings = Settings(repo_root=repo_root)
    return tuple(probes.subscription_groups(settings, only, skip))


def _simulator(settings: Settings) -> ProcessSpec:
    """Live telemetry for the dashboard: 3 satellites at 1 Hz until stopped."""
    return ProcessSpec(
        name="simulator",
        kind="app",
        argv=[sys.executable, "-m", "satmon", "simulate", "--satellites", "3", "--rate", "1"],
        healthy=lambda: True,
    )


def _victorialogs(settings: Settings) -> ProcessSpec:
    from satmon.stack.victorialogs import victorialogs_spec

    return victorialogs_spec(settings)


def _log_shipper(settings: Settings) -> ProcessSpec:
    from satmon.stack.victorialogs import shipper_spec

    return shipper_spec(settings)


def _victorialogs_health(settings: Settings) -> bool:
    from satmon.stack.victorialogs import victorialogs_healthy

    return victorialogs_healthy(settings)


def _log_shipper_health(settings: Settings) -> bool:
    from satmon.stack.victorialogs import shipper_healthy

    return shipper_healthy(settings)


def _api(settings: Settings) -> ProcessSpec:
    """The operation API (``python -m satmon.api``: FastAPI under uvicorn)."""
    return ProcessSpec(
        name="api",
        kind="app",
        argv=[sys.executable, "-m", "satmon.api", *_api_address(settings)],
        ports=[settings.api_port],
        cwd=settings.repo_root,
        healthy=lambda: _api_ready(settings),
        start_timeout_s=30,
    )


def _api_address(settings: Settings) -> list[str]:
    return ["--host", settings.api_host, "--port", str(settings.api_port)]


def _api_ready(settings: Settings) -> bool:
    return probes.http_ok(f"http://{settings.api_host}:{settings.api_port}/readyz")


def _api_alive(settings: Settings) -> bool:
    """Liveness: the server answers (``/readyz`` also asks its dependencies)."""
    return probes.http_ok(f"http://{settings.api_host}:{settings.api_port}/healthz")


def _dashboard(settings: Settings) -> ProcessSpec:
    """The NiceGUI dashboard (``python -m ui`` from the repository root); it answers
    ``/api/v1`` too, by passing those requests on to the API."""
    return ProcessSpec(
        name="dashboard",
        kind="app",
        argv=[sys.executable, "-m", "ui", *_dashboard_address(settings)],
        ports=[settings.ui_port],
        cwd=settings.repo_root,
        healthy=lambda: _dashboard_ready(settings),
        start_timeout_s=60,
    )


def _dashboard_address(settings: Settings) -> list[str]:
    return ["--host", settings.ui_host, "--port", str(settings.ui_port)]


def dashboard_url(settings: Settings) -> str:
    return f"http://{settings.ui_host}:{settings.ui_port}/"


def _dashboard_ready(settings: Settings) -> bool:
    return probes.http_ok(dashboard_url(settings) + "healthz")


VM_REPLAY = Replay("dispatcher", INGESTION_SUBSCRIPTIONS, window_s=30.0)
"""VictoriaMetrics 1.79 acknowledges an import before the samples reach its disk: a kill -9
lost samples acknowledged up to about 8 s earlier; 30 s leaves room."""


COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in [
        # first, so that `down` stops them last: the shipper sends everyone's last lines
        Component("victorialogs", "server", _victorialogs, _victorialogs_health),
        Component("log-shipper", "server", _log_shipper, _log_shipper_health, stop_timeout_s=15),
        Component("postgres", "server", _postgres, probes.postgres_ok, stop_timeout_s=30),
        Component(
            "victoriametrics",
            "server",
            _vm,
            lambda s: probes.http_ok(f"{s.vm_url}/health"),
            replay=VM_REPLAY,
        ),
        Component("kafka", "server", _kafka, probes.kafka_ok, stop_timeout_s=30),
        Component(
            "triton",
            "server",
            _triton,
            lambda s: probes.http_ok(f"http://127.0.0.1:{s.triton_http_port}/v2/health/ready"),
            stop_timeout_s=30,
        ),
        *(_function_component(fn) for fn in FUNCTIONS),
        Component("dispatcher", "app", _dispatcher, _dispatcher_healthy, stop_timeout_s=20),
        Component(
            "alarm-dispatcher",
            "app",
            _alarm_dispatcher,
            _alarm_dispatcher_healthy,
            stop_timeout_s=20,
        ),
        Component(
            "forecast-dispatcher",
            "app",
            _forecast_dispatcher,
            _forecast_dispatcher_healthy,
            stop_timeout_s=20,
        ),
        Component("api", "app", _api, _api_alive, stop_timeout_s=10),
        Component("dashboard", "app", _dashboard, _dashboard_ready, stop_timeout_s=10),
        # a producer without a port or a group: alive is all there is to check
        Component("simulator", "app", _simulator, lambda s: True, stop_timeout_s=10),
    ]
}
SERVERS = [n for n, c in COMPONENTS.items() if c.tier == "server"]
