"""The ``satmon`` command line: run the stack, simulate telemetry, train and serve models."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

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
    """Install what is missing, start every component, wait for health (Ctrl-C stops all)."""
    from satmon.stack.components import COMPONENTS
    from satmon.stack.launcher import ComponentFailed, Launcher

    names = only or [n for n, c in COMPONENTS.items() if c.default]
    unknown = [n for n in [*names, *(without or [])] if n not in COMPONENTS]
    if unknown:
        raise typer.BadParameter(f"unknown component(s) {unknown}; known: {list(COMPONENTS)}")
    names = [n for n in names if n not in (without or [])]
    settings = get_settings()
    launcher = Launcher(settings, say=_launcher_say(settings))
    began = time.monotonic()
    try:
        launcher.up(names)
    except ComponentFailed as exc:
        console.print(f"[red bold]{exc.name} failed to start:[/] {exc.reason}")
        console.print(f"[dim]--- last lines of {launcher.table.log_path(exc.name)} ---[/]")
        console.print(exc.log_tail, markup=False, highlight=False)
        raise typer.Exit(1) from exc
    console.print(f"[green]up in {time.monotonic() - began:.1f}s[/]")
    _print_status(launcher)
    _print_dashboard_url(launcher)
    if not detach:
        console.print("[dim]Ctrl-C stops everything[/]")
        launcher.supervise()


@app.command()
def down() -> None:
    """Stop every component started by `satmon up`."""
    from satmon.stack.launcher import Launcher

    settings = get_settings()
    launcher = Launcher(settings, say=_launcher_say(settings))
    if not launcher.down():
        console.print("nothing was running")


@app.command()
def status() -> None:
    """Show each component: pid, ports, healthy, uptime. Exit 1 if a running one is unhealthy."""
    from satmon.stack.launcher import Launcher

    launcher = Launcher(get_settings())
    if not _print_status(launcher):
        raise typer.Exit(1)


def _print_status(launcher: object) -> bool:
    from satmon.stack.launcher import Launcher

    assert isinstance(launcher, Launcher)
    table = Table("component", "pid", "port", "healthy", "uptime")
    ok = True
    for row in launcher.status():
        if row.running and not row.healthy:
            ok = False
        healthy = (
            "[green]yes[/]" if row.healthy else ("[red]no[/]" if row.running else "[dim]stopped[/]")
        )
        table.add_row(
            row.name,
            str(row.pid or "-"),
            ",".join(map(str, row.ports)) or "-",
            healthy,
            _duration(row.uptime_s) if row.uptime_s is not None else "-",
        )
    Console().print(table)
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
