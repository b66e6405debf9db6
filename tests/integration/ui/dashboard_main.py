"""What ``python -m ui`` runs, as NiceGUI's simulated user loads it (no server, no browser)."""

from satmon.settings import get_settings
from ui.app import run

settings = get_settings()
run(settings, settings.ui_host, settings.ui_port)
