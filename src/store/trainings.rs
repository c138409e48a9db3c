//! Completed trainings and their reports to the authorized body: when a person was first
//! trained (a grant takes effect only after), and the records the integrator keeps.

use chrono::NaiveDate;
use sea_query::{Expr, ExprTrait, Func, Order, Query};

use super::Db;
use super::row::insert_row;
use super::schema::TrainingRecords;
use super::users::{self, UserRow};
use crate::authz::permissions::PeopleRows;
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Day {
    completed_on: NaiveDate,
}

/// The date of the user's earliest completed training, if any.
pub async fn trained_on(db: &Db, user_id: i64) -> AppResult<Option<NaiveDate>> {
    let q = Query::select()
        .column(TrainingRecords::CompletedOn)
        .from(TrainingRecords::Table)
        .and_where(Expr::col(TrainingRecords::UserId).eq(user_id))
        .order_by(TrainingRecords::CompletedOn, Order::Asc)
        .limit(1)
        .to_owned();
    Ok(db.optional::<Day>(&q).await?.map(|d| d.completed_on))
}

/// The first training day of each user visible in `people` that has one, in one statement:
/// of `user_ids` only, or (`None`) of everyone visible (what [`trained_on`] gives one user).
pub async fn first_trainings_of(
    db: &Db,
    people: PeopleRows,
    user_ids: Option<&[i64]>,
) -> AppResult<std::collections::HashMap<i64, NaiveDate>> {
    #[derive(sqlx::FromRow)]
    struct First {
        user_id: i64,
        completed_on: NaiveDate,
    }
    if user_ids.is_some_and(<[i64]>::is_empty) {
        return Ok(Default::default());
    }
    let mut q = Query::select()
        .column(TrainingRecords::UserId)
        .expr_as(
            Func::min(Expr::col(TrainingRecords::CompletedOn)),
            "completed_on",
        )
        .from(TrainingRecords::Table)
        .cond_where(people.of_person(Expr::col(TrainingRecords::UserId)))
        .group_by_col(TrainingRecords::UserId)
        .to_owned();
    if let Some(ids) = user_ids {
        q.and_where(Expr::col(TrainingRecords::UserId).is_in(ids.iter().copied()));
    }
    Ok(db
        .all::<First>(&q)
        .await?
        .into_iter()
        .map(|f| (f.user_id, f.completed_on))
        .collect())
}

/// The user a training record is of, read and locked inside a transaction (as [`users::get`]).
pub async fn trainee(tx: &mut super::Tx, training_id: i64) -> AppResult<Option<UserRow>> {
    #[derive(sqlx::FromRow)]
    struct Trainee {
        user_id: i64,
    }
    let q = Query::select()
        .column(TrainingRecords::UserId)
        .from(TrainingRecords::Table)
        .and_where(Expr::col(TrainingRecords::Id).eq(training_id))
        .to_owned();
    match tx.optional::<Trainee>(&q).await? {
        Some(t) => users::get(tx, t.user_id).await,
        None => Ok(None),
    }
}

/// Records a completed training.
pub async fn insert(
    tx: &mut super::Tx,
    user_id: i64,
    completed_on: NaiveDate,
    language: &str,
    by: i64,
    at: chrono::DateTime<chrono::Utc>,
    report_due: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let q = insert_row(
        TrainingRecords::Table,
        [
            TrainingRecords::UserId,
            TrainingRecords::CompletedOn,
            TrainingRecords::Language,
            TrainingRecords::RecordedBy,
            TrainingRecords::RecordedAt,
            TrainingRecords::ReportDue,
        ],
        [
            user_id.into(),
            completed_on.into(),
            language.into(),
            by.into(),
            at.into(),
            report_due.into(),
        ],
    )
    .to_owned();
    tx.execute(&q).await?;
    Ok(())
}
