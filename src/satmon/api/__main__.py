"""``python -m satmon.api [--host H] [--port P]``: the operation API under uvicorn."""

from __future__ import annotations

import argparse

import uvicorn

import satmon.api  # noqa: F401  (imported before the collector is tuned: frozen with the rest)
from satmon.gc_tuning import tune_for_throughput
from satmon.logconfig import configure_logging
from satmon.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m satmon.api", description=__doc__)
    parser.add_argument("--host", default=settings.api_host)
    parser.add_argument("--port", type=int, default=settings.api_port)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    configure_logging("api", level=args.log_level)
    tune_for_throughput()  # each trends answer parses thousands of objects: see gc_tuning
    uvicorn.run(
        "satmon.api:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=None,  # uvicorn's records go through the root logger set up above
        access_log=False,
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
