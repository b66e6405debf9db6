-- The operation API's reads of inference_results: each forecast's time span, so that
-- /trends/prediction and /trends/compare find the forecasts of a range by index, and
-- indexes for /query/jobs' keyset paging and /query/stats' ranges.
ALTER TABLE inference_results
    ADD COLUMN forecast_start TIMESTAMPTZ
        GENERATED ALWAYS AS (prediction_timestamps[1]) STORED,
    ADD COLUMN forecast_end TIMESTAMPTZ
        GENERATED ALWAYS AS (prediction_timestamps[cardinality(prediction_timestamps)]) STORED;
CREATE INDEX inference_results_forecast_span
    ON inference_results (satellite_id, metric, forecast_end) WHERE status = 'completed';
CREATE INDEX inference_results_requested ON inference_results (requested_at, job_id);
CREATE INDEX inference_results_updated ON inference_results (updated_at, job_id);
