//! Published revisions of the access policy (migration 0009): the newest governs every server
//! process that shares the database.

use chrono::{DateTime, Utc};
use sea_query::{Order, Query, SelectStatement};

use super::row::insert_row;
use super::schema::PolicyRevisions;
use super::{Db, Tx};
use crate::error::AppResult;

/// A published revision with its text.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Revision {
    /// Revision number, increasing with each publication.
    pub id: i64,
    /// The Casbin model (`model.conf`).
    pub model: String,
    /// The rules (`policy.csv`).
    pub rules: String,
    /// SHA-256 of model and rules (see [`crate::authz::policy::PolicyText::sha256`]).
    pub sha256: String,
    /// Where the text was read from: a folder, or `built-in`.
    pub source: String,
    /// Why it was published.
    pub note: Option<String>,
    /// When.
    pub published_at: DateTime<Utc>,
}

/// What a new revision carries.
pub struct NewRevision<'a> {
    /// The Casbin model.
    pub model: &'a str,
    /// The rules.
    pub rules: &'a str,
    /// SHA-256 of both.
    pub sha256: &'a str,
    /// Where the text was read from.
    pub source: &'a str,
    /// Why it is published.
    pub note: Option<&'a str>,
    /// When.
    pub published_at: DateTime<Utc>,
}

/// The columns [`Revision`] decodes.
const COLUMNS: [PolicyRevisions; 7] = [
    PolicyRevisions::Id,
    PolicyRevisions::Model,
    PolicyRevisions::Rules,
    PolicyRevisions::Sha256,
    PolicyRevisions::Source,
    PolicyRevisions::Note,
    PolicyRevisions::PublishedAt,
];

fn newest_first() -> SelectStatement {
    Query::select()
        .columns(COLUMNS)
        .from(PolicyRevisions::Table)
        .order_by(PolicyRevisions::Id, Order::Desc)
        .to_owned()
}

/// The newest revision with its text, if any was published.
pub async fn latest(db: &Db) -> AppResult<Option<Revision>> {
    Ok(db.optional(newest_first().limit(1)).await?)
}

/// Every revision, newest first.
pub async fn history(db: &Db) -> AppResult<Vec<Revision>> {
    Ok(db.all(&newest_first()).await?)
}

/// Appends a revision inside `tx`; its number.
pub async fn insert(tx: &mut Tx, r: &NewRevision<'_>) -> AppResult<i64> {
    let q = insert_row(
        PolicyRevisions::Table,
        [
            PolicyRevisions::Model,
            PolicyRevisions::Rules,
            PolicyRevisions::Sha256,
            PolicyRevisions::Source,
            PolicyRevisions::Note,
            PolicyRevisions::PublishedAt,
        ],
        [
            r.model.into(),
            r.rules.into(),
            r.sha256.into(),
            r.source.into(),
            r.note.map(str::to_owned).into(),
            r.published_at.into(),
        ],
    )
    .returning_col(PolicyRevisions::Id)
    .to_owned();
    Ok(tx.returning_i64(&q).await?)
}
