"""``satmon fn ...``: create, run, invoke, build and deploy one function at a time.

Every command reads the functions' descriptions (``functions/<name>/func.yaml``) of
the checkout at ``SATMON_REPO_ROOT`` (this one by default).
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from satmon.errors import SatmonError
from satmon.settings import get_settings

fn_app = typer.Typer(
    help="Develop one function at a time: list, new, run, invoke, logs, build, deploy.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
console = Console(stderr=True, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


@fn_app.callback()
def _group() -> None:
    """Develop one function at a time (descriptions in functions/<name>/func.yaml)."""


@fn_app.command("list")
def list_functions() -> None:
    """Every function: entry point, triggers (filters, delivery), port, running locally.

    Example:

        satmon fn list
    """
    from satmon.fn.describe import function_lines
    from satmon.fnspec.platform import read_platform
    from satmon.stack.process import ProcessTable, port_open

    settings = get_settings()
    functions, platform = _functions(), _guard(lambda: read_platform(settings.repo_root))
    processes = ProcessTable(settings.run_dir)
    for spec in functions:
        running = processes.get(spec.name)
        state = "no"
        if port_open(spec.local.port):
            state = f"yes, pid {running.pid}" if running and running.alive else "yes"
        out.print("\n".join(function_lines(spec, platform, state)) + "\n", markup=False)


@fn_app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="lower-case letters, digits and -")],
    trigger: Annotated[str, typer.Option(help="the CloudEvent type it reacts to")] = (
        "io.satmon.telemetry.v1"
    ),
    topic: Annotated[str | None, typer.Option(help="the type's topic, if not a known one")] = None,
    port: Annotated[int | None, typer.Option(help="local port (default: the next free)")] = None,
) -> None:
    """A new function from the house template, passing `make test` as it is.

    Writes functions/NAME/ (main.py, func.yaml, README.md, event.json), its unit test in
    tests/unit/functions/, and renders its manifests (eventing/NAME.yaml, stack.yml).

    Examples:

        satmon fn new battery-watch
        satmon fn new job-audit --trigger io.satmon.forecast.completed.v1
    """
    from satmon.fn.scaffold import new_function

    root = get_settings().repo_root
    written = _guard(lambda: new_function(root, name, trigger, topic, port))
    for rel in written:
        out.print(f"wrote {rel}")
    out.print(f"next: `satmon fn run {name}`, then `satmon fn invoke {name}`")


@fn_app.command("run")
def run(
    name: str,
    replace: Annotated[
        bool, typer.Option(help="stop a running process of this function first")
    ] = False,
) -> None:
    """Run NAME alone, with a local dispatcher for its triggers; reload on change.

    Needs Kafka for the dispatcher (`satmon up --detach --only kafka`) and whatever the
    function itself talks to. Logs go to the terminal and to .satmon/logs/. Ctrl-C stops.

    Examples:

        satmon fn run battery-watch
        satmon fn run forecaster --replace    # instead of the stack's forecaster
    """
    from satmon.fn.runner import FunctionRunner

    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    runner = FunctionRunner(get_settings(), name, _say, replace=replace)
    _guard(lambda: runner.run(stop))


@fn_app.command("invoke")
def invoke(
    name: str,
    event: Annotated[
        Path | None, typer.Option("--event", help="a structured-mode CloudEvent (JSON file)")
    ] = None,
    data: Annotated[str | None, typer.Option(help="the event's data, as JSON")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="the event type")] = None,
    mode: Annotated[str, typer.Option(help="binary | structured")] = "binary",
    target: Annotated[str, typer.Option(help="local, or the URL to POST to")] = "local",
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="extra 'Name: value' header")
    ] = None,
) -> None:
    """Send one CloudEvent to NAME; print the status, headers and body (exit 1 unless 2xx).

    Without --event or --data it sends functions/NAME/event.json.

    Examples:

        satmon fn invoke telemetry-writer
        satmon fn invoke forecaster --mode structured \\
            --data '{"satellite_id": "SAT-001", "metric": "battery", "model": "vae"}'
        satmon fn invoke forecaster --type dev.knative.sources.ping --data '{}'
        satmon fn invoke ingress -H "Authorization: Bearer $SATMON_API_TOKEN"
        satmon fn invoke telemetry-writer --event my-event.json --target http://host:8080/
    """
    from satmon.fn.invoke import compose_event, send, to_request

    if mode not in ("binary", "structured"):
        raise typer.BadParameter("binary or structured", param_hint="--mode")
    spec = _guard(lambda: _functions().get(name))
    folder = get_settings().repo_root / spec.folder
    cloudevent = _guard(lambda: compose_event(folder, event, data, event_type))
    headers, body = to_request(cloudevent, mode)
    for line in header or []:
        key, sep, value = line.partition(":")
        if not sep:
            raise typer.BadParameter(f"{line!r}: expected 'Name: value'", param_hint="--header")
        headers[key.strip()] = value.strip()
    url = f"http://127.0.0.1:{spec.local.port}/" if target == "local" else target
    answer = _guard(lambda: send(url, headers, body))
    typer.echo(answer.text())
    if not answer.ok:
        raise typer.Exit(1)


@fn_app.command("logs")
def logs(
    name: str,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing new lines")] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", help="how many last lines")] = 50,
) -> None:
    """The local function's log (.satmon/logs/NAME.log).

    Examples:

        satmon fn logs forecaster
        satmon fn logs forecaster -f -n 0     # only what comes from now on
    """
    from satmon.fn.logs import follow as follow_log
    from satmon.fn.logs import last_lines

    _guard(lambda: _functions().get(name))
    path = get_settings().run_dir / "logs" / f"{name}.log"
    if not path.exists():
        console.print(f"no log at {path}: {name} has not run here (`satmon fn run {name}`)")
        raise typer.Exit(1)
    text = last_lines(path, lines)
    if text:
        typer.echo(text)
    if follow:
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        follow_log(path, typer.echo, stop)


@fn_app.command("build")
def build(
    name: str,
    tool: Annotated[
        str | None, typer.Option(help="docker or podman (default: the one found)")
    ] = None,
) -> None:
    """Build NAME's image (the Dockerfile's `function` target, tagged as in func.yaml).

    Examples:

        satmon fn build telemetry-writer
        satmon fn build forecaster --tool podman
    """
    from satmon.fn.tools import build as build_image

    spec = _guard(lambda: _functions().get(name))
    status = _guard(lambda: build_image(spec, get_settings().repo_root, tool))
    if status != 0:
        console.print(f"building {spec.image} failed (exit {status})", style="red")
        raise typer.Exit(status)
    out.print(f"built {spec.image}")


@fn_app.command("deploy")
def deploy(
    name: str,
    target: Annotated[str, typer.Option(help="knative | openfaas")] = "knative",
    namespace: Annotated[str | None, typer.Option(help="default: satmon / openfaas-fn")] = None,
    dry_run: Annotated[bool, typer.Option(help="print the manifests, apply nothing")] = False,
) -> None:
    """Render NAME's manifests alone and apply them (kubectl / faas-cli), or print them.

    Knative: its Service and its Triggers / KafkaSources with their delivery. OpenFaaS:
    its stack.yml entry with the kafka-connector's `topic` annotation.

    Examples:

        satmon fn deploy forecaster --dry-run
        satmon fn deploy forecaster --namespace staging
        satmon fn deploy telemetry-writer --target openfaas --dry-run
    """
    from satmon.fn.tools import deploy as apply
    from satmon.fn.tools import render
    from satmon.fnspec.platform import NAMESPACE, read_platform

    if target not in ("knative", "openfaas"):
        raise typer.BadParameter("knative or openfaas", param_hint="--target")
    root = get_settings().repo_root
    spec = _guard(lambda: _functions().get(name))
    platform = _guard(lambda: read_platform(root))
    ns = namespace or (NAMESPACE if target == "knative" else "openfaas-fn")
    if dry_run:
        typer.echo(render(spec, platform, target, ns), nl=False)
        return
    status = _guard(lambda: apply(spec, platform, target, ns, root))
    if status != 0:
        raise typer.Exit(status)


@fn_app.command("render")
def render_files(
    check: Annotated[bool, typer.Option(help="only say which files are out of date")] = False,
) -> None:
    """Render eventing/NAME.yaml, stack.yml and eventing/openfaas/env.yml from func.yaml.

    Examples:

        satmon fn render
        satmon fn render --check     # exit 1 and name what is out of date
    """
    from satmon.fnspec.render import stale_files, write_rendered

    root = get_settings().repo_root
    if check:
        stale = _guard(lambda: stale_files(root))
        for rel in stale:
            out.print(f"out of date: {rel}")
        if stale:
            raise typer.Exit(1)
        return
    for rel in _guard(lambda: write_rendered(root)):
        out.print(f"rendered {rel}")


def _functions() -> Any:
    from satmon.fnspec.load import load_functions

    return _guard(lambda: load_functions(get_settings().repo_root))


def _guard(action: Any) -> Any:
    """Run ``action``; a satmon error becomes its message and exit status 1."""
    try:
        return action()
    except SatmonError as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from exc


def _say(message: str) -> None:
    console.print(message, markup=False, highlight=False)
