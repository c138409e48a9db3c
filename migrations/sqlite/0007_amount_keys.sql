-- Each amount row carries its line's group keys (year, level, territory, administrator), copied
-- when written: a line's natural key never changes, so the copy cannot drift. The scope predicate
-- and the year filter of a page then run on the amounts themselves, and one index returns a
-- police auditor's or a central body's rows already in id order (SQLite ends every index with
-- the rowid), so a page reads one page of index entries instead of every amount in the slice.
-- SQLite adds a NOT NULL column only with a default; every writer sets the real values.
ALTER TABLE budget_amounts ADD COLUMN year INTEGER NOT NULL DEFAULT 0;
ALTER TABLE budget_amounts ADD COLUMN level TEXT NOT NULL DEFAULT '';
ALTER TABLE budget_amounts ADD COLUMN kato TEXT NOT NULL DEFAULT '';
ALTER TABLE budget_amounts ADD COLUMN administrator TEXT NOT NULL DEFAULT '';
UPDATE budget_amounts
   SET year = l.year, level = l.level, kato = l.kato, administrator = l.administrator
  FROM budget_lines l
 WHERE l.id = budget_amounts.line_id;
CREATE INDEX budget_amounts_scope ON budget_amounts(level, kato, administrator, year);
