-- Alarms join the full-text search of GET /api/v1/search/results (search_documents,
-- migration 004) as kind 'alarm', keyed by their id: the title names the alarm, the body
-- holds its message, state, who acknowledged or shelved it and every comment and reason
-- of its history. Kept current by triggers on alarms (its row changes) and alarm_history
-- (a step's comment), and removed with the alarm.
CREATE FUNCTION alarm_search_document_put(p_id BIGINT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    a alarms%ROWTYPE;
    notes TEXT;
BEGIN
    SELECT * INTO a FROM alarms WHERE id = p_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT string_agg(h.action || ' by ' || h.actor || ': ' || h.comment, '. ' ORDER BY h.seq)
        INTO notes FROM alarm_history h WHERE h.alarm_id = p_id AND h.comment IS NOT NULL;
    PERFORM search_document_put(
        'alarms',
        a.id::text,
        'alarm',
        initcap(a.max_severity) || ' ' || a.kind || ' alarm'
            || coalesce(' on ' || a.metric, '') || ' of ' || a.satellite_id,
        concat_ws(' ',
            a.message || '.',
            'Alarm ' || a.id || ' is ' || CASE
                WHEN a.cleared_at IS NOT NULL THEN 'cleared'
                WHEN a.active THEN 'active'
                ELSE 'returned to normal' END
            || CASE WHEN a.acknowledged THEN ', acknowledged by ' || a.acknowledged_by
                    WHEN a.cleared_at IS NULL THEN ', unacknowledged' ELSE '' END || '.',
            'Shelved by ' || a.shelved_by || ': ' || a.shelve_reason || '.',
            notes
        ),
        a.satellite_id,
        a.raised_at
    );
END
$$;

CREATE FUNCTION alarms_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_documents WHERE source = 'alarms' AND ref = OLD.id::text;
        RETURN NULL;
    END IF;
    PERFORM alarm_search_document_put(NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER alarms_search
    AFTER INSERT OR UPDATE OR DELETE ON alarms
    FOR EACH ROW EXECUTE FUNCTION alarms_search_document();

CREATE FUNCTION alarm_history_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM alarm_search_document_put(NEW.alarm_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER alarm_history_search
    AFTER INSERT ON alarm_history
    FOR EACH ROW WHEN (NEW.comment IS NOT NULL)
    EXECUTE FUNCTION alarm_history_search_document();

-- the alarms stored before this migration
SELECT alarm_search_document_put(id) FROM alarms;
