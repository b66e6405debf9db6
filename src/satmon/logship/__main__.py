"""``python -m satmon.logship``: ship ``.satmon/logs/*.log`` to VictoriaLogs until SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from typing import Any

from satmon.clients.victorialogs import VictoriaLogs
from satmon.logconfig import configure_logging
from satmon.logship.shipper import Shipper
from satmon.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m satmon.logship", description=__doc__)
    parser.add_argument("--logs-dir", type=Path, default=settings.logs_dir)
    parser.add_argument("--state-dir", type=Path, default=settings.run_dir / "logship")
    parser.add_argument("--url", default=settings.logs_url, help="VictoriaLogs")
    parser.add_argument("--poll", type=float, default=settings.logs_ship_poll_s, help="seconds")
    args = parser.parse_args(argv)
    configure_logging("log-shipper")
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    store = VictoriaLogs(args.url)
    try:
        Shipper(args.logs_dir, store, args.state_dir, poll_s=args.poll).run(stop)
    finally:
        store.close()


if __name__ == "__main__":
    main()
