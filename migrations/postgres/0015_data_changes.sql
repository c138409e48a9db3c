-- Answers to read queries are cached by each server process, keyed by the data they read. Every
-- change to budget, object, document or reference data, whatever writes it (an import, the
-- seed, a rollup rebuild, an operator's SQL), bumps the 'data' epoch in the same transaction
-- and notifies the other processes on commit, so no cached answer outlives the data it shows.
-- Statement-level triggers: a bulk import of a million amounts bumps the epoch once per
-- statement, not once per row.
INSERT INTO change_epochs (topic, epoch) VALUES ('data', 0);

CREATE FUNCTION audit_hub_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_epoch BIGINT;
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data' RETURNING epoch INTO new_epoch;
    PERFORM pg_notify('audit_hub_data', new_epoch::text);
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'budget_amounts', 'budget_lines', 'budget_programs', 'budget_classification',
        'functional_groups', 'economic_specifics', 'budget_rollup', 'budget_region_rollup',
        'informatization_objects', 'object_stage_history', 'object_funding',
        'documents', 'document_contents', 'document_chunks', 'territories'
    ] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
            'FOR EACH STATEMENT EXECUTE FUNCTION audit_hub_data_changed()',
            t || '_data_changed', t);
    END LOOP;
END
$$;

-- An answer served from that cache is still recorded, and marked as such.
ALTER TABLE audit_events ADD COLUMN served_from_cache BOOLEAN NOT NULL DEFAULT FALSE;
