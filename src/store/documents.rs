//! Technical documents of informatization objects and their content-addressed files, scoped by
//! the keys of the owning object's owner organization.

use chrono::NaiveDate;
use sea_query::{Condition, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};

use super::Db;
use super::orgs::org_keys;
use super::page::{Page, PageRequest};
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

fn select(scope: &Scope) -> SelectStatement {
    Query::select()
        .columns([
            ("d", "id"),
            ("d", "object_id"),
            ("d", "doc_type"),
            ("d", "title"),
            ("d", "number"),
            ("d", "approved_on"),
            ("d", "version"),
            ("d", "language"),
            ("d", "format"),
            ("d", "file_name"),
            ("d", "size_bytes"),
            ("d", "sha256"),
        ])
        .from_as("documents", "d")
        .join_as(
            JoinType::InnerJoin,
            "informatization_objects",
            "o",
            Expr::col(("o", "id")).equals(("d", "object_id")),
        )
        .join_as(
            JoinType::InnerJoin,
            "organizations",
            "ow",
            Expr::col(("ow", "id")).equals(("o", "owner_id")),
        )
        .cond_where(scope.keys_condition(&org_keys("ow")))
        .to_owned()
}

fn filter_condition(f: &DocumentFilter) -> AppResult<Condition> {
    let mut c = Condition::all();
    if let Some(types) = &f.types {
        c = c.add(Expr::col(("d", "doc_type")).is_in(types.iter().map(|t| t.as_str())));
    }
    if let Some(ids) = &f.object_ids {
        c = c.add(Expr::col(("d", "object_id")).is_in(ids.iter().copied()));
    }
    if let Some(formats) = &f.formats {
        c = c.add(Expr::col(("d", "format")).is_in(formats.iter().map(|t| t.as_str())));
    }
    if let Some(langs) = &f.languages {
        c = c.add(Expr::col(("d", "language")).is_in(langs.iter().map(|t| t.as_str())));
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
        q.and_where(Expr::col(("d", "id")).gt(after));
    }
    q.order_by(("d", "id"), Order::Asc).limit(page.limit());
    Ok(Page::from_overfetch(db.all(&q).await?, page))
}

/// Documents in scope with the given ids.
pub async fn by_ids(db: &Db, scope: &Scope, ids: &[i64]) -> AppResult<Vec<DocumentRow>> {
    let mut q = select(scope);
    q.and_where(Expr::col(("d", "id")).is_in(ids.iter().copied()));
    Ok(db.all(&q).await?)
}

/// Documents in scope of the given objects, by object then id.
pub async fn by_objects(db: &Db, scope: &Scope, object_ids: &[i64]) -> AppResult<Vec<DocumentRow>> {
    let mut q = select(scope);
    q.and_where(Expr::col(("d", "object_id")).is_in(object_ids.iter().copied()))
        .order_by(("d", "object_id"), Order::Asc)
        .order_by(("d", "id"), Order::Asc);
    Ok(db.all(&q).await?)
}

#[derive(sqlx::FromRow)]
struct ContentRow {
    content: Vec<u8>,
}

/// The stored file of a document in scope, with its metadata; `None` when missing or out of scope.
pub async fn content(db: &Db, scope: &Scope, id: i64) -> AppResult<Option<(DocumentRow, Vec<u8>)>> {
    let Some(doc) = by_ids(db, scope, &[id]).await?.into_iter().next() else {
        return Ok(None);
    };
    let q = Query::select()
        .column("content")
        .from("document_contents")
        .and_where(Expr::col("sha256").eq(doc.sha256.as_str()))
        .to_owned();
    let row: Option<ContentRow> = db.optional(&q).await?;
    Ok(row.map(|r| (doc, r.content)))
}
