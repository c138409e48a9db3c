-- Exact pre-aggregation of budget amounts by the columns dashboards group, filter and scope by:
-- one row per (year, level, territory, administrator, phase, snapshot date) with the sum and the
-- number of amount rows. Summaries that touch no classification column below the administrator
-- (program, subprogram, specific, functional group) read this instead of millions of amount rows.
-- It is rebuilt for the groups an import or seed touches inside the same transaction, so it is
-- never out of step with budget_amounts; the property test in tests/rollup.rs checks that.
CREATE TABLE budget_rollup (
    year          INTEGER NOT NULL,
    level         TEXT NOT NULL,
    kato          TEXT NOT NULL,
    region_kato   TEXT,
    administrator TEXT NOT NULL,
    phase         TEXT NOT NULL,
    as_of         TEXT,
    amount_tenths INTEGER NOT NULL,
    row_count     INTEGER NOT NULL
);
CREATE INDEX budget_rollup_group ON budget_rollup(year, level, kato, administrator);

INSERT INTO budget_rollup (year, level, kato, region_kato, administrator, phase, as_of, amount_tenths, row_count)
SELECT l.year, l.level, l.kato, l.region_kato, l.administrator, a.phase, a.as_of,
       SUM(a.amount_tenths), COUNT(*)
FROM budget_amounts a JOIN budget_lines l ON l.id = a.line_id
GROUP BY l.year, l.level, l.kato, l.region_kato, l.administrator, a.phase, a.as_of;
