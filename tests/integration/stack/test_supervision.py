"""The supervisor on real servers (a scratch stack of VictoriaMetrics and PostgreSQL):
a component killed with kill -9 comes back on its own, the others untouched; one that
keeps crashing is marked failed with its log while the rest keeps running; `satmon
restart` and `satmon up --only` work while others run; components outlive a killed
supervisor, and the next one adopts them."""

from __future__ import annotations

import os
import signal

import psycopg
import pytest

from satmon.settings import Settings
from satmon.stack.process import pid_alive, port_open
from tests.integration.stack.support import (
    pid_of,
    run_dir,
    satmon,
    supervisor_pid,
    unit,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BOTH = ["--only", "victoriametrics", "--only", "postgres"]


def _postmaster(env: dict[str, str]) -> int:
    """PostgreSQL's main process (the supervisor's child; its backends are its own)."""
    return pid_of(env, "postgres")


def _pg_answers(env: dict[str, str]) -> bool:
    settings = Settings(run_dir=run_dir(env), pg_port=int(env["SATMON_PG_PORT"]))
    try:
        with psycopg.connect(settings.pg_dsn, connect_timeout=2) as conn:
            return conn.execute("SELECT count(*) FROM inference_results").fetchone() is not None
    except psycopg.Error:
        return False


def test_kill_9_is_restarted_and_the_rest_untouched(scratch_env: dict[str, str]) -> None:
    up = satmon(["up", "--detach", *BOTH], scratch_env)
    assert up.returncode == 0, up.stderr
    vm, pg = pid_of(scratch_env, "victoriametrics"), _postmaster(scratch_env)

    os.kill(vm, signal.SIGKILL)
    wait_for(lambda: unit(scratch_env, "victoriametrics").restarts == 1, 30, "a restart")
    wait_for(lambda: unit(scratch_env, "victoriametrics").healthy, 30, "VictoriaMetrics healthy")
    assert pid_of(scratch_env, "victoriametrics") != vm
    assert unit(scratch_env, "victoriametrics").last_exit == "SIGKILL"
    assert _postmaster(scratch_env) == pg  # untouched

    # PostgreSQL's backends leave the postmaster's group; after its kill -9 they must be
    # gone before a new postmaster can take the data directory (its shared memory)
    os.kill(pg, signal.SIGKILL)
    wait_for(lambda: unit(scratch_env, "postgres").restarts == 1, 30, "a PostgreSQL restart")
    wait_for(lambda: _pg_answers(scratch_env), 60, "PostgreSQL answering again")
    assert _postmaster(scratch_env) != pg

    status = satmon(["status"], scratch_env)
    assert status.returncode == 0, status.stdout + status.stderr
    row = next(line for line in status.stdout.splitlines() if "victoriametrics" in line)
    assert "running" in row and "SIGKILL" in row and " 1 " in row


def test_a_component_that_keeps_crashing_is_marked_failed(scratch_env: dict[str, str]) -> None:
    env = {**scratch_env, "SATMON_RESTART_DELAY_S": "0.2", "SATMON_RESTART_BURST": "2"}
    up = satmon(["up", "--detach", *BOTH], env)
    assert up.returncode == 0, up.stderr
    pg = _postmaster(env)
    for restarts in range(3):  # the third crash is one more than the burst of two
        vm = pid_of(env, "victoriametrics")
        os.kill(vm, signal.SIGKILL)
        if restarts < 2:
            wait_for(
                lambda n=restarts: unit(env, "victoriametrics").restarts == n + 1, 20, "restart"
            )
            wait_for(lambda: unit(env, "victoriametrics").healthy, 20, "VictoriaMetrics healthy")
    wait_for(lambda: unit(env, "victoriametrics").state == "failed", 20, "the failed state")
    assert not port_open(18428)

    status = satmon(["status"], env)
    assert status.returncode == 1  # a failed component is a failed status
    assert "more than 2 failures" in status.stdout
    assert "starting victoriametrics" in status.stdout  # the last lines of its log
    assert _postmaster(env) == pg and _pg_answers(env)  # the rest keeps running

    again = satmon(["restart", "victoriametrics"], env)
    assert again.returncode == 0, again.stderr
    assert unit(env, "victoriametrics").state == "running" and port_open(18428)


def test_restart_and_up_only_while_others_run(scratch_env: dict[str, str]) -> None:
    up = satmon(["up", "--detach", "--only", "postgres"], scratch_env)
    assert up.returncode == 0, up.stderr
    supervisor, pg = supervisor_pid(scratch_env), _postmaster(scratch_env)

    more = satmon(["up", "--detach", "--only", "victoriametrics"], scratch_env)
    assert more.returncode == 0, more.stderr
    assert "already running: postgres" not in more.stderr  # only what was asked for
    assert port_open(18428) and supervisor_pid(scratch_env) == supervisor

    vm = pid_of(scratch_env, "victoriametrics")
    restarted = satmon(["restart", "victoriametrics"], scratch_env)
    assert restarted.returncode == 0, restarted.stderr
    assert "victoriametrics healthy" in restarted.stderr
    assert pid_of(scratch_env, "victoriametrics") != vm and not pid_alive(vm)
    assert _postmaster(scratch_env) == pg
    assert unit(scratch_env, "victoriametrics").restarts == 0  # asked for, not a crash


def test_a_killed_supervisor_leaves_its_components_to_the_next(
    scratch_env: dict[str, str],
) -> None:
    up = satmon(["up", "--detach", *BOTH], scratch_env)
    assert up.returncode == 0, up.stderr
    first, vm = supervisor_pid(scratch_env), pid_of(scratch_env, "victoriametrics")
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: not pid_alive(first), 10, "the supervisor gone")
    assert pid_alive(vm) and port_open(18428)  # the components outlive it
    alone = satmon(["status"], scratch_env)
    assert "no supervisor runs" in alone.stdout

    again = satmon(["up", "--detach", *BOTH], scratch_env)
    assert again.returncode == 0, again.stderr
    assert "already up" in again.stderr
    assert supervisor_pid(scratch_env) != first
    assert pid_of(scratch_env, "victoriametrics") == vm  # adopted, not restarted

    os.kill(vm, signal.SIGKILL)  # the new supervisor watches the adopted process too
    wait_for(lambda: unit(scratch_env, "victoriametrics").restarts == 1, 30, "a restart")
    wait_for(lambda: port_open(18428), 30, "VictoriaMetrics back")
