"""Local Knative-style eventing: manifests, filters, delivery policy, dispatcher, PingSource.

The cluster runs the manifests in ``eventing/`` on Knative Eventing (KafkaSource, Kafka
Broker + Triggers, PingSource); locally :mod:`satmon.eventing.dispatcher` reads the same
files and mirrors what Knative promises (Knative Eventing's data-plane contract).
"""

from __future__ import annotations
