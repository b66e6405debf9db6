-- The latest forecast of each (series, model, timestamp), kept as completed jobs are
-- stored (satmon.store.latest_forecasts), so that /trends/prediction and /trends/compare
-- read a range's points by primary key instead of sorting every job's points in it: a
-- series forecast every few seconds has dozens of jobs per timestamp.
CREATE TABLE latest_forecasts (
    satellite_id TEXT NOT NULL,
    metric       TEXT NOT NULL,
    model        TEXT NOT NULL,
    ts           TIMESTAMPTZ NOT NULL,
    value        DOUBLE PRECISION,
    lower        DOUBLE PRECISION,
    upper        DOUBLE PRECISION,
    job_id       TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    last_input   DOUBLE PRECISION,
    PRIMARY KEY (satellite_id, metric, model, ts)
);
INSERT INTO latest_forecasts
SELECT DISTINCT ON (r.satellite_id, r.metric, r.model, p.ts)
       r.satellite_id, r.metric, r.model, p.ts, p.value, p.lower, p.upper, r.job_id,
       r.requested_at, r.input_window[cardinality(r.input_window)]
  FROM inference_results r
 CROSS JOIN LATERAL unnest(r.prediction_timestamps, r.predictions, r.lower_bound,
                           r.upper_bound) AS p(ts, value, lower, upper)
 WHERE r.status = 'completed' AND p.ts IS NOT NULL
 ORDER BY r.satellite_id, r.metric, r.model, p.ts, r.requested_at DESC, r.job_id COLLATE "C" DESC;
