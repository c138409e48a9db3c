//! A page of informatization objects with the children its selection asks for, read ahead in
//! one statement per kind and held by every object of the page, so that each object is written
//! in one pass (see [`super::plain`]) and no nested field waits on a loader.

use std::collections::HashMap;

use async_graphql::parser::types::{Field, SelectionSet};
use async_graphql::{ContextSelectionSet, ID, SelectionField, Value};

use super::asked;
use super::context::{Loaders, OrgLoader, Reader, RequestCtx};
use super::date::Date;
use super::plain::{PlainRow, object, value};
use super::plain_json as json;
use super::types::{
    Document, FundingLine, InformatizationObject, Organization, StageChange, localized,
    localized_str,
};
use crate::error::AppError;
use crate::store::documents;
use crate::store::documents::DocumentRow;
use crate::store::objects::{self, FundingRow, ObjectRow};
use crate::store::positional::Reads;

/// The children of one page of objects, each kind `None` when the selection does not ask for it
/// (its field then reads through the request's loaders, as for an object read by id).
#[derive(Default)]
pub struct ObjectChildren {
    documents: Option<HashMap<i64, Vec<Document>>>,
    funding: Option<HashMap<i64, Vec<FundingLine>>>,
    stages: Option<HashMap<i64, Vec<StageChange>>>,
    /// Owners and possessors the caller may see; one that is absent is hidden from the caller.
    orgs: Option<HashMap<i64, Organization>>,
}

impl ObjectChildren {
    /// Reads the children of `rows` that `selection` (an object's selection) asks for, one
    /// statement per kind through the caller's scope, side by side (each on a connection of
    /// its own): the page waits for the slowest, not for their sum. The organizations also
    /// prime the request's organization loader, which their own nested fields read through.
    pub async fn read(
        reader: &Reader,
        organizations: &Loaders<OrgLoader>,
        selection: SelectionField<'_>,
        rows: &[ObjectRow],
        reads: ChildReads,
    ) -> Result<ObjectChildren, AppError> {
        let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
        if ids.is_empty() {
            return Ok(ObjectChildren::default());
        }
        let wants = |name: &str| selection.selection_set().any(|f| f.name() == name);
        let (db, scope) = (reader.db(), reader.scope());
        let documents = async {
            if !wants("documents") {
                return Ok(None);
            }
            let rows = documents::by_objects(db, scope, &ids, reads.documents).await?;
            Ok::<_, AppError>(Some(group(rows, |d| d.object_id, Document)))
        };
        let funding = async {
            if !wants("fundingLines") {
                return Ok(None);
            }
            let rows = objects::funding(db, scope, &ids, reads.funding).await?;
            Ok(Some(group(rows, |f| f.object_id, FundingLine::from)))
        };
        let stages = async {
            if !wants("stageHistory") {
                return Ok(None);
            }
            let rows = objects::stages(db, scope, &ids).await?;
            Ok(Some(group(rows, |s| s.object_id, StageChange::from)))
        };
        let orgs = async {
            if !(wants("owner") || wants("possessor")) {
                return Ok(None);
            }
            let mut org_ids: Vec<i64> = rows
                .iter()
                .flat_map(|o| [o.owner_id, o.possessor_id])
                .collect();
            org_ids.sort_unstable();
            org_ids.dedup();
            let found = organizations.loader().read(&org_ids).await?;
            let orgs = found
                .values()
                .map(|o| (o.id, Organization(o.clone())))
                .collect();
            organizations.feed_many(found).await;
            Ok(Some(orgs))
        };
        let (documents, funding, stages, orgs) =
            futures::try_join!(documents, funding, stages, orgs)?;
        Ok(ObjectChildren {
            documents,
            funding,
            stages,
            orgs,
        })
    }

    /// Documents of object `id`; `None` when they were not read ahead. Their columns are those
    /// [`ChildReads::asked`] found asked for.
    pub fn documents(&self, id: i64) -> Option<&[Document]> {
        of(&self.documents, id)
    }

    /// Funding lines of object `id`; `None` when they were not read ahead. Their columns are
    /// those [`ChildReads::asked`] found asked for.
    pub fn funding(&self, id: i64) -> Option<&[FundingLine]> {
        of(&self.funding, id)
    }

