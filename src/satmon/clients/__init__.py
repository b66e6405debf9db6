"""Clients of the servers satmon talks to: Kafka, VictoriaMetrics and Triton.

They import only the contract; PostgreSQL access lives in ``satmon.store``.
"""
