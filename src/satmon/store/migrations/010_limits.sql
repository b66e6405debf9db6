-- Red / yellow limits: every version of every limit set an operator stored. The contract
-- defaults are not rows: they derive from the metrics' ranges (satmon.contract.limits).
-- satellite_id NULL is the fleet-wide set of a metric, a satellite id its override.
-- One row per change, numbered 1, 2, … per (metric, satellite); the newest one is in
-- force. A row with inherit = true withdraws the set (back to the fleet-wide set or
-- the contract default) and leaves the limit columns empty.
CREATE TABLE limit_versions (
    id            BIGSERIAL PRIMARY KEY,
    metric        TEXT NOT NULL,
    satellite_id  TEXT,
    version       INTEGER NOT NULL CHECK (version >= 1),
    inherit       BOOLEAN NOT NULL DEFAULT false,
    yellow_low    DOUBLE PRECISION,
    yellow_high   DOUBLE PRECISION,
    red_low       DOUBLE PRECISION,
    red_high      DOUBLE PRECISION,
    persistence   INTEGER NOT NULL CHECK (persistence BETWEEN 1 AND 1000),
    deadband      DOUBLE PRECISION NOT NULL CHECK (deadband >= 0),
    changed_by    TEXT NOT NULL,
    changed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    comment       TEXT
);
CREATE UNIQUE INDEX limit_versions_key
    ON limit_versions (metric, coalesce(satellite_id, ''), version);
