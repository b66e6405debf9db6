"""How VictoriaMetrics, Kafka and Triton start locally (PostgreSQL: ``postgres.py``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx

from satmon.clients.kafka import broker_reachable, ensure_topics, make_admin
from satmon.settings import Settings
from satmon.stack.install import KAFKA_DIR, InstallError, kafka_classpath
from satmon.stack.process import FORECASTING_NICE, ProcessSpec


def victoriametrics_spec(settings: Settings) -> ProcessSpec:
    """Single-node VictoriaMetrics. Fresh samples are queryable at once, duplicates merge."""
    port = int(settings.vm_url.rsplit(":", 1)[1].split("/")[0])
    data = settings.run_dir / "victoriametrics"
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        "/usr/bin/victoria-metrics",
        f"-storageDataPath={data}",
        f"-retentionPeriod={settings.vm_retention}",
        f"-httpListenAddr=127.0.0.1:{port}",
        "-search.latencyOffset=0s",  # the 30 s default hides fresh telemetry
        "-dedup.minScrapeInterval=1ms",  # a redelivered sample (same series + ms) is kept once
        "-search.cacheTimestampOffset=1m",
        "-loggerLevel=WARN",
    ]
    return ProcessSpec(
        name="victoriametrics",
        argv=argv,
        ports=[port],
        healthy=lambda: _http_ok(f"{settings.vm_url}/health"),
        start_timeout_s=30,
    )


def kafka_spec(settings: Settings) -> ProcessSpec:
    """Kafka 4.x in KRaft mode, one node acting as broker and controller."""
    libs = kafka_classpath()
    home = settings.run_dir / "kafka"
    home.mkdir(parents=True, exist_ok=True)
    host, port = settings.kafka_bootstrap.rsplit(":", 1)
    controller = settings.kafka_controller_port
    props = home / "server.properties"
    props.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.bootstrap.servers={host}:{controller}",
                f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller}",
                f"advertised.listeners=PLAINTEXT://{host}:{port}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                f"log.dirs={home / 'data'}",
                "num.partitions=3",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "log.retention.hours=168",
                "",
            ]
        )
    )
    java = _java_command(libs, settings.kafka_heap)
    if not (home / "data" / "meta.properties").exists():
        _format_storage(java, props)
    return ProcessSpec(
        name="kafka",
        argv=[*java, "kafka.Kafka", str(props)],
        ports=[int(port), controller],
        healthy=lambda: broker_reachable(settings),
        after_healthy=lambda: _create_topics(settings),
        start_timeout_s=90,
        stop_timeout_s=30,
    )


def triton_spec(settings: Settings) -> ProcessSpec:
    """The tritonserver shipped in the nvidia-pytriton wheel, Python backend, on CPU here."""
    server_root = _pytriton_server_root()
    backends = _python_backend_dir(settings.run_dir / "triton" / "backends", server_root)
    site_packages = sysconfig.get_paths()["purelib"]
    python_lib = Path(sysconfig.get_config_var("LIBDIR") or Path(sys.base_prefix) / "lib")
    env = {
        "PYTHONPATH": os.pathsep.join([str(settings.repo_root / "src"), site_packages]),
        "LD_LIBRARY_PATH": os.pathsep.join(
            # the interpreter's own libpython first, then the libraries the wheel vendors
            # for the stub (libcudart and friends, renamed by auditwheel)
            p
            for p in [
                str(python_lib),
                str(server_root.parent.parent / "nvidia_pytriton.libs"),
                os.environ.get("LD_LIBRARY_PATH", ""),
            ]
            if p
        ),
        "OMP_NUM_THREADS": "1",
    }
    argv = [
        str(server_root / "bin" / "tritonserver"),
        f"--model-repository={settings.triton_model_repository}",
        f"--backend-directory={backends}",
        f"--http-port={settings.triton_http_port}",
        f"--grpc-port={settings.triton_grpc_port}",
        f"--metrics-port={settings.triton_metrics_port}",
        "--http-address=127.0.0.1",
        "--grpc-address=127.0.0.1",
        "--allow-metrics=true",
        "--allow-gpu-metrics=false",
        "--strict-readiness=true",
        "--exit-on-error=true",
        "--log-verbose=0",
    ]
    return ProcessSpec(
        name="triton",
        argv=argv,
        env=env,
        ports=[settings.triton_http_port, settings.triton_grpc_port, settings.triton_metrics_port],
        healthy=lambda: _http_ok(f"http://127.0.0.1:{settings.triton_http_port}/v2/health/ready"),
        failed=lambda: _triton_load_failure(settings.triton_http_port),
        start_timeout_s=240,
        stop_timeout_s=30,
        nice=FORECASTING_NICE,
    )


def _java_command(libs: Path, heap: str) -> list[str]:
    return [
        shutil.which("java") or "/usr/bin/java",
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.properties'}",
        "-cp",
        f"{libs}/*",
    ]


def _format_storage(java: list[str], props: Path) -> None:
    cluster_id = (
        subprocess.run(
            [*java, "kafka.tools.StorageTool", "random-uuid"],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    result = subprocess.run(
        [
            *java,
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            cluster_id,
            "-c",
            str(props),
            "--standalone",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise InstallError(
            "kafka storage format failed:\n" + result.stdout[-2000:] + result.stderr[-2000:]
        )


def _create_topics(settings: Settings) -> None:
    ensure_topics(make_admin(settings))


def _pytriton_server_root() -> Path:
    try:
        import pytriton
    except ImportError as exc:
        raise InstallError(
            "nvidia-pytriton is not installed: make install (extra 'triton')"
        ) from exc
    return Path(pytriton.__file__).parent / "tritonserver"


def _python_backend_dir(target: Path, server_root: Path) -> Path:
    """A backend folder whose python backend has the stub for this interpreter beside it.

    The wheel ships stubs per Python version; Triton looks for the stub next to
    ``libtriton_python.so``. We build that folder in the run dir rather than writing
    into site-packages.
    """
    python_dir = target / "python"
    python_dir.mkdir(parents=True, exist_ok=True)
    for item in (server_root / "backends" / "python").iterdir():
        link = python_dir / item.name
        if not link.exists():
            link.symlink_to(item)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    stub = server_root / "python_backend_stubs" / version / "triton_python_backend_stub"
    if not stub.exists():
        raise InstallError(f"the pytriton wheel has no Python backend stub for Python {version}")
    dest = python_dir / "triton_python_backend_stub"
    if not dest.exists():
        shutil.copy2(stub, dest)
    return target


def _triton_load_failure(http_port: int) -> str | None:
    """A model that Triton gave up loading (state UNAVAILABLE), with Triton's reason."""
    try:
        index = httpx.post(f"http://127.0.0.1:{http_port}/v2/repository/index", timeout=2.0)
    except httpx.HTTPError:
        return None
    if index.status_code != 200:
        return None
    for model in index.json():
        if model.get("state") == "UNAVAILABLE":
            return f"model {model.get('name')} failed to load: {model.get('reason', '')}"
    return None


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False
