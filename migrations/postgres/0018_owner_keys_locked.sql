-- An object's owner keys are read with FOR SHARE: a transaction inserting or moving an object
-- while another changes the owner's keys then waits for it and copies the new keys. Without
-- the lock it could copy the old ones, and the owner's trigger, which cannot see the uncommitted
-- object, would not correct them.
CREATE OR REPLACE FUNCTION audit_hub_object_owner_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT budget_level, kato, administrator
      INTO NEW.owner_level, NEW.owner_kato, NEW.owner_administrator
      FROM organizations WHERE id = NEW.owner_id
       FOR SHARE;
    RETURN NEW;
END
$$;
