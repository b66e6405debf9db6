"""The pipeline benchmark: Kafka → dispatcher → telemetry-writer → VictoriaMetrics."""
