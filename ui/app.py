"""The dashboard app: pages, the ``/api/v1`` pass-through and the live hub, on NiceGUI."""

from __future__ import annotations

from pathlib import Path

from nicegui import app, ui

from satmon.settings import Settings
from ui import pages, proxy, services
from ui.api_client import ApiClient
from ui.hub import LiveHub

STATIC = Path(__file__).with_name("static")
TITLE = "satmon"


def api_url(settings: Settings) -> str:
    return settings.ui_api_url or f"http://{settings.api_host}:{settings.api_port}"


def build(settings: Settings) -> None:
    """Register everything on NiceGUI's app; the hub starts with the app."""
    upstream = api_url(settings)
    client = ApiClient(upstream)
    hub = LiveHub(client)
    services.install(services.Services(client, hub))
    passthrough = proxy.install(app, upstream)
    app.add_static_files("/satmon-static", STATIC)
    ui.add_head_html('<script src="/satmon-static/live.js"></script>', shared=True)
    pages.register()

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "live_feed": hub.status.state}

    async def start() -> None:
        hub.start()

    async def stop() -> None:
        await hub.stop()
        await client.close()
        await passthrough.aclose()

    app.on_startup(start)
    app.on_shutdown(stop)


def run(settings: Settings, host: str, port: int) -> None:
    build(settings)
    ui.run(
        host=host,
        port=port,
        title=TITLE,
        dark=True,
        reload=False,
        show=False,
        favicon="🛰",
        show_welcome_message=False,
        reconnect_timeout=10.0,
        log_config=None,  # uvicorn's records go through the root logger (satmon.logconfig)
    )
