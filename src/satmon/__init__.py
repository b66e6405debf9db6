"""satmon: satellite telemetry monitoring on Kafka, CloudEvent functions and Triton."""

__version__ = "0.1.0"
