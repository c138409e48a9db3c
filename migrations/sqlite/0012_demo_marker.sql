-- Written by the demo seed, in its transaction: the database holds synthetic demo data only.
-- `serve --demo` hands out demo users' tokens only for such a database, and refuses to start
-- on one holding data the demo seed did not create.
CREATE TABLE demo_marker (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    seeded_at TEXT NOT NULL
);
