-- Full-text search of GET /api/v1/search/results: one row per searchable thing, whatever
-- table it lives in. A table joins the search by calling search_document_put() from a
-- trigger of its own (and filling its existing rows once), in its own migration:
--   source  the table (inference_results, alarms, dead_letters, …)
--   ref     the row's key in that table
--   kind    forecast | failure | alarm | dead_letter | …  (a filter of the API)
-- Forecast jobs join here: completed / queued / running jobs as 'forecast', failed
-- ones as 'failure' (with their error text).
CREATE TABLE search_documents (
    source       TEXT NOT NULL,
    ref          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    satellite_id TEXT,
    happened_at  TIMESTAMPTZ NOT NULL,
    document     TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
    ) STORED,
    PRIMARY KEY (source, ref)
);
CREATE INDEX search_documents_document ON search_documents USING GIN (document);
CREATE INDEX search_documents_time ON search_documents (happened_at DESC);

CREATE FUNCTION search_document_put(
    p_source TEXT, p_ref TEXT, p_kind TEXT, p_title TEXT, p_body TEXT,
    p_satellite_id TEXT, p_happened_at TIMESTAMPTZ
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO search_documents (source, ref, kind, title, body, satellite_id, happened_at)
    VALUES (p_source, p_ref, p_kind, p_title, p_body, p_satellite_id, p_happened_at)
    ON CONFLICT (source, ref) DO UPDATE SET
        kind = EXCLUDED.kind, title = EXCLUDED.title, body = EXCLUDED.body,
        satellite_id = EXCLUDED.satellite_id, happened_at = EXCLUDED.happened_at
$$;

CREATE FUNCTION inference_results_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_document_put(
        'inference_results',
        NEW.job_id,
        CASE WHEN NEW.status = 'failed' THEN 'failure' ELSE 'forecast' END,
        CASE WHEN NEW.status = 'failed' THEN 'Failed forecast' ELSE 'Forecast' END
            || ' of ' || NEW.metric || ' for ' || NEW.satellite_id || ' by ' || NEW.model,
        concat_ws(' ',
            'Job ' || NEW.job_id || ' (' || NEW.trigger || ') is ' || NEW.status || '.',
            'Error: ' || NEW.error || '.',
            'Anomaly score ' || round(NEW.anomaly_score::numeric, 3) || '.',
            'Model latency ' || round(NEW.latency_ms::numeric, 1) || ' ms.',
            'Forecast ' || to_char(NEW.forecast_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
                || ' to ' || to_char(NEW.forecast_end AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC.'
        ),
        NEW.satellite_id,
        coalesce(NEW.completed_at, NEW.requested_at)
    );
    RETURN NULL;
END
$$;

CREATE TRIGGER inference_results_search
    AFTER INSERT OR UPDATE ON inference_results
    FOR EACH ROW EXECUTE FUNCTION inference_results_search_document();

-- the jobs stored before this migration
UPDATE inference_results SET status = status;
