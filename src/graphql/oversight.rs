//! The administrators' follow-up: blocking requests from bodies, training reports owed to the
//! authorized body, and grants about to expire — each with its deadline flagged.

use std::collections::HashMap;

use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Days, Utc};

use super::context::{RequestCtx, org_loader, parse_id, req};
use super::types::Organization;
use super::viewer::{AccessGrant, User};
use crate::authz::Action;
use crate::authz::principal::local_day;
use crate::error::{AppError, Expected};
use crate::graphql::date::Date;
use crate::service::workflow as steps;
use crate::store::applications::{self, BlockRequestRow, FollowUps, TrainingRow};
use crate::store::grants;
use crate::store::memberships::{self, MembershipRow};
use crate::store::users::{self, UserRow};

/// A body's request to block one of its users.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct BlockRequest {
    /// Id.
    pub id: ID,
    /// The user to block.
    pub user_id: ID,
    /// Last day of the user's powers.
    pub terminated_on: Date,
    /// Reason.
    pub reason: String,
    /// When it was received.
    pub requested_at: DateTime<Utc>,
    /// End of the 3rd working day after the termination date.
    pub due: DateTime<Utc>,
    /// Received after `due` (accepted, but flagged).
    pub late: bool,
    /// When the user was blocked.
    pub executed_at: Option<DateTime<Utc>>,
    /// The user, when the caller reads them.
    #[graphql(skip)]
    pub person: Option<UserRow>,
}

#[ComplexObject]
impl BlockRequest {
    /// The user to block; null when the caller does not read them.
    async fn user(&self) -> Option<User> {
        self.person.clone().map(User)
    }
}

impl BlockRequest {
    fn new(b: BlockRequestRow, person: Option<UserRow>) -> Self {
        BlockRequest {
            id: ID(b.id.to_string()),
            user_id: ID(b.user_id.to_string()),
            terminated_on: Date(b.terminated_on),
            reason: b.reason,
            requested_at: b.requested_at,
            due: b.due,
            late: b.late,
            executed_at: b.executed_at,
            person,
        }
    }
}

/// A training and the integrator's report of it to the authorized body.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TrainingReport {
    /// Id of the training record.
    pub id: ID,
    /// Trained user.
    pub user_id: ID,
    /// Day of the training.
    pub completed_on: Date,
    /// Language (`KK` or `RU`).
    pub language: String,
    /// End of the 5th working day after the training.
    pub report_due: DateTime<Utc>,
    /// When it was reported.
    pub reported_at: Option<DateTime<Utc>>,
    /// Not reported and past due.
    pub overdue: bool,
    /// The trained user, when the caller reads them.
    #[graphql(skip)]
    pub person: Option<UserRow>,
}

#[ComplexObject]
impl TrainingReport {
    /// The trained user; null when the caller does not read them.
    async fn user(&self) -> Option<User> {
        self.person.clone().map(User)
    }
}

/// The people these rows are about, as the caller reads them, by id (one statement).
async fn people_of(r: &RequestCtx, ids: Vec<i64>) -> Result<HashMap<i64, UserRow>> {
    let people = r.allowed(r.permissions().people())?;
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = users::by_ids(r.db(), people, &ids)
        .await
        .map_err(|e| r.error(e))?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

/// Block requests within the caller's reach, as `which` selects, each with its user.
pub(crate) async fn block_requests(
    r: &RequestCtx,
    which: FollowUps<'_>,
) -> Result<Vec<BlockRequest>> {
    let visible = r.allowed(r.permissions().block_requests())?;
    let rows = applications::block_requests(r.db(), visible, which)
        .await
        .map_err(|e| r.error(e))?;
    let mut people = people_of(r, rows.iter().map(|b| b.user_id).collect()).await?;
    r.returned(rows.len());
    Ok(rows
        .into_iter()
        .map(|b| {
            let person = people.remove(&b.user_id);
            BlockRequest::new(b, person)
        })
        .collect())
}

/// Training records within the caller's reach, as `which` selects, each with its user.
pub(crate) async fn training_reports(
    r: &RequestCtx,
    which: FollowUps<'_>,
) -> Result<Vec<TrainingReport>> {
    let people = r.allowed(r.permissions().people())?;
    let now = r.clock.now();
    let rows = applications::trainings(r.db(), people, which)
        .await
        .map_err(|e| r.error(e))?;
    let found = people_of(r, rows.iter().map(|t| t.user_id).collect()).await?;
    r.returned(rows.len());
    Ok(rows
        .into_iter()
        .map(|t| {
            let person = found.get(&t.user_id).cloned();
            report(t, now, person)
        })
        .collect())
}

fn report(t: TrainingRow, now: DateTime<Utc>, person: Option<UserRow>) -> TrainingReport {
    TrainingReport {
        id: ID(t.id.to_string()),
        user_id: ID(t.user_id.to_string()),
        completed_on: Date(t.completed_on),
        language: t.language,
        overdue: t.reported_at.is_none() && now > t.report_due,
        report_due: t.report_due,
        reported_at: t.reported_at,
        person,
    }
}

/// A person's membership of a body for a period.
pub struct Membership(MembershipRow);

#[Object]
impl Membership {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The body.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(org_loader(ctx)?
            .load_one(self.0.organization_id)
            .await?
            .map(Organization))
    }
    /// Position held.
    async fn position(&self) -> &str {
        &self.0.position
    }
    /// Structural unit.
    async fn structural_unit(&self) -> &str {
        &self.0.structural_unit
    }
    /// First day.
    async fn started_on(&self) -> Date {
        Date(self.0.started_on)
    }
    /// Last day, once ended.
    async fn ended_on(&self) -> Option<Date> {
        self.0.ended_on.map(Date)
    }
    /// Why it ended: `BLOCKED`, `TRANSFERRED` (granted at another body after their termination)
    /// or `RETURNED` (granted again at the same body).
    async fn end_reason(&self) -> Option<&str> {
        self.0.end_reason.as_deref()
    }
    /// The application whose grant started it.
    async fn application_id(&self) -> Option<ID> {
        self.0.application_id.map(|id| ID(id.to_string()))
    }
}

