-- Official classifiers (docs/formats/): a territory that leaves the KATO classifier is kept,
-- with the day it left, because budget lines and bodies refer to it; and the unified budget
-- classification, year by year (it changes every year), which budget imports check codes
-- against and take names from.
ALTER TABLE territories ADD COLUMN retired_on DATE;

CREATE TABLE budget_classification (
    year       INTEGER NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    kind       TEXT NOT NULL CHECK (kind IN ('FUNCTIONAL_GROUP','FUNCTIONAL_SUBGROUP','ADMINISTRATOR','PROGRAM','SUBPROGRAM','ECONOMIC_CLASS','ECONOMIC_SUBCLASS','ECONOMIC_SPECIFIC')),
    -- The budget level of administrators, programs and subprograms; '' for the others.
    level      TEXT NOT NULL CHECK (level IN ('','REPUBLICAN','REGIONAL','DISTRICT','RURAL')),
    code       TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 9),
    name_kk    TEXT NOT NULL,
    name_ru    TEXT NOT NULL,
    retired_on DATE,
    PRIMARY KEY (year, kind, level, code)
);
