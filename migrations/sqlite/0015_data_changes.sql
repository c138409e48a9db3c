-- Answers to read queries are cached by each server process, keyed by the data they read. Every
-- change to budget, object, document or reference data, whatever writes it (an import, the
-- seed, a rollup rebuild, an operator's SQL), bumps the 'data' epoch in the same transaction;
-- each cached answer is used only while the epoch it was made at is current (SQLite has no
-- notifications: every cacheable request reads the epoch, one indexed row).
-- SQLite has row triggers only: a bulk import bumps the epoch once per row, in its own
-- transaction, so the row stays in the page cache (measured in BENCHMARKS.md).
INSERT INTO change_epochs (topic, epoch) VALUES ('data', 0);

CREATE TRIGGER budget_amounts_insert_data_changed AFTER INSERT ON budget_amounts
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_amounts_update_data_changed AFTER UPDATE ON budget_amounts
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_amounts_delete_data_changed AFTER DELETE ON budget_amounts
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_lines_insert_data_changed AFTER INSERT ON budget_lines
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_lines_update_data_changed AFTER UPDATE ON budget_lines
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_lines_delete_data_changed AFTER DELETE ON budget_lines
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_programs_insert_data_changed AFTER INSERT ON budget_programs
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_programs_update_data_changed AFTER UPDATE ON budget_programs
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_programs_delete_data_changed AFTER DELETE ON budget_programs
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_classification_insert_data_changed AFTER INSERT ON budget_classification
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_classification_update_data_changed AFTER UPDATE ON budget_classification
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_classification_delete_data_changed AFTER DELETE ON budget_classification
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER functional_groups_insert_data_changed AFTER INSERT ON functional_groups
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER functional_groups_update_data_changed AFTER UPDATE ON functional_groups
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER functional_groups_delete_data_changed AFTER DELETE ON functional_groups
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER economic_specifics_insert_data_changed AFTER INSERT ON economic_specifics
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER economic_specifics_update_data_changed AFTER UPDATE ON economic_specifics
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER economic_specifics_delete_data_changed AFTER DELETE ON economic_specifics
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_rollup_insert_data_changed AFTER INSERT ON budget_rollup
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_rollup_update_data_changed AFTER UPDATE ON budget_rollup
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_rollup_delete_data_changed AFTER DELETE ON budget_rollup
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_region_rollup_insert_data_changed AFTER INSERT ON budget_region_rollup
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_region_rollup_update_data_changed AFTER UPDATE ON budget_region_rollup
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER budget_region_rollup_delete_data_changed AFTER DELETE ON budget_region_rollup
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER informatization_objects_insert_data_changed AFTER INSERT ON informatization_objects
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER informatization_objects_update_data_changed AFTER UPDATE ON informatization_objects
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER informatization_objects_delete_data_changed AFTER DELETE ON informatization_objects
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER object_stage_history_insert_data_changed AFTER INSERT ON object_stage_history
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER object_stage_history_update_data_changed AFTER UPDATE ON object_stage_history
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER object_stage_history_delete_data_changed AFTER DELETE ON object_stage_history
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER object_funding_insert_data_changed AFTER INSERT ON object_funding
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER object_funding_update_data_changed AFTER UPDATE ON object_funding
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER object_funding_delete_data_changed AFTER DELETE ON object_funding
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER documents_insert_data_changed AFTER INSERT ON documents
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER documents_update_data_changed AFTER UPDATE ON documents
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER documents_delete_data_changed AFTER DELETE ON documents
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER document_contents_insert_data_changed AFTER INSERT ON document_contents
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER document_contents_update_data_changed AFTER UPDATE ON document_contents
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER document_contents_delete_data_changed AFTER DELETE ON document_contents
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER document_chunks_insert_data_changed AFTER INSERT ON document_chunks
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER document_chunks_update_data_changed AFTER UPDATE ON document_chunks
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER document_chunks_delete_data_changed AFTER DELETE ON document_chunks
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER territories_insert_data_changed AFTER INSERT ON territories
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER territories_update_data_changed AFTER UPDATE ON territories
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;
CREATE TRIGGER territories_delete_data_changed AFTER DELETE ON territories
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'data';
END;

-- An answer served from that cache is still recorded, and marked as such.
ALTER TABLE audit_events ADD COLUMN served_from_cache INTEGER NOT NULL DEFAULT 0;
