//! The reads and marks of seeding: whether a database already holds reference or budget data,
//! whether the demo seed made it, and the heads the demo grants go to.

use sea_query::{Expr, ExprTrait, Func, Query};

use super::{Db, Tx};
use crate::domain::org::BodyKind;
use crate::error::AppResult;

fn count_of(table: &str, column: &str) -> sea_query::SelectStatement {
    Query::select()
        .expr(Func::count(Expr::col(column.to_owned())))
        .from(sea_query::Alias::new(table))
        .to_owned()
}

/// Whether the reference data is present (any territory).
pub async fn has_reference(tx: &mut Tx) -> AppResult<bool> {
    Ok(tx.scalar_i64(&count_of("territories", "kato")).await? > 0)
}

/// Whether any budget line is stored (inside a seeding transaction).
pub async fn has_budget_lines_in(tx: &mut Tx) -> AppResult<bool> {
    Ok(tx.scalar_i64(&count_of("budget_lines", "id")).await? > 0)
}

/// Whether any budget line is stored.
pub async fn has_budget_lines(db: &Db) -> AppResult<bool> {
    Ok(db.scalar_i64(&count_of("budget_lines", "id")).await? > 0)
}

/// Marks the database as made by the demo seed.
pub async fn mark_demo(tx: &mut Tx, at: chrono::DateTime<chrono::Utc>) -> AppResult<()> {
    let q = Query::insert()
        .into_table("demo_marker")
        .columns(["id", "seeded_at"])
        .values_panic([1.into(), at.into()])
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Whether the demo seed made this database (its mark is there).
pub async fn is_demo(db: &Db) -> AppResult<bool> {
    Ok(db.scalar_i64(&count_of("demo_marker", "id")).await? > 0)
}

/// The ids of the heads of the bodies of `kinds` that the law does not exclude.
pub async fn heads_of(tx: &mut Tx, kinds: &[BodyKind]) -> AppResult<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct IdRow {
        id: i64,
    }
    let q = Query::select()
        .column(("u", "id"))
        .from_as("users", "u")
        .inner_join(
            "organizations",
            Expr::col(("organizations", "id")).equals(("u", "organization_id")),
        )
        .and_where(Expr::col(("u", "is_head")).eq(true))
        .and_where(Expr::col(("organizations", "audit_excluded")).eq(false))
        .and_where(Expr::col(("organizations", "kind")).is_in(kinds.iter().copied()))
        .to_owned();
    Ok(tx
        .all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}
