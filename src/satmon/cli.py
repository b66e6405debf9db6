"""The ``satmon`` command line: run the stack, simulate telemetry, train and serve models."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from satmon.logconfig import configure_logging, file_logger
from satmon.settings import Settings, get_settings

app = typer.Typer(
    help="satmon: satellite telemetry monitoring.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True)


COMPONENT_OF_COMMAND = {"simulate": "simulator", "up": "launcher", "down": "launcher"}
"""The component name a command's log records carry (``satmon.logconfig``)."""


@app.callback()
def _configure(
    ctx: typer.Context, verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False
) -> None:
    command = ctx.invoked_subcommand or "cli"
    level = "DEBUG" if verbose else None
    configure_logging(COMPONENT_OF_COMMAND.get(command, command), level=level)


def _launcher_say(settings: Settings) -> Callable[[str], None]:
    """What the launcher says: on the console, and as records in logs/launcher.log."""
    records = file_logger("satmon.launcher", "launcher", settings.logs_dir / "launcher.log")

    def say(message: str) -> None:
        console.print(f"[cyan]satmon[/] {message}")
        records.info(message)

    return say


@app.command()
def up(
    detach: Annotated[bool, typer.Option("--detach", "-d", help="return once healthy")] = False,
    only: Annotated[list[str] | None, typer.Option(help="start only these components")] = None,
    without: Annotated[list[str] | None, typer.Option(help="leave these components out")] = None,
) -> None:
    """Install what is missing, start every component, wait for health (Ctrl-C stops all).

    A supervisor keeps them running: this process in the foreground, a background one
    with --detach. With a stack already up, starts only what is missing (e.g. --only NAME).
    """
    from satmon.stack.components import COMPONENTS
    from satmon.stack.launcher import ComponentFailed

    names = only or [n for n, c in COMPONENTS.items() if c.default]
    unknown = [n for n in [*names, *(without or [])] if n not in COMPONENTS]
    if unknown:
        raise typer.BadParameter(f"unknown component(s) {unknown}; known: {list(COMPONENTS)}")
    names = [n for n in names if n not in (without or [])]
    launcher = _launcher()
    began = time.monotonic()

    def report_up() -> None:
        console.print(f"[green]up in {time.monotonic() - began:.1f}s[/]")
        _print_status(launcher)
        _print_dashboard_url(launcher)
        if not detach:
            console.print("[dim]Ctrl-C stops everything[/]")

    try:
        if detach:
            launcher.up(names)
            report_up()
        else:
            launcher.run_foreground(names, report_up)
    except ComponentFailed as exc:
        _print_failure(launcher, exc, "failed to start")
        raise typer.Exit(1) from exc


@app.command()
def restart(names: Annotated[list[str], typer.Argument(help="components to restart")]) -> None:
    """Stop every process of each component and start it again, while the others run."""
    from satmon.stack.components import COMPONENTS
    from satmon.stack.launcher import ComponentFailed

    unknown = [n for n in names if n not in COMPONENTS]
    if unknown:
        raise typer.BadParameter(f"unknown component(s) {unknown}; known: {list(COMPONENTS)}")
    launcher = _launcher()
    try:
        launcher.restart(names)
    except ComponentFailed as exc:
        _print_failure(launcher, exc, "failed to restart")
        raise typer.Exit(1) from exc


@app.command()
def down() -> None:
    """Stop every component started by `satmon up`, and its supervisor."""
    if not _launcher().down():
        console.print("nothing was running")


@app.command()
def status() -> None:
    """Each component: state, pid, ports, health, uptime, restarts, last exit; the last
    log lines of any that crashed. Exit 1 if one is failed or running unhealthy."""
    from satmon.stack.launcher import Launcher

    launcher = Launcher(get_settings())
    if not _print_status(launcher):
        raise typer.Exit(1)


def _launcher() -> Any:
    from satmon.stack.launcher import Launcher

    settings = get_settings()
    return Launcher(settings, say=_launcher_say(settings))


def _print_failure(launcher: Any, exc: Any, what: str) -> None:
    console.print(f"[red bold]{exc.name} {what}:[/] {exc.reason}")
    console.print(f"[dim]--- last lines of {launcher.table.log_path(exc.name)} ---[/]")
    console.print(exc.log_tail, markup=False, highlight=False)


def _print_status(launcher: Any) -> bool:
    from satmon.stack.state import FAILED

    table = Table("component", "state", "pid", "port", "healthy", "uptime", "restarts", "last exit")
    ok = True
    rows = launcher.status()
    for row in rows:
        if row.state == FAILED or (row.running and not row.healthy):
            ok = False
        healthy = "[green]yes[/]" if row.healthy else ("[red]no[/]" if row.running else "[dim]-[/]")
        state = f"[red]{row.state}[/]" if row.state == FAILED else row.state
        table.add_row(
            row.name,
            state,
            str(row.pid or "-"),
            ",".join(map(str, row.ports)) or "-",
            healthy,
            _duration(row.uptime_s) if row.uptime_s is not None else "-",
            str(row.restarts),
            row.last_exit or "-",
        )
    out = Console()
    out.print(table)
    if not launcher.supervised() and any(r.running for r in rows):
        out.print("[yellow]no supervisor runs: crashed components are not restarted[/]")
    for row in rows:
        if row.log_tail:
            out.print(f"[bold]{row.name}[/] {row.state}: {row.reason}")
            out.print(row.log_tail, markup=False, highlight=False)
    return ok


def _print_dashboard_url(launcher: object) -> None:
    from satmon.stack.components import dashboard_url
    from satmon.stack.launcher import Launcher

    assert isinstance(launcher, Launcher)
    if any(row.name == "dashboard" and row.healthy for row in launcher.status(["dashboard"])):
        console.print(f"[green bold]dashboard:[/] {dashboard_url(launcher.settings)}")


def _duration(seconds: float) -> str:
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{sec:02d}s" if hours else f"{minutes}m{sec:02d}s"


def _register_optional() -> None:
    """Commands whose modules are written alongside the launcher."""
    from satmon.simulator.cli import simulate

    app.command("simulate")(simulate)
    try:
        from satmon.forecast.cli import models_app

        app.add_typer(models_app, name="models", help="Train and evaluate the forecast models.")
    except ImportError:
        pass
    from satmon.eventing.cli import eventing_app

    app.add_typer(eventing_app, name="eventing", help="The local Knative-style dispatcher.")
    from satmon.fn.cli import fn_app

    app.add_typer(fn_app, name="fn", help="Create, run, invoke, build and deploy one function.")


_register_optional()


def main() -> None:
    app()
