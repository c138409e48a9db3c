-- Amount rows by their line, covering what lists and sums read: the two partial unique indexes
-- cannot serve a plain join on line_id, so without this every scoped read scanned all amounts.
CREATE INDEX budget_amounts_line ON budget_amounts(line_id, phase, as_of, amount_tenths);
