-- PostgreSQL's 0018 makes its owner-keys trigger lock the owner row it copies from. SQLite has
-- one writer at a time, so its triggers cannot race; kept so both dialects number their
-- migrations alike.
SELECT 1;
