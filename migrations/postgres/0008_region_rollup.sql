-- A second, narrower exact pre-aggregation for national dashboards: one row per (year, level,
-- region, phase, snapshot date), summed from budget_rollup. A summary read by a national scope
-- (no territory or administrator in its predicate) that groups and filters only by year, level,
-- region, phase and snapshot date reads these few hundred rows a year instead of the thousands of
-- budget_rollup. Writers rebuild the (year, level) slices they touched in the same transaction as
-- budget_rollup, from budget_rollup; tests/rollup.rs holds it against the raw amounts.
CREATE TABLE budget_region_rollup (
    year          INTEGER NOT NULL,
    level         TEXT NOT NULL,
    region_kato   TEXT,
    phase         TEXT NOT NULL,
    as_of         DATE,
    amount_tenths BIGINT NOT NULL,
    row_count     BIGINT NOT NULL
);
CREATE INDEX budget_region_rollup_slice ON budget_region_rollup(year, level);

INSERT INTO budget_region_rollup (year, level, region_kato, phase, as_of, amount_tenths, row_count)
SELECT year, level, region_kato, phase, as_of, SUM(amount_tenths), SUM(row_count)
FROM budget_rollup
GROUP BY year, level, region_kato, phase, as_of;
