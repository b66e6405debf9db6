-- Alarms and their full history (satmon.contract.alarms describes the lifecycle), and
-- the alarm-evaluator's own state, so that a restarted evaluator carries on exactly.

-- The placeholder table of migration 001 was never written to.
DROP TABLE IF EXISTS alarms;

-- One row per alarm: raised once, then moved along its lifecycle until cleared. At most
-- one alarm per (satellite, kind, metric) is not cleared (alarms_open_key).
CREATE TABLE alarms (
    id              BIGSERIAL PRIMARY KEY,
    satellite_id    TEXT NOT NULL,
    metric          TEXT,  -- NULL for a stale alarm: the satellite's whole telemetry
    kind            TEXT NOT NULL CHECK (kind IN ('limit', 'stale', 'anomaly')),
    severity        TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    max_severity    TEXT NOT NULL CHECK (max_severity IN ('warning', 'critical')),
    active          BOOLEAN NOT NULL,  -- the condition holds (false: returned to normal)
    acknowledged    BOOLEAN NOT NULL DEFAULT false,
    acknowledged_by TEXT,
    acknowledged_at TIMESTAMPTZ,
    shelved_until   TIMESTAMPTZ,  -- shelved while in the future
    shelved_by      TEXT,
    shelved_at      TIMESTAMPTZ,
    shelve_reason   TEXT,
    raised_at       TIMESTAMPTZ NOT NULL,  -- when the condition began (the sample's own time)
    returned_at     TIMESTAMPTZ,           -- its latest return to normal
    cleared_at      TIMESTAMPTZ,
    value           DOUBLE PRECISION,      -- the value (or anomaly score) that raised it
    last_value      DOUBLE PRECISION,      -- the value at its latest step
    threshold       DOUBLE PRECISION,      -- the limit (or score threshold) it passed
    message         TEXT NOT NULL,
    seq             INTEGER NOT NULL,      -- steps so far: alarm_history.seq of the newest
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alarms_open_key ON alarms (satellite_id, kind, coalesce(metric, ''))
    WHERE cleared_at IS NULL;
CREATE INDEX alarms_satellite ON alarms (satellite_id, id DESC);
CREATE INDEX alarms_raised ON alarms (raised_at DESC);
CREATE INDEX alarms_not_cleared ON alarms (id DESC) WHERE cleared_at IS NULL;
CREATE INDEX alarms_shelved ON alarms (shelved_until)
    WHERE shelved_until IS NOT NULL AND cleared_at IS NULL;

-- Every step of every alarm: who, when, the state it left the alarm in. A step is also
-- an io.satmon.alarm.* event: published_at stays NULL until Kafka has it (the outbox
-- the evaluator sweeps), and the event id derives from (alarm_id, seq).
CREATE TABLE alarm_history (
    alarm_id      BIGINT NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL CHECK (seq >= 1),
    action        TEXT NOT NULL CHECK (action IN ('raised', 'escalated', 'deescalated',
                  'returned', 'reactivated', 'acknowledged', 'shelved', 'unshelved', 'cleared')),
    state         TEXT NOT NULL CHECK (state IN ('active_unacknowledged', 'active_acknowledged',
                  'returned_unacknowledged', 'shelved', 'cleared')),
    severity      TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    actor         TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,  -- sample time for the evaluator, wall time for people
    value         DOUBLE PRECISION,
    comment       TEXT,
    shelved_until TIMESTAMPTZ,
    recorded_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at  TIMESTAMPTZ,
    PRIMARY KEY (alarm_id, seq)
);
CREATE INDEX alarm_history_unpublished ON alarm_history (recorded_at) WHERE published_at IS NULL;

-- The evaluator's state of each series that is not at rest: a limit series with a
-- streak of out-of-limit samples or a raised level, a stale satellite (metric ''), and
-- every anomaly series (last_ms: the end of the newest forecast window judged).
CREATE TABLE alarm_series_state (
    satellite_id    TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('limit', 'stale', 'anomaly')),
    metric          TEXT NOT NULL,
    level           SMALLINT NOT NULL CHECK (level BETWEEN 0 AND 2),
    streak_warning  INTEGER NOT NULL DEFAULT 0,
    streak_critical INTEGER NOT NULL DEFAULT 0,
    last_ms         BIGINT,
    PRIMARY KEY (satellite_id, kind, metric)
);

-- Per satellite: the newest sample the evaluator judged (its own timestamp, ms) and the
-- spacing of its samples. Samples at or before last_ms are duplicates or late and are
-- not judged again; staleness compares last_ms with the clock.
CREATE TABLE alarm_satellites (
    satellite_id TEXT PRIMARY KEY,
    last_ms      BIGINT NOT NULL,
    cadence_s    DOUBLE PRECISION,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX alarm_satellites_last ON alarm_satellites (last_ms);
