//! Technical documents of informatization objects and their content-addressed files, scoped by
//! the owner keys their object carries.

use chrono::NaiveDate;
use sea_query::{Condition, Expr, ExprTrait, Iden, JoinType, Order, Query, SelectStatement};

use super::Db;
use super::objects::owner_keys;
use super::page::{Page, PageRequest};
use super::positional::{Reads, by_position};
use super::schema::{Documents, InformatizationObjects};
use crate::authz::Scope;
use crate::domain::object::{DocumentFormat, DocumentLanguage, DocumentType};
use crate::error::AppResult;

/// A document's metadata.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DocumentRow {
    /// Id.
    pub id: i64,
    /// Object documented.
    pub object_id: i64,
    /// Type.
    #[sqlx(try_from = "String")]
    pub doc_type: DocumentType,
    /// Title.
    pub title: String,
    /// Registration number.
    pub number: Option<String>,
    /// Approval date.
    pub approved_on: Option<NaiveDate>,
    /// Version.
    pub version: String,
    /// Language.
    #[sqlx(try_from = "String")]
    pub language: DocumentLanguage,
    /// Format.
    #[sqlx(try_from = "String")]
    pub format: DocumentFormat,
    /// File name offered on download.
    pub file_name: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

// The text a page may not ask for is prunable: an object page reads only what its
// selection asks ([`Reads`]).
by_position!(DocumentRow {
    id,
    object_id,
    doc_type: parsed,
    title: prunable,
    number: prunable,
    approved_on: prunable,
    version: prunable,
    language: parsed,
    format: parsed,
    file_name: prunable,
    size_bytes,
    sha256: prunable
});

/// Filter on documents.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    /// Document types.
    pub types: Option<Vec<DocumentType>>,
    /// Objects documented.
    pub object_ids: Option<Vec<i64>>,
    /// Formats.
    pub formats: Option<Vec<DocumentFormat>>,
    /// Languages.
    pub languages: Option<Vec<DocumentLanguage>>,
}

/// The alias of the documents read.
const DOC: &str = "d";
/// The alias of the object a document documents.
const OBJECT: &str = "o";

/// The columns [`DocumentRow`] decodes.
const COLUMNS: [Documents; 12] = [
    Documents::Id,
    Documents::ObjectId,
    Documents::DocType,
    Documents::Title,
    Documents::Number,
    Documents::ApprovedOn,
    Documents::Version,
    Documents::Language,
    Documents::Format,
    Documents::FileName,
    Documents::SizeBytes,
    Documents::Sha256,
];

fn select(scope: &Scope) -> SelectStatement {
    select_columns(scope, Reads::all())
}

fn select_columns(scope: &Scope, reads: Reads<DocumentRow>) -> SelectStatement {
    Query::select()
        .columns(
            COLUMNS
                .into_iter()
                .filter(|c| reads.reads(&Iden::to_string(c)))
                .map(|c| (DOC, c)),
        )
        .from_as(Documents::Table, DOC)
        .join_as(
            JoinType::InnerJoin,
            InformatizationObjects::Table,
            OBJECT,
            Expr::col((OBJECT, InformatizationObjects::Id)).equals((DOC, Documents::ObjectId)),
        )
        .cond_where(scope.keys_condition(&owner_keys(OBJECT)))
        .to_owned()
}

fn filter_condition(f: &DocumentFilter) -> AppResult<Condition> {
    let mut c = Condition::all();
    if let Some(types) = &f.types {
        c = c.add(Expr::col((DOC, Documents::DocType)).is_in(types.iter().map(|t| t.as_str())));
    }
    if let Some(ids) = &f.object_ids {
        c = c.add(Expr::col((DOC, Documents::ObjectId)).is_in(ids.iter().copied()));
    }
    if let Some(formats) = &f.formats {
        c = c.add(Expr::col((DOC, Documents::Format)).is_in(formats.iter().map(|t| t.as_str())));
    }
    if let Some(langs) = &f.languages {
        c = c.add(Expr::col((DOC, Documents::Language)).is_in(langs.iter().map(|t| t.as_str())));
    }
    Ok(c)
}

/// A page of documents in scope.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: Option<&DocumentFilter>,
    page: PageRequest,
) -> AppResult<Page<DocumentRow>> {
    let mut q = select(scope);
    if let Some(f) = filter {
        q.cond_where(filter_condition(f)?);
    }
    if let Some(after) = page.after {
        q.and_where(Expr::col((DOC, Documents::Id)).gt(after));
    }
    q.order_by((DOC, Documents::Id), Order::Asc)
        .limit(page.limit());
    Ok(Page::from_overfetch(db.all_by_position(&q).await?, page))
}

/// Documents in scope with the given ids.
pub async fn by_ids(db: &Db, scope: &Scope, ids: &[i64]) -> AppResult<Vec<DocumentRow>> {
    let mut q = select(scope);
    q.and_where(Expr::col((DOC, Documents::Id)).is_in(ids.iter().copied()));
    Ok(db.all_by_position(&q).await?)
}

/// Documents in scope of the given objects, by object then id, with the columns `reads` (the
/// others empty).
pub async fn by_objects(
    db: &Db,
    scope: &Scope,
    object_ids: &[i64],
    reads: Reads<DocumentRow>,
) -> AppResult<Vec<DocumentRow>> {
    let mut q = select_columns(scope, reads);
    q.and_where(Expr::col((DOC, Documents::ObjectId)).is_in(object_ids.iter().copied()))
        .order_by((DOC, Documents::ObjectId), Order::Asc)
        .order_by((DOC, Documents::Id), Order::Asc);
    Ok(db.all_by_position(&q).await?)
}

/// A document in scope with the size of its stored file; `None` when missing, out of scope,
/// or its file is not stored. The file itself is read chunk by chunk with
/// [`super::contents::chunk`].
pub async fn content(db: &Db, scope: &Scope, id: i64) -> AppResult<Option<(DocumentRow, i64)>> {
    let Some(doc) = by_ids(db, scope, &[id]).await?.into_iter().next() else {
        return Ok(None);
    };
    Ok(super::contents::size(db, &doc.sha256)
        .await?
        .map(|size| (doc, size)))
}
