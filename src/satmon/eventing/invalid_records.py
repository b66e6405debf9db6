"""KafkaSource: a record that is not a CloudEvent is delivered as one, as Knative does.

Knative's KafkaSource never drops or dead-letters a record for not being a CloudEvent:
its dispatcher builds one from the record (eventing-kafka-broker's invalid-CloudEvent
interceptor): type ``dev.knative.kafka.event``, id ``partition:<p>/offset:<o>``, source
``/apis/v1/namespaces/<ns>/kafkasources/<name>#<topic>``, subject
``partition:<p>#<o>``, time = the record's timestamp, the key as ``key`` and
``partitionkey``, each record header as an extension ``kafkaheader<name>`` (name
lower-cased, keeping a-z and 0-9) and the value as data. Header bytes that are not UTF-8,
and characters a CloudEvents String may not hold (control characters, noncharacters),
become U+FFFD, so that the wrapped event is one every receiver takes.

Locally a subscription asks for this with the annotation ``satmon.io/invalid-records:
wrap``; by default such records are dead-lettered with their reason, which is what the
functions that only take satmon's own event types need.
"""

from __future__ import annotations

from datetime import UTC, datetime

from satmon.contract.http.headers import DISALLOWED
from satmon.eventing.records import Envelope, check_json, is_json

WRAPPED_TYPE = "dev.knative.kafka.event"
NAME_MAX = 40
"""The longest attribute name satmon's receivers take."""


def wrap_invalid_record(env: Envelope, source_name: str, namespace: str) -> Envelope:
    """A deliverable envelope for a record that could not form a CloudEvent."""
    attrs = {
        "specversion": "1.0",
        "id": f"partition:{env.partition}/offset:{env.offset}",
        "source": f"/apis/v1/namespaces/{namespace}/kafkasources/{source_name}#{env.topic}",
        "type": WRAPPED_TYPE,
        "subject": f"partition:{env.partition}#{env.offset}",
    }
    if env.timestamp_ms:
        moment = datetime.fromtimestamp(env.timestamp_ms / 1000, UTC)
        attrs["time"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if env.key:
        attrs["key"] = attrs["partitionkey"] = _text(env.key)
    for name, raw in env.headers:
        if name.lower() == "content-type":
            attrs["datacontenttype"] = _text(raw).lower()
            continue
        extension = "kafkaheader" + "".join(c for c in name.lower() if c.isascii() and c.isalnum())
        attrs[extension[:NAME_MAX]] = _text(raw)
    json_data = False
    if env.value and is_json(attrs.get("datacontenttype", "application/json")):
        try:
            check_json(env.value)
            json_data = True
        except (ValueError, UnicodeDecodeError):
            pass
    return Envelope(
        env.topic,
        env.partition,
        env.offset,
        env.key,
        env.value,
        env.headers,
        env.timestamp_ms,
        attrs=attrs,
        json_data=json_data,
    )


def _text(raw: str | bytes | None) -> str:
    """Header bytes as attribute text: undecodable bytes replaced (as Knative's UTF-8
    decoding does), and so is every character a CloudEvents String may not hold."""
    if raw is None:
        return ""
    text = raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")
    return DISALLOWED.sub("\ufffd", text)
