"""``python -m ui [--host H] [--port P]``: the dashboard (default 127.0.0.1:8080)."""

from __future__ import annotations

import argparse

from satmon.logconfig import configure_logging
from satmon.settings import get_settings
from ui.app import run


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m ui", description=__doc__)
    parser.add_argument("--host", default=settings.ui_host)
    parser.add_argument("--port", type=int, default=settings.ui_port)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    configure_logging("dashboard", level=args.log_level)
    run(settings, args.host, args.port)


if __name__ in {"__main__", "__mp_main__"}:
    main()
