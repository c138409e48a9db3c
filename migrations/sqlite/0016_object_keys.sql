-- Each informatization object carries its owner organization's scope keys (level, territory,
-- administrator), as each amount carries its line's (0007). The scope predicate then runs on
-- the objects themselves: a page of a body's objects reads an index of its own keys instead of
-- joining every object to its owner. Triggers keep the copy right whoever writes: an object's
-- keys are taken from its owner after every insert and every change of its owner or keys, and
-- an owner whose keys change passes them to its objects.
-- NOT NULL as on PostgreSQL; the default only lets the columns be added to existing rows, which
-- the update below fills.
ALTER TABLE informatization_objects ADD COLUMN owner_level TEXT NOT NULL DEFAULT '';
ALTER TABLE informatization_objects ADD COLUMN owner_kato TEXT NOT NULL DEFAULT '';
ALTER TABLE informatization_objects ADD COLUMN owner_administrator TEXT;
UPDATE informatization_objects
   SET owner_level = (SELECT budget_level FROM organizations WHERE id = owner_id),
       owner_kato = (SELECT kato FROM organizations WHERE id = owner_id),
       owner_administrator = (SELECT administrator FROM organizations WHERE id = owner_id);

CREATE TRIGGER informatization_objects_owner_keys_insert AFTER INSERT ON informatization_objects
BEGIN
    UPDATE informatization_objects
       SET owner_level = (SELECT budget_level FROM organizations WHERE id = NEW.owner_id),
           owner_kato = (SELECT kato FROM organizations WHERE id = NEW.owner_id),
           owner_administrator = (SELECT administrator FROM organizations WHERE id = NEW.owner_id)
     WHERE id = NEW.id;
END;
CREATE TRIGGER informatization_objects_owner_keys_update
    AFTER UPDATE OF owner_id, owner_level, owner_kato, owner_administrator ON informatization_objects
BEGIN
    UPDATE informatization_objects
       SET owner_level = (SELECT budget_level FROM organizations WHERE id = NEW.owner_id),
           owner_kato = (SELECT kato FROM organizations WHERE id = NEW.owner_id),
           owner_administrator = (SELECT administrator FROM organizations WHERE id = NEW.owner_id)
     WHERE id = NEW.id;
END;
CREATE TRIGGER organizations_object_keys
    AFTER UPDATE OF budget_level, kato, administrator ON organizations
BEGIN
    UPDATE informatization_objects
       SET owner_level = NEW.budget_level, owner_kato = NEW.kato,
           owner_administrator = NEW.administrator
     WHERE owner_id = NEW.id;
END;

CREATE INDEX informatization_objects_territory ON informatization_objects(owner_kato, owner_level, owner_administrator, id);
CREATE INDEX informatization_objects_administrator ON informatization_objects(owner_administrator, owner_level, id);
