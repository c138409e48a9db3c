-- The audit writer's batch begins by taking the chain's append lock and reading the chain's
-- head. One call does both: a VOLATILE function takes a fresh snapshot for each statement, so
-- the head is read after the lock is held and sees every batch committed before it. One round
-- trip per batch fewer, on the path every request waits on.
CREATE FUNCTION audit_hub_chain_head() RETURNS TABLE (seq BIGINT, hash TEXT)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727270001);
    RETURN QUERY SELECT e.seq, e.hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1;
END
$$;