    /// Stage history of object `id`, oldest first; `None` when it was not read ahead.
    pub fn stages(&self, id: i64) -> Option<&[StageChange]> {
        of(&self.stages, id)
    }

    /// Organization `id` as the caller sees it (`Some(None)`: hidden); `None` when the
    /// organizations were not read ahead.
    pub fn org(&self, id: i64) -> Option<Option<&Organization>> {
        self.orgs.as_ref().map(|m| m.get(&id))
    }
}

/// The columns of the children a page reads: what the selections of its objects ask for.
#[derive(Debug, Clone, Copy)]
pub struct ChildReads {
    /// Documents' columns.
    pub documents: Reads<DocumentRow>,
    /// Funding lines' columns.
    pub funding: Reads<FundingRow>,
}

impl ChildReads {
    /// What `nodes` (every selection of a page's objects, [`asked::nodes`]) ask of the objects'
    /// documents and funding lines.
    pub fn asked(nodes: &[SelectionField<'_>]) -> ChildReads {
        ChildReads {
            documents: asked::reads(&asked::children(nodes, "documents"), asked::DOCUMENT),
            funding: asked::reads(&asked::children(nodes, "fundingLines"), asked::FUNDING_LINE),
        }
    }
}

/// An object's rows of one kind: every object of the page has an entry, empty when it has none.
fn of<T>(map: &Option<HashMap<i64, Vec<T>>>, id: i64) -> Option<&[T]> {
    map.as_ref()
        .map(|m| m.get(&id).map_or(&[][..], Vec::as_slice))
}

/// Rows grouped by object, in the order read (each statement orders its rows).
fn group<R, T>(
    rows: Vec<R>,
    key: impl Fn(&R) -> i64,
    wrap: impl Fn(R) -> T,
) -> HashMap<i64, Vec<T>> {
    let mut map: HashMap<i64, Vec<T>> = HashMap::new();
    for r in rows {
        map.entry(key(&r)).or_default().push(wrap(r));
    }
    map
}

/// A `name` field: the name in the request's language, as the types' `name` resolvers give it;
/// `None` without a request (the resolver then answers).
fn localized_name(
    ctx: &ContextSelectionSet<'_>,
    kk: &str,
    ru: &str,
    en: Option<&str>,
) -> Option<Value> {
    let lang = ctx.data_opt::<RequestCtx>()?.lang;
    Some(value(localized(lang, kk, ru, en)))
}

/// Writes a `name` field as the types' `name` resolvers give it; false without a request.
fn write_name(
    ctx: &ContextSelectionSet<'_>,
    names: (&str, &str, Option<&str>),
    out: &mut Vec<u8>,
) -> bool {
    let Some(request) = ctx.data_opt::<RequestCtx>() else {
        return false;
    };
    json::write_str(out, localized_str(request.lang, names.0, names.1, names.2));
    true
}

/// `rows` under selection `set`, each in one pass; `None` when one of them needs the resolvers.
fn list<T: PlainRow>(
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    rows: &[T],
) -> Option<Value> {
    rows.iter()
        .map(|r| object(ctx, set, r))
        .collect::<Option<Vec<_>>>()
        .map(Value::List)
}

impl PlainRow for InformatizationObject {
    fn plain_field(&self, ctx: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        let r = &self.0;
        Some(match name {
            "id" => value(ID(r.id.to_string())),
            "kind" => value(r.kind),
            "objectClass" => value(r.object_class),
            "name" => localized_name(ctx, &r.name_kk, &r.name_ru, r.name_en.as_deref())?,
            "nameKk" => value(r.name_kk.clone()),
            "nameRu" => value(r.name_ru.clone()),
            "accountCode" => value(r.account_code.clone()),
            "stage" => value(r.stage),
            "accessLevel" => value(r.access_level),
            "registeredOn" => value(Date(r.registered_on)),
            "attestation" => value(r.attestation),
            "attestedOn" => value(r.attested_on.map(Date)),
            _ => return None,
        })
    }

