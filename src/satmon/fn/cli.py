"""``satmon fn ...``: create, run, invoke, build and deploy one function at a time.

Every command reads the functions' descriptions (``functions/<name>/func.yaml``) of
the checkout at ``SATMON_REPO_ROOT`` (this one by default).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from satmon.errors import SatmonError
from satmon.settings import get_settings

fn_app = typer.Typer(
    help="Develop one function at a time.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
console = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


@fn_app.callback()
def _group() -> None:
    """Develop one function at a time (descriptions in functions/<name>/func.yaml)."""


@fn_app.command("render")
def render_files(
    check: Annotated[bool, typer.Option(help="only say which files are out of date")] = False,
) -> None:
    """Render eventing/NAME.yaml, stack.yml and eventing/openfaas/env.yml from func.yaml.

    Examples: `satmon fn render` · `satmon fn render --check`
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


def _guard(action: Any) -> Any:
    """Run ``action``; a satmon error becomes its message and exit status 1."""
    try:
        return action()
    except SatmonError as exc:
        console.print(str(exc), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from exc
