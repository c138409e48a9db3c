-- Each amount row carries its line's group keys (year, level, territory, administrator), copied
-- when written: a line's natural key never changes, so the copy cannot drift. The scope predicate
-- and the year filter of a page then run on the amounts themselves, and one index returns a
-- police auditor's or a central body's rows already in id order, so a page reads one page of
-- index entries instead of every amount in the slice.
ALTER TABLE budget_amounts
    ADD COLUMN year INTEGER,
    ADD COLUMN level TEXT,
    ADD COLUMN kato TEXT,
    ADD COLUMN administrator TEXT;
UPDATE budget_amounts a
   SET year = l.year, level = l.level, kato = l.kato, administrator = l.administrator
  FROM budget_lines l
 WHERE l.id = a.line_id;
ALTER TABLE budget_amounts
    ALTER COLUMN year SET NOT NULL,
    ALTER COLUMN level SET NOT NULL,
    ALTER COLUMN kato SET NOT NULL,
    ALTER COLUMN administrator SET NOT NULL;
CREATE INDEX budget_amounts_scope ON budget_amounts(level, kato, administrator, year, id);
