"""The command that serves a function, from its description: used by the launcher for
the local process and as the images' command (``python -m satmon.fnspec.serve``, the
function named by ``SATMON_FUNCTION``, port ``$PORT``).

Every function runs on satmon.fnhost: functions-framework's app on gunicorn, with
problem+json for every error (those of the HTTP server included); ``cloudevent``
functions get CloudEvents batched mode too, ``http`` functions answer for themselves.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from satmon.fnspec.model import FunctionSpec


def server_argv(spec: FunctionSpec, root: Path, host: str, port: int) -> list[str]:
    """argv serving ``spec`` from the checkout at ``root`` on ``host:port``."""
    return [
        sys.executable, "-m", "satmon.fnhost",
        "--source", str(root / spec.source), "--target", spec.entry.target,
        "--signature-type", spec.entry.signature, "--host", host, "--port", str(port),
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    """Replace this process by the function's server (the container's PID 1 stays it)."""
    from satmon.fnspec.load import load_functions

    parser = argparse.ArgumentParser(prog="python -m satmon.fnspec.serve")
    parser.add_argument("name", nargs="?", default=os.environ.get("SATMON_FUNCTION"))
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="holds functions/")
    args = parser.parse_args(argv)
    if not args.name:
        parser.error("name the function (or set SATMON_FUNCTION)")
    spec = load_functions(args.root).get(args.name)
    command = server_argv(spec, args.root, args.host, args.port)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
