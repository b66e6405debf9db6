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