/// Follow-up queries for the authorized body and the integrator.
#[derive(Default)]
pub struct OversightQuery;

#[Object]
impl OversightQuery {
    /// Block requests not yet executed.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn pending_block_requests(&self, ctx: &Context<'_>) -> Result<Vec<BlockRequest>> {
        block_requests(req(ctx)?, FollowUps::Pending).await
    }

    /// Training reports; with `pendingOnly` (the default) only those not yet reported.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn training_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] pending_only: bool,
    ) -> Result<Vec<TrainingReport>> {
        let which = if pending_only {
            FollowUps::Pending
        } else {
            FollowUps::All
        };
        training_reports(req(ctx)?, which).await
    }

    /// Every grant a user has ever held, newest first, with its state today — kept after expiry
    /// and after a block.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn grant_history(&self, ctx: &Context<'_>, user_id: ID) -> Result<Vec<AccessGrant>> {
        let r = req(ctx)?;
        let people = r.allowed(r.permissions().people())?;
        let uid = parse_id(r.lang, "userId", &user_id)?;
        let grants = grants::of_user(r.db(), people, uid)
            .await
            .map_err(|e| r.error(e))?;
        super::viewer::grants_with_status(r.db(), people, grants, local_day(r.clock.now()))
            .await
            .map_err(|e| r.error(e))
    }

    /// Every membership a person has held, newest first: the bodies they belonged to, with
    /// position, unit, first and last day, and why each ended (blocked, transferred, returned).
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn membership_history(&self, ctx: &Context<'_>, user_id: ID) -> Result<Vec<Membership>> {
        let r = req(ctx)?;
        let people = r.allowed(r.permissions().people())?;
        let uid = parse_id(r.lang, "userId", &user_id)?;
        let mut tx = r
            .db()
            .begin_snapshot()
            .await
            .map_err(|e| r.error(e.into()))?;
        let rows = memberships::history(&mut tx, people, uid)
            .await
            .map_err(|e| r.error(e))?;
        tx.commit().await.map_err(|e| r.error(e.into()))?;
        Ok(rows.into_iter().map(Membership).collect())
    }

    /// Active grants whose last day is within the next `withinDays` days, soonest first.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn expiring_grants(
        &self,
        ctx: &Context<'_>,
        within_days: i32,
    ) -> Result<Vec<AccessGrant>> {
        let r = req(ctx)?;
        let people = r.allowed(r.permissions().people())?;
        let days = u64::try_from(within_days)
            .ok()
            .filter(|d| *d <= 366)
            .ok_or_else(|| r.error(AppError::invalid("withinDays", Expected::IntegerIn(0, 366))))?;
        let today = local_day(r.clock.now());
        let until = today.checked_add_days(Days::new(days)).unwrap_or(today);
        let grants = applications::expiring_grants(r.db(), people, today, until)
            .await
            .map_err(|e| r.error(e))?;
        super::viewer::grants_with_status(r.db(), people, grants, today)
            .await
            .map_err(|e| r.error(e))
    }
}

/// Follow-up mutations.
#[derive(Default)]
pub struct OversightMutation;

#[Object]
impl OversightMutation {
    /// Asks to block a user whose powers ended (the user's own body). Due within 3 working days
    /// of the termination date; a late request is accepted and flagged. From the termination
    /// date on (at once, if it has passed) the user is refused on every server, without waiting
    /// for the integrator's block; a head's head rights end with it.
    async fn request_block(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        terminated_on: Date,
        reason: String,
    ) -> Result<BlockRequest> {
        let r = req(ctx)?;
        let step = super::workflow::step(r, Action::RequestBlock)?;
        let user_id = parse_id(r.lang, "userId", &user_id)?;
        let id = steps::request_block(step, user_id, terminated_on.0, &reason)
            .await
            .map_err(|e| r.error(e))?;
        block_requests(r, FollowUps::Ids(&[id]))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| r.error(AppError::NotFound))
    }

    /// Records that a training was reported to the authorized body (integrator).
    async fn report_training(&self, ctx: &Context<'_>, training_id: ID) -> Result<TrainingReport> {
        let r = req(ctx)?;
        let step = super::workflow::step(r, Action::RecordTraining)?;
        let id = parse_id(r.lang, "trainingId", &training_id)?;
        steps::report_training(step, id)
            .await
            .map_err(|e| r.error(e))?;
        training_reports(r, FollowUps::Ids(&[id]))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| r.error(AppError::NotFound))
    }
}
