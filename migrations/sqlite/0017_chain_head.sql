-- PostgreSQL's 0017 adds a function that takes the audit chain's append lock and reads its head
-- in one call. SQLite needs none: an appending transaction begins IMMEDIATE, which is the lock,
-- and reads the head with a plain query. Kept so both dialects number their migrations alike.
SELECT 1;
