-- Dead letters join the full-text search of GET /api/v1/search/results
-- (search_documents, migration 004) as kind 'dead_letter', keyed by their row id; the
-- table's own tsvector, which nothing reads any more, goes.
DROP INDEX dead_letters_search;
ALTER TABLE dead_letters DROP COLUMN search;

CREATE FUNCTION dead_letters_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_document_put(
        'dead_letters',
        NEW.id::text,
        'dead_letter',
        'Dead letter on ' || NEW.original_topic || ': '
            || coalesce(NEW.event_type, 'not a CloudEvent'),
        concat_ws(' ',
            NEW.reason,
            'Event ' || NEW.event_id || ' from ' || NEW.source || '.',
            'Subject ' || NEW.subject || '.',
            'Attempts ' || NEW.attempts || '.',
            CASE WHEN NEW.body_encoding = 'utf-8' THEN left(NEW.body, 2000) END
        ),
        coalesce(
            NEW.attributes ->> 'partitionkey',
            substring(NEW.source FROM '^/satellites/([A-Za-z0-9._-]+)$')
        ),
        NEW.dead_lettered_at
    );
    RETURN NULL;
END
$$;

CREATE TRIGGER dead_letters_search
    AFTER INSERT OR UPDATE ON dead_letters
    FOR EACH ROW EXECUTE FUNCTION dead_letters_search_document();

-- the dead letters stored before this migration
UPDATE dead_letters SET reason = reason;
