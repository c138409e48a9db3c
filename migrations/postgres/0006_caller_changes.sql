-- What a caller is (user, organization, grants, training) is cached by each server process.
-- Every change to those tables, whatever writes it (GraphQL, CLI, an operator's SQL), bumps the
-- 'callers' epoch in the same transaction and notifies the other processes on commit, so a block
-- or a grant made through one instance takes effect on all of them.
CREATE TABLE change_epochs (
    topic TEXT PRIMARY KEY,
    epoch BIGINT NOT NULL
);
INSERT INTO change_epochs (topic, epoch) VALUES ('callers', 0);

CREATE FUNCTION audit_hub_callers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_epoch BIGINT;
BEGIN
    UPDATE change_epochs SET epoch = epoch + 1 WHERE topic = 'callers' RETURNING epoch INTO new_epoch;
    PERFORM pg_notify('audit_hub_callers', new_epoch::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_callers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION audit_hub_callers_changed();
CREATE TRIGGER organizations_callers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION audit_hub_callers_changed();
CREATE TRIGGER access_grants_callers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON access_grants
    FOR EACH STATEMENT EXECUTE FUNCTION audit_hub_callers_changed();
CREATE TRIGGER training_records_callers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON training_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_hub_callers_changed();
