-- What a caller is (user, organization, grants, training) is cached by each server process.
-- Every change to those tables, whatever writes it (GraphQL, CLI, an operator's SQL), bumps the
-- 'callers' epoch in the same transaction; each request compares the epoch with the one its
-- cached caller was loaded at (SQLite has no notifications), so a block or a grant made through
-- one process takes effect on every process sharing the file.
CREATE TABLE change_epochs (
    topic TEXT PRIMARY KEY,
    epoch INTEGER NOT NULL
);
INSERT INTO change_epochs (topic, epoch) VALUES ('callers', 0);

CREATE TRIGGER users_insert_callers_changed AFTER INSERT ON users
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER users_update_callers_changed AFTER UPDATE ON users
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER users_delete_callers_changed AFTER DELETE ON users
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER organizations_insert_callers_changed AFTER INSERT ON organizations
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER organizations_update_callers_changed AFTER UPDATE ON organizations
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER organizations_delete_callers_changed AFTER DELETE ON organizations
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER access_grants_insert_callers_changed AFTER INSERT ON access_grants
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER access_grants_update_callers_changed AFTER UPDATE ON access_grants
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER access_grants_delete_callers_changed AFTER DELETE ON access_grants
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER training_records_insert_callers_changed AFTER INSERT ON training_records
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER training_records_update_callers_changed AFTER UPDATE ON training_records
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
CREATE TRIGGER training_records_delete_callers_changed AFTER DELETE ON training_records
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers';
END;
