-- Every dead-lettered event, readable: what it was, where it was going, why it failed.
-- Written by the dead-letter-store function from the <topic>.dlq topics; one row per
-- (source, id) however often a dead letter is redelivered. An event that never was a
-- CloudEvent gets the source and id of the dead-letter record itself.
CREATE TABLE dead_letters (
    id               BIGSERIAL PRIMARY KEY,
    source           TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    original_topic   TEXT NOT NULL,          -- e.g. satellite-telemetry
    origin           TEXT,                   -- <topic>/<partition>/<offset> of the original
    event_type       TEXT,                   -- NULL when it was not a CloudEvent
    subject          TEXT,
    reason           TEXT NOT NULL,          -- one line a person can act on
    error_code       INTEGER,                -- the subscriber's last HTTP status, if any
    error_dest       TEXT,                   -- the subscriber that gave up
    error_data       TEXT,                   -- the subscriber's last answer (≤ 1 KiB)
    attempts         INTEGER,                -- delivery attempts (0: never deliverable)
    attributes       JSONB NOT NULL DEFAULT '{}',  -- the original attributes / headers
    body             TEXT NOT NULL DEFAULT '',     -- the original data, truncated
    body_encoding    TEXT NOT NULL DEFAULT 'utf-8' CHECK (body_encoding IN ('utf-8', 'base64')),
    body_bytes       INTEGER NOT NULL DEFAULT 0,   -- the original data's full size
    body_truncated   BOOLEAN NOT NULL DEFAULT false,
    event_time       TIMESTAMPTZ,            -- the event's own time attribute
    dead_lettered_at TIMESTAMPTZ NOT NULL,
    stored_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    search           TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', reason || ' ' || coalesce(event_type, '') || ' '
                    || coalesce(subject, '') || ' ' || original_topic || ' ' || body)
    ) STORED,
    UNIQUE (source, event_id)
);
CREATE INDEX dead_letters_recent ON dead_letters (dead_lettered_at DESC);
CREATE INDEX dead_letters_by_topic ON dead_letters (original_topic, dead_lettered_at DESC);
CREATE INDEX dead_letters_search ON dead_letters USING GIN (search);
