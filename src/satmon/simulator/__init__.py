"""Telemetry simulator: ISS-like satellites with a true ground track, eclipses, power and
thermal dynamics, sensor noise and labelled anomalies.

``generate`` yields ``Telemetry`` samples; ``simulate_arrays`` gives one satellite's series
as numpy arrays (fast, for training sets); ``cli.simulate`` sends them to Kafka.
"""

from satmon.simulator.anomalies import KINDS, Anomaly, AnomalySpec
from satmon.simulator.durations import parse_duration
from satmon.simulator.generator import (
    SatelliteSimulator,
    Track,
    generate,
    satellite_id,
    simulate_arrays,
    simulate_track,
)

__all__ = [
    "KINDS",
    "Anomaly",
    "AnomalySpec",
    "SatelliteSimulator",
    "Track",
    "generate",
    "parse_duration",
    "satellite_id",
    "simulate_arrays",
    "simulate_track",
]
