-- Events the ingress accepted, so that a re-sent (source, id) is a 2xx no-op.
-- Rows older than the dedupe window (SATMON_INGRESS_DEDUPE_TTL_S, default 1 day) are
-- pruned by the ingress itself.
CREATE TABLE ingress_dedupe (
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    accepted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source, event_id)
);
CREATE INDEX ingress_dedupe_accepted ON ingress_dedupe (accepted_at);
