"""What a dead letter carries besides the original event (``EVENTING.md``, Dead letter).

The dispatcher writes the original record to ``<topic>.dlq`` unchanged but for these
extension attributes (``ce_*`` headers); the dead-letter-store reads them back.
"""

from __future__ import annotations

DEAD_LETTER_EXTENSIONS = (
    "knativeerrordest",  # the subscriber URL that failed
    "knativeerrorcode",  # its last HTTP status (absent when there was no answer)
    "knativeerrordata",  # its last answer, truncated to 1024 bytes, base64
    "satmonattempts",  # delivery attempts (0: never deliverable)
    "satmonreason",  # one line of plain text
    "satmonorigin",  # <topic>/<partition>/<offset> of the original record
)
