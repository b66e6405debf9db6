"""PostgreSQL from Debian's binaries: initdb into our own data dir, own port, our role.

PostgreSQL refuses to run as root. When the launcher is root, the server runs as the
``postgres`` system user, with its data dir under ``/var/lib/satmon/<run-dir hash>``
(a folder that user can reach even when the checkout sits under a private home);
otherwise it runs as the current user inside the run dir. Logs always go to the run
folder. The port is 5432 unless somebody else holds it; the chosen port is recorded in
``ports.json`` so every client agrees.

A data dir outside the run dir lives exactly as long as the run dir, as Kafka's and
VictoriaMetrics' data inside it do: a token in the run dir names the data dir it owns, so
a data dir left behind by a removed run dir at the same path (a fresh clone where an old
one stood, ``make clean``) is removed instead of pairing an old database with new topics,
whose reused offsets would then read as events already stored.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import psycopg

from satmon.settings import Settings
from satmon.stack.install import postgres_bin_dir
from satmon.stack.process import ProcessSpec
from satmon.store import migrate


def postgres_spec(settings: Settings) -> ProcessSpec:
    data_dir = postgres_data_dir(settings)
    bin_dir = postgres_bin_dir()
    claim_data_dir(settings, data_dir)
    _initdb(bin_dir, data_dir)
    argv = [
        str(bin_dir / "postgres"),
        "-D",
        str(data_dir),
        "-p",
        str(settings.pg_port),
        "-c",
        f"listen_addresses={settings.pg_host}",
        "-c",
        f"unix_socket_directories={data_dir}",
        "-c",
        "fsync=on",
        "-c",
        "max_connections=200",
        "-c",
        "shared_buffers=256MB",
        "-c",
        "log_min_messages=warning",
    ]
    return ProcessSpec(
        name="postgres",
        argv=argv,
        user="postgres" if os.geteuid() == 0 else None,  # the postmaster leads its group
        stop_signal=signal.SIGINT,  # "fast" shutdown: SIGTERM would wait for every client
        ports=[settings.pg_port],
        healthy=lambda: _superuser_ready(data_dir, settings.pg_port),
        after_healthy=lambda: prepare_database(settings, data_dir),
        start_timeout_s=60,
        stop_timeout_s=30,
    )


def postgres_data_dir(settings: Settings) -> Path:
    if os.geteuid() != 0:
        return settings.run_dir / "postgres"
    tag = hashlib.sha256(str(settings.run_dir.resolve()).encode()).hexdigest()[:10]
    return Path("/var/lib/satmon") / tag / "postgres"


OWNER_TOKEN = "postgres.owner"
"""In the run dir and beside a data dir outside it: the same random token in both."""
ADOPT_WITHIN_S = 600.0
"""A data dir from before tokens is the run dir's when its Kafka was formatted within
this long of the data dir's initdb (one first ``satmon up`` made both)."""


def claim_data_dir(settings: Settings, data_dir: Path) -> None:
    """Make ``data_dir`` the run dir's own (see the module): remove one it does not own."""
    run_dir = settings.run_dir.resolve()
    if data_dir.resolve().is_relative_to(run_dir):
        return
    mine, theirs = run_dir / OWNER_TOKEN, data_dir.parent / OWNER_TOKEN
    token = _read(mine)
    if (data_dir / "PG_VERSION").exists() and not _owned(token, _read(theirs), run_dir, data_dir):
        shutil.rmtree(data_dir)
    token = token or uuid.uuid4().hex
    run_dir.mkdir(parents=True, exist_ok=True)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    mine.write_text(token + "\n")
    theirs.write_text(token + "\n")


def _owned(token: str | None, stored: str | None, run_dir: Path, data_dir: Path) -> bool:
    if token is not None or stored is not None:
        return token == stored
    kafka = run_dir / "kafka" / "data" / "meta.properties"
    if not kafka.exists():
        return False
    initdb = (data_dir / "PG_VERSION").stat().st_mtime
    return abs(kafka.stat().st_mtime - initdb) <= ADOPT_WITHIN_S


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def prepare_database(settings: Settings, data_dir: Path) -> None:
    """Create the satmon role and database if missing, then run migrations."""
    admin = _admin_conninfo(data_dir, settings.pg_port)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not _exists(conn, "SELECT 1 FROM pg_roles WHERE rolname = %s", settings.pg_user):
            conn.execute(
                psycopg.sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                    psycopg.sql.Identifier(settings.pg_user),
                    psycopg.sql.Literal(settings.pg_password),
                )
            )
        if not _exists(conn, "SELECT 1 FROM pg_database WHERE datname = %s", settings.pg_database):
            conn.execute(
                psycopg.sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    psycopg.sql.Identifier(settings.pg_database),
                    psycopg.sql.Identifier(settings.pg_user),
                )
            )
    with psycopg.connect(settings.pg_dsn) as conn:
        migrate(conn)


def _exists(conn: psycopg.Connection, query: str, name: str) -> bool:
    return conn.execute(query, (name,)).fetchone() is not None


def drop_data(settings: Settings) -> None:
    shutil.rmtree(postgres_data_dir(settings), ignore_errors=True)


def _initdb(bin_dir: Path, data_dir: Path) -> None:
    if (data_dir / "PG_VERSION").exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data_dir.parent, "postgres", "postgres")
        shutil.chown(data_dir, "postgres", "postgres")
    data_dir.chmod(0o700)
    subprocess.run(
        _as_postgres_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-instructions",
            ]
        ),
        check=True,
        capture_output=True,
    )


def _as_postgres_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _admin_conninfo(data_dir: Path, port: int) -> str:
    user = "postgres"
    return f"host={data_dir} port={port} dbname=postgres user={user}"


def server_ready(settings: Settings) -> bool:
    """The server answers the superuser on its Unix socket (the supervisor's probe)."""
    return _superuser_ready(postgres_data_dir(settings), settings.pg_port)


def _superuser_ready(data_dir: Path, port: int) -> bool:
    try:
        with psycopg.connect(_admin_conninfo(data_dir, port), connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False