    fn plain_object(&self, ctx: &ContextSelectionSet<'_>, field: &Field) -> Option<Value> {
        let children = self.children()?;
        let set = &field.selection_set.node;
        let org = |id| match children.org(id)? {
            Some(o) => object(ctx, set, o),
            None => Some(Value::Null),
        };
        match field.name.node.as_str() {
            "owner" => org(self.0.owner_id),
            "possessor" => org(self.0.possessor_id),
            "documents" => list(ctx, set, children.documents(self.0.id)?),
            "fundingLines" => list(ctx, set, children.funding(self.0.id)?),
            "stageHistory" => list(ctx, set, children.stages(self.0.id)?),
            _ => None,
        }
    }

    /// The hot fields written without building their values.
    fn write_field(&self, ctx: &ContextSelectionSet<'_>, name: &str, out: &mut Vec<u8>) -> bool {
        let r = &self.0;
        match name {
            "id" => json::write_id(out, r.id),
            "name" => {
                return write_name(ctx, (&r.name_kk, &r.name_ru, r.name_en.as_deref()), out);
            }
            "kind" => json::write_str(out, r.kind.as_str()),
            "stage" => json::write_str(out, r.stage.as_str()),
            "accountCode" => json::write_str(out, &r.account_code),
            _ => return json::write_some(out, self.plain_field(ctx, name)),
        }
        true
    }

    fn write_object_field(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Field,
        out: &mut Vec<u8>,
    ) -> bool {
        let Some(children) = self.children() else {
            return false;
        };
        let set = &field.selection_set.node;
        let org = |id, out: &mut Vec<u8>| match children.org(id) {
            Some(Some(o)) => json::write_object(ctx, set, o, out),
            Some(None) => {
                out.extend_from_slice(b"null");
                true
            }
            None => false,
        };
        fn rows<T: PlainRow>(
            ctx: &ContextSelectionSet<'_>,
            set: &SelectionSet,
            rows: Option<&[T]>,
            out: &mut Vec<u8>,
        ) -> bool {
            rows.is_some_and(|rows| {
                json::write_list(out, rows, |r, out| json::write_object(ctx, set, r, out))
            })
        }
        match field.name.node.as_str() {
            "owner" => org(self.0.owner_id, out),
            "possessor" => org(self.0.possessor_id, out),
            "documents" => rows(ctx, set, children.documents(self.0.id), out),
            "fundingLines" => rows(ctx, set, children.funding(self.0.id), out),
            "stageHistory" => rows(ctx, set, children.stages(self.0.id), out),
            _ => false,
        }
    }
}

impl PlainRow for Organization {
    fn plain_field(&self, ctx: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        let r = &self.0;
        Some(match name {
            "id" => value(ID(r.id.to_string())),
            "bin" => value(r.bin.clone()),
            "kind" => value(r.kind),
            "name" => localized_name(ctx, &r.name_kk, &r.name_ru, r.name_en.as_deref())?,
            "nameKk" => value(r.name_kk.clone()),
            "nameRu" => value(r.name_ru.clone()),
            "nameEn" => value(r.name_en.clone()),
            "territory" => value(r.kato.clone()),
            "budgetLevel" => value(r.budget_level),
            "administrator" => value(r.administrator.clone()),
            "auditExcluded" => value(r.audit_excluded),
            // `parent` loads another row.
            _ => return None,
        })
    }

    /// Its id and name written without building their values.
    fn write_field(&self, ctx: &ContextSelectionSet<'_>, name: &str, out: &mut Vec<u8>) -> bool {
        let r = &self.0;
        match name {
            "id" => {
                json::write_id(out, r.id);
                true
            }
            "name" => write_name(ctx, (&r.name_kk, &r.name_ru, r.name_en.as_deref()), out),
            _ => json::write_some(out, self.plain_field(ctx, name)),
        }
    }
}

impl PlainRow for StageChange {
    fn plain_field(&self, _: &ContextSelectionSet<'_>, name: &str) -> Option<Value> {
        Some(match name {
            "stage" => value(self.stage),
            "startedOn" => value(self.started_on),
            "basis" => value(self.basis.clone()),
            _ => return None,
        })
    }
}
