-- A batch of chained events appended in one statement, without a transaction of its own: the
-- writer that appended the chain's newest events knows its head, computes the next events'
-- hashes from it, and this function takes the append lock, checks that the head is still the one
-- the batch was chained to, and inserts the batch. It returns false, inserting nothing, when
-- another writer appended in between (or the head is not the one given); the writer then appends
-- as before (BEGIN, audit_hub_chain_head, INSERT, COMMIT). One round trip instead of four on the
-- path every request waits on. The statement's own transaction commits before it answers.
CREATE FUNCTION audit_hub_append_after(expected_seq BIGINT, expected_hash TEXT, events JSONB)
RETURNS BOOLEAN
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head_seq BIGINT;
    head_hash TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(727270001);
    -- A fresh snapshot: read after the lock is held, so it sees every batch committed before.
    SELECT e.seq, e.hash INTO head_seq, head_hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1;
    IF head_seq IS DISTINCT FROM expected_seq OR head_hash IS DISTINCT FROM expected_hash THEN
        RETURN FALSE;
    END IF;
    INSERT INTO audit_events (seq, at, user_id, organization_id, operation, query_hash, variables,
                              scope, outcome, rows_returned, duration_ms, client_addr, request_id,
                              served_from_cache, prev_hash, hash)
    SELECT r.seq, r.at, r.user_id, r.organization_id, r.operation, r.query_hash, r.variables,
           r.scope, r.outcome, r.rows_returned, r.duration_ms, r.client_addr, r.request_id,
           r.served_from_cache, r.prev_hash, r.hash
    FROM jsonb_to_recordset(events) AS r(seq BIGINT, at TIMESTAMPTZ, user_id BIGINT,
                                         organization_id BIGINT, operation TEXT, query_hash TEXT,
                                         variables TEXT, scope TEXT, outcome TEXT,
                                         rows_returned BIGINT, duration_ms BIGINT,
                                         client_addr TEXT, request_id TEXT,
                                         served_from_cache BOOLEAN, prev_hash TEXT, hash TEXT)
    ORDER BY r.seq;
    RETURN TRUE;
END
$$;
