-- What made a completed job's predictions: 'model', or the baseline ('persistence',
-- 'line') that the per-series choice put in the model's place (satmon.pipeline.choices).
-- Jobs stored before this column have none.
ALTER TABLE inference_results ADD COLUMN forecast_source TEXT;
