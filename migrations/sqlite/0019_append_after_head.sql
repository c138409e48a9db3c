-- PostgreSQL's 0019 adds a function that appends a batch of audit events chained to a known head
-- in one statement. SQLite needs none: its writer appends in one local transaction, without
-- round trips to save. Kept so both dialects number their migrations alike.
SELECT 1;
