"""The contract every part of satmon shares: topics, event types and schemas, the
forecast contract, the CloudEvents HTTP and Kafka bindings, and batch rejections.

The lowest layer: it imports nothing of satmon but ``errors`` and ``settings``.
"""
