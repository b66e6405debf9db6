"""The log shipper: every component's log file → VictoriaLogs (``python -m satmon.logship``)."""
