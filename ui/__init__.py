"""satmon's operator dashboard (NiceGUI). It reaches the system only through the
operation API: HTTP for reads and writes, the API's telemetry stream for live data."""
