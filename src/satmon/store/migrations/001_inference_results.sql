-- Forecast jobs and their results: one row per job id, upserted by the result store.
CREATE TABLE inference_results (
    job_id          TEXT PRIMARY KEY,
    satellite_id    TEXT NOT NULL,
    metric          TEXT NOT NULL,
    model           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    trigger         TEXT NOT NULL DEFAULT 'api',
    requested_at    TIMESTAMPTZ NOT NULL,
    started_at      TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    input_window    DOUBLE PRECISION[],
    input_timestamps TIMESTAMPTZ[],
    predictions     DOUBLE PRECISION[],
    prediction_timestamps TIMESTAMPTZ[],
    lower_bound     DOUBLE PRECISION[],
    upper_bound     DOUBLE PRECISION[],
    anomaly_score   DOUBLE PRECISION,
    error           TEXT,
    latency_ms      DOUBLE PRECISION,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    search          TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', job_id || ' ' || satellite_id || ' ' || metric || ' ' || model
                    || ' ' || status || ' ' || coalesce(error, ''))
    ) STORED
);
CREATE INDEX inference_results_series ON inference_results (satellite_id, metric, model, completed_at);
CREATE INDEX inference_results_status ON inference_results (status, requested_at);
CREATE INDEX inference_results_search ON inference_results USING GIN (search);

-- Alarms raised on telemetry (anomaly events, threshold breaches).
CREATE TABLE alarms (
    id              BIGSERIAL PRIMARY KEY,
    event_id        TEXT UNIQUE,
    satellite_id    TEXT NOT NULL,
    metric          TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    message         TEXT NOT NULL,
    value           DOUBLE PRECISION,
    score           DOUBLE PRECISION,
    raised_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    acknowledged_at TIMESTAMPTZ,
    search          TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', satellite_id || ' ' || metric || ' ' || severity || ' ' || message)
    ) STORED
);
CREATE INDEX alarms_raised ON alarms (raised_at DESC);
CREATE INDEX alarms_search ON alarms USING GIN (search);
