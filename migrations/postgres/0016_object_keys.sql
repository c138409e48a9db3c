-- Each informatization object carries its owner organization's scope keys (level, territory,
-- administrator), as each amount carries its line's (0007). The scope predicate then runs on
-- the objects themselves: a page of a body's objects reads an index of its own keys instead of
-- joining every object to its owner, so its cost no longer grows with other bodies' objects.
-- Triggers keep the copy right whoever writes: an object's keys are taken from its owner on
-- every insert and update, and an owner whose keys change passes them to its objects (which
-- also bumps the data epoch through the objects' own trigger).
ALTER TABLE informatization_objects
    ADD COLUMN owner_level TEXT,
    ADD COLUMN owner_kato TEXT,
    ADD COLUMN owner_administrator TEXT;
UPDATE informatization_objects o
   SET owner_level = ow.budget_level, owner_kato = ow.kato, owner_administrator = ow.administrator
  FROM organizations ow
 WHERE ow.id = o.owner_id;
ALTER TABLE informatization_objects
    ALTER COLUMN owner_level SET NOT NULL,
    ALTER COLUMN owner_kato SET NOT NULL;

CREATE FUNCTION audit_hub_object_owner_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT budget_level, kato, administrator
      INTO NEW.owner_level, NEW.owner_kato, NEW.owner_administrator
      FROM organizations WHERE id = NEW.owner_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER informatization_objects_owner_keys BEFORE INSERT OR UPDATE ON informatization_objects
    FOR EACH ROW EXECUTE FUNCTION audit_hub_object_owner_keys();

CREATE FUNCTION audit_hub_owner_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE informatization_objects SET owner_id = owner_id WHERE owner_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER organizations_object_keys AFTER UPDATE ON organizations
    FOR EACH ROW
    WHEN (OLD.budget_level IS DISTINCT FROM NEW.budget_level
          OR OLD.kato IS DISTINCT FROM NEW.kato
          OR OLD.administrator IS DISTINCT FROM NEW.administrator)
    EXECUTE FUNCTION audit_hub_owner_keys_changed();

-- A territory's objects (local budgets: a range of KATO codes) and a republican
-- administrator's, each in id order.
CREATE INDEX informatization_objects_territory ON informatization_objects(owner_kato, owner_level, owner_administrator, id);
CREATE INDEX informatization_objects_administrator ON informatization_objects(owner_administrator, owner_level, id);
