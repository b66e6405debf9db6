"""Shared test data: the telemetry message of the event contract (ARCHITECTURE.md)."""

CONTRACT_TELEMETRY = {
    "satellite_id": "SAT-001",
    "timestamp": "2026-11-28T10:00:00.000Z",
    "temperature": 12.3,
    "altitude": 421.7,
    "velocity": 7.66,
    "battery": 3.91,
    "solar_power": 55.2,
    "latitude": 12.31,
    "longitude": -45.62,
}


def telemetry_at(satellite_id: str, moment: object) -> dict:
    """A valid telemetry message of ``satellite_id`` at ``moment`` (a datetime or an
    RFC 3339 string), with values inside every simulator range."""
    from datetime import datetime

    stamp = (
        moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        if isinstance(moment, datetime)
        else str(moment)
    )
    return {
        **CONTRACT_TELEMETRY,
        "satellite_id": satellite_id,
        "timestamp": stamp,
    }
