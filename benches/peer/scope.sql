-- The benchmark's peer over the hub's own tables: PostGraphile serves the schema `peer` (views of
-- the tables the three measured queries read), and row-level security on the tables does the
-- scoping from the caller's JWT claims (`jwt.claims.kato`, `.levels`, `.administrators`), as a
-- PostGraphile deployment would. The hub connects as the owner and is not affected. Idempotent.

DO $$ BEGIN CREATE ROLE peer_reader NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
CREATE SCHEMA IF NOT EXISTS peer;
GRANT USAGE ON SCHEMA peer, public TO peer_reader;
GRANT SELECT ON budget_lines, budget_amounts, budget_rollup, informatization_objects, documents,
  object_funding, organizations TO peer_reader;

-- The caller's slice, as the hub's scope for a regional body: a KATO prefix, budget levels and,
-- for a police internal audit service, its administrators.
CREATE OR REPLACE FUNCTION public.peer_in_scope(kato text, level text, administrator text)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT kato LIKE current_setting('jwt.claims.kato', true) || '%'
     AND level = ANY (string_to_array(current_setting('jwt.claims.levels', true), ','))
     AND (coalesce(current_setting('jwt.claims.administrators', true), '') = ''
          OR administrator = ANY (string_to_array(current_setting('jwt.claims.administrators', true), ',')))
$$;

ALTER TABLE budget_lines ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS peer_scope ON budget_lines;
CREATE POLICY peer_scope ON budget_lines FOR SELECT TO peer_reader
  USING (public.peer_in_scope(kato, level, administrator));

ALTER TABLE budget_amounts ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS peer_scope ON budget_amounts;
CREATE POLICY peer_scope ON budget_amounts FOR SELECT TO peer_reader
  USING (EXISTS (SELECT 1 FROM budget_lines l WHERE l.id = line_id));

ALTER TABLE budget_rollup ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS peer_scope ON budget_rollup;
CREATE POLICY peer_scope ON budget_rollup FOR SELECT TO peer_reader
  USING (public.peer_in_scope(kato, level, administrator));

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS peer_scope ON organizations;
CREATE POLICY peer_scope ON organizations FOR SELECT TO peer_reader USING (true);

ALTER TABLE informatization_objects ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS peer_scope ON informatization_objects;
CREATE POLICY peer_scope ON informatization_objects FOR SELECT TO peer_reader
  USING (EXISTS (SELECT 1 FROM organizations o WHERE o.id = owner_id
                 AND public.peer_in_scope(o.kato, o.budget_level, coalesce(o.administrator, ''))));

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS peer_scope ON documents;
CREATE POLICY peer_scope ON documents FOR SELECT TO peer_reader
  USING (EXISTS (SELECT 1 FROM informatization_objects i WHERE i.id = object_id));

ALTER TABLE object_funding ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS peer_scope ON object_funding;
CREATE POLICY peer_scope ON object_funding FOR SELECT TO peer_reader
  USING (EXISTS (SELECT 1 FROM informatization_objects i WHERE i.id = object_id));

CREATE OR REPLACE VIEW peer.budget_rows WITH (security_invoker = true) AS
  SELECT a.id, l.year, l.level, l.kato AS territory, l.administrator, l.program, a.phase, a.as_of,
         a.amount_tenths
  FROM budget_amounts a JOIN budget_lines l ON l.id = a.line_id;
COMMENT ON VIEW peer.budget_rows IS E'@primaryKey id';

CREATE OR REPLACE VIEW peer.budget_rollups WITH (security_invoker = true) AS
  SELECT year, level, kato, administrator, phase, as_of, amount_tenths, row_count FROM budget_rollup;

CREATE OR REPLACE VIEW peer.organizations WITH (security_invoker = true) AS
  SELECT id, name_ru AS name FROM organizations;
COMMENT ON VIEW peer.organizations IS E'@primaryKey id';

CREATE OR REPLACE VIEW peer.objects WITH (security_invoker = true) AS
  SELECT id, name_ru AS name, stage, owner_id FROM informatization_objects;
COMMENT ON VIEW peer.objects IS E'@primaryKey id\n@foreignKey (owner_id) references peer.organizations (id)';

CREATE OR REPLACE VIEW peer.documents WITH (security_invoker = true) AS
  SELECT id, object_id, title, size_bytes FROM documents;
COMMENT ON VIEW peer.documents IS E'@primaryKey id\n@foreignKey (object_id) references peer.objects (id)';

CREATE OR REPLACE VIEW peer.funding WITH (security_invoker = true) AS
  SELECT f.object_id, f.line_id, l.year, l.program
  FROM object_funding f JOIN budget_lines l ON l.id = f.line_id;
COMMENT ON VIEW peer.funding IS E'@primaryKey object_id,line_id\n@foreignKey (object_id) references peer.objects (id)';

GRANT SELECT ON ALL TABLES IN SCHEMA peer TO peer_reader;
