//! Access applications, their employees, and the grants, training and blocks they lead to.
//! Every write here runs inside the caller's transaction: a workflow step lands whole or not at all.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Condition, Expr, ExprTrait, LockType, Order, Query};

use super::page::{Page, PageRequest};
use super::row::insert_row;
use super::schema::{
    AccessApplications, AccessGrants, ApplicationEmployees, BlockRequests, TrainingRecords,
};
use super::{Db, Tx};
use crate::authz::applications::ApplicationReach;
use crate::authz::permissions::{BodyRows, PeopleRows};
use crate::domain::budget::InformationSystem;
use crate::domain::workflow::ApplicationStatus;
use crate::error::AppResult;

/// An application.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApplicationRow {
    /// Id.
    pub id: i64,
    /// Applying organization.
    pub organization_id: i64,
    /// The head who submitted it.
    pub submitted_by: i64,
    /// Systems requested, comma-separated.
    pub systems: String,
    /// Head of the organization.
    pub head_full_name: String,
    /// Executor's phone.
    pub executor_phone: String,
    /// Executor's e-mail.
    pub executor_email: String,
    /// Outgoing document number.
    pub outgoing_number: Option<String>,
    /// Outgoing document date.
    pub outgoing_date: Option<NaiveDate>,
    /// Status.
    #[sqlx(try_from = "String")]
    pub status: ApplicationStatus,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Review due (end of the 2nd working day after receipt).
    pub review_due: DateTime<Utc>,
    /// Reviewer.
    pub reviewed_by: Option<i64>,
    /// Reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Reviewer's comment (the reason of a rejection).
    pub review_comment: Option<String>,
    /// Grant due (end of the 2nd working day after forwarding).
    pub grant_due: Option<DateTime<Utc>>,
    /// Integrator who granted.
    pub granted_by: Option<i64>,
    /// Granted.
    pub granted_at: Option<DateTime<Utc>>,
    /// How it arrived: `DIRECT` (submitted by the head) or `DOCUMENT_SYSTEM` (registered by the
    /// authorized body).
    pub channel: String,
    /// Incoming number of an application registered from the document system.
    pub incoming_number: Option<String>,
    /// When the integrator refused it.
    pub refused_at: Option<DateTime<Utc>>,
    /// The integrator's reason.
    pub refusal_reason: Option<String>,
}

impl ApplicationRow {
    /// The systems requested.
    pub fn systems(&self) -> Vec<InformationSystem> {
        self.systems
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect()
    }
}

/// One employee row of an application (the appendix form).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EmployeeRow {
    /// Row number on the form.
    pub row_no: i32,
    /// Surname.
    pub surname: String,
    /// Name.
    pub name: String,
    /// Patronymic.
    pub patronymic: Option<String>,
    /// IIN.
    pub iin: String,
    /// Position.
    pub position: String,
    /// Structural unit.
    pub structural_unit: String,
    /// E-Qyzmet QR identifier.
    pub eqyzmet_qr: String,
    /// Phone.
    pub phone: String,
    /// E-mail.
    pub email: String,
    /// Purpose of access.
    pub purpose: String,
    /// What became of the employee once the application was decided.
    pub outcome: Option<String>,
    /// Why they were refused: conflict codes (`ACTIVE_GRANT:STATE_PLANNING`), comma-separated.
    pub refusal: Option<String>,
    /// The person the decision concerned.
    pub user_id: Option<i64>,
}

/// The columns an employee's row is stored with: its application, then the form's, in form
/// order.
const EMPLOYEE_INSERT_COLUMNS: [ApplicationEmployees; 12] = [
    ApplicationEmployees::ApplicationId,
    ApplicationEmployees::RowNo,
    ApplicationEmployees::Surname,
    ApplicationEmployees::Name,
    ApplicationEmployees::Patronymic,
    ApplicationEmployees::Iin,
    ApplicationEmployees::Position,
    ApplicationEmployees::StructuralUnit,
    ApplicationEmployees::EqyzmetQr,
    ApplicationEmployees::Phone,
    ApplicationEmployees::Email,
    ApplicationEmployees::Purpose,
];

/// The columns [`EmployeeRow`] decodes.
const EMPLOYEE_COLUMNS: [ApplicationEmployees; 14] = [
    ApplicationEmployees::RowNo,
    ApplicationEmployees::Surname,
    ApplicationEmployees::Name,
    ApplicationEmployees::Patronymic,
    ApplicationEmployees::Iin,
    ApplicationEmployees::Position,
    ApplicationEmployees::StructuralUnit,
    ApplicationEmployees::EqyzmetQr,
    ApplicationEmployees::Phone,
    ApplicationEmployees::Email,
    ApplicationEmployees::Purpose,
    ApplicationEmployees::Outcome,
    ApplicationEmployees::Refusal,
    ApplicationEmployees::UserId,
];

/// The columns [`ApplicationRow`] decodes.
const COLUMNS: [AccessApplications; 22] = [
    AccessApplications::Id,
    AccessApplications::OrganizationId,
    AccessApplications::SubmittedBy,
    AccessApplications::Systems,
    AccessApplications::HeadFullName,
    AccessApplications::ExecutorPhone,
    AccessApplications::ExecutorEmail,
    AccessApplications::OutgoingNumber,
    AccessApplications::OutgoingDate,
    AccessApplications::Status,
    AccessApplications::ReceivedAt,
    AccessApplications::ReviewDue,
    AccessApplications::ReviewedBy,
    AccessApplications::ReviewedAt,
    AccessApplications::ReviewComment,
    AccessApplications::GrantDue,
    AccessApplications::GrantedBy,
    AccessApplications::GrantedAt,
    AccessApplications::Channel,
    AccessApplications::IncomingNumber,
    AccessApplications::RefusedAt,
    AccessApplications::RefusalReason,
];

/// A new application as submitted.
pub struct NewApplication<'a> {
    /// Applying organization.
    pub organization_id: i64,
    /// Submitting head.
    pub submitted_by: i64,
    /// Systems.
    pub systems: &'a [InformationSystem],
    /// Head's full name.
    pub head_full_name: &'a str,
    /// Executor phone.
    pub executor_phone: &'a str,
    /// Executor e-mail.
    pub executor_email: &'a str,
    /// Outgoing number.
    pub outgoing_number: Option<&'a str>,
    /// Outgoing date.
    pub outgoing_date: Option<NaiveDate>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Review due.
    pub review_due: DateTime<Utc>,
    /// Incoming number, for an application registered from the document system (`None`: the
    /// head submitted it directly).
    pub incoming_number: Option<&'a str>,
    /// Employees.
    pub employees: &'a [EmployeeRow],
}

/// Stores a submitted application; returns its id.
pub async fn insert(tx: &mut Tx, a: &NewApplication<'_>) -> AppResult<i64> {
    let systems: Vec<&str> = a.systems.iter().map(|s| s.as_str()).collect();
    let q = insert_row(
        AccessApplications::Table,
        [
            AccessApplications::OrganizationId,
            AccessApplications::SubmittedBy,
            AccessApplications::Systems,
            AccessApplications::HeadFullName,
            AccessApplications::ExecutorPhone,
            AccessApplications::ExecutorEmail,
            AccessApplications::OutgoingNumber,
            AccessApplications::OutgoingDate,
            AccessApplications::Status,
            AccessApplications::ReceivedAt,
            AccessApplications::ReviewDue,
            AccessApplications::Channel,
            AccessApplications::IncomingNumber,
        ],
        [
            a.organization_id.into(),
            a.submitted_by.into(),
            systems.join(",").into(),
            a.head_full_name.into(),
            a.executor_phone.into(),
            a.executor_email.into(),
            a.outgoing_number.map(str::to_owned).into(),
            a.outgoing_date.into(),
            ApplicationStatus::Submitted.into(),
            a.received_at.into(),
            a.review_due.into(),
            if a.incoming_number.is_some() {
                "DOCUMENT_SYSTEM"
            } else {
                "DIRECT"
            }
            .into(),
            a.incoming_number.map(str::to_owned).into(),
        ],
    )
    .returning_col(AccessApplications::Id)
    .to_owned();
    let id = tx.returning_i64(&q).await?;
    for e in a.employees {
        let q = insert_row(
            ApplicationEmployees::Table,
            EMPLOYEE_INSERT_COLUMNS,
            [
                id.into(),
                e.row_no.into(),
                e.surname.as_str().into(),
                e.name.as_str().into(),
                e.patronymic.clone().into(),
                e.iin.as_str().into(),
                e.position.as_str().into(),
                e.structural_unit.as_str().into(),
                e.eqyzmet_qr.as_str().into(),
                e.phone.as_str().into(),
                e.email.as_str().into(),
                e.purpose.as_str().into(),
            ],
        )
        .to_owned();
        tx.execute(&q).await?;
    }
    Ok(id)
}

/// An application by id, read and locked inside a transaction to decide its next step
/// (PostgreSQL `FOR UPDATE`; SQLite's write transactions hold its one writer lock): a concurrent
/// step on the same application waits, then sees the state this one left.
pub async fn get(tx: &mut Tx, id: i64) -> AppResult<Option<ApplicationRow>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(AccessApplications::Table)
        .and_where(Expr::col(AccessApplications::Id).eq(id))
        .lock(LockType::Update)
        .to_owned();
    Ok(tx.optional(&q).await?)
}

/// Applications by id within `reach`.
pub async fn by_ids(
    db: &Db,
    reach: ApplicationReach,
    ids: &[i64],
) -> AppResult<Vec<ApplicationRow>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from(AccessApplications::Table)
        .and_where(Expr::col(AccessApplications::Id).is_in(ids.iter().copied()))
        .cond_where(reach.condition(Expr::col(AccessApplications::OrganizationId)))
        .to_owned();
    Ok(db.all(&q).await?)
}

/// Records what became of one employee of an application.
pub async fn set_employee_outcome(
    tx: &mut Tx,
    application_id: i64,
    row_no: i32,
    outcome: crate::domain::identity::EmployeeOutcome,
    refusal: Option<&str>,
    user_id: Option<i64>,
) -> AppResult<()> {
    let q = Query::update()
        .table(ApplicationEmployees::Table)
        .values([
            (ApplicationEmployees::Outcome, outcome.into()),
            (
                ApplicationEmployees::Refusal,
                refusal.map(str::to_owned).into(),
            ),
            (ApplicationEmployees::UserId, user_id.into()),
        ])
        .and_where(Expr::col(ApplicationEmployees::ApplicationId).eq(application_id))
        .and_where(Expr::col(ApplicationEmployees::RowNo).eq(row_no))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Records the integrator's refusal.
pub async fn set_refused(
    tx: &mut Tx,
    id: i64,
    by: i64,
    at: DateTime<Utc>,
    reason: &str,
) -> AppResult<()> {
    let q = Query::update()
        .table(AccessApplications::Table)
        .values([
            (
                AccessApplications::Status,
                ApplicationStatus::Refused.into(),
            ),
            (AccessApplications::RefusedBy, by.into()),
            (AccessApplications::RefusedAt, at.into()),
            (AccessApplications::RefusalReason, reason.into()),
        ])
        .and_where(Expr::col(AccessApplications::Id).eq(id))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// The employees of an application, in form order.
pub async fn employees(tx: &mut Tx, application_id: i64) -> AppResult<Vec<EmployeeRow>> {
    let q = Query::select()
        .columns(EMPLOYEE_COLUMNS)
        .from(ApplicationEmployees::Table)
        .and_where(Expr::col(ApplicationEmployees::ApplicationId).eq(application_id))
        .order_by(ApplicationEmployees::RowNo, Order::Asc)
        .to_owned();
    Ok(tx.all(&q).await?)
}

/// Records a review.
pub async fn set_reviewed(
    tx: &mut Tx,
    id: i64,
    status: ApplicationStatus,
    by: i64,
    at: DateTime<Utc>,
    comment: Option<&str>,
    grant_due: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let q = Query::update()
        .table(AccessApplications::Table)
        .values([
            (AccessApplications::Status, status.into()),
            (AccessApplications::ReviewedBy, by.into()),
            (AccessApplications::ReviewedAt, at.into()),
            (
                AccessApplications::ReviewComment,
                comment.map(str::to_owned).into(),
            ),
            (AccessApplications::GrantDue, grant_due.into()),
        ])
        .and_where(Expr::col(AccessApplications::Id).eq(id))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Records the grant.
pub async fn set_granted(tx: &mut Tx, id: i64, by: i64, at: DateTime<Utc>) -> AppResult<()> {
    let q = Query::update()
        .table(AccessApplications::Table)
        .values([
            (
                AccessApplications::Status,
                ApplicationStatus::Granted.into(),
            ),
            (AccessApplications::GrantedBy, by.into()),
            (AccessApplications::GrantedAt, at.into()),
        ])
        .and_where(Expr::col(AccessApplications::Id).eq(id))
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Which applications to list (within the caller's reach).
#[derive(Debug, Clone, Default)]
pub struct ApplicationQuery {
    /// Only this organization's.
    pub organization_id: Option<i64>,
    /// Only these statuses.
    pub statuses: Option<Vec<ApplicationStatus>>,
    /// Only those whose current step is past its due time at this instant.
    pub overdue_at: Option<DateTime<Utc>>,
}

/// A page of applications, oldest first.
pub async fn list(
    db: &Db,
    reach: ApplicationReach,
    f: &ApplicationQuery,
    page: PageRequest,
) -> AppResult<Page<ApplicationRow>> {
    let mut q = Query::select()
        .columns(COLUMNS)
        .from(AccessApplications::Table)
        .cond_where(reach.condition(Expr::col(AccessApplications::OrganizationId)))
        .to_owned();
    if let Some(org) = f.organization_id {
        q.and_where(Expr::col(AccessApplications::OrganizationId).eq(org));
    }
    if let Some(s) = &f.statuses {
        q.and_where(Expr::col(AccessApplications::Status).is_in(s.iter().map(|s| s.as_str())));
    }
    if let Some(now) = f.overdue_at {
        q.cond_where(
            Condition::any()
                .add(
                    Condition::all()
                        .add(
                            Expr::col(AccessApplications::Status)
                                .eq(ApplicationStatus::Submitted.as_str()),
                        )
                        .add(Expr::col(AccessApplications::ReviewDue).lt(now)),
                )
                .add(
                    Condition::all()
                        .add(
                            Expr::col(AccessApplications::Status)
                                .eq(ApplicationStatus::Approved.as_str()),
                        )
                        .add(Expr::col(AccessApplications::GrantDue).lt(now)),
                ),
        );
    }
    if let Some(after) = page.after {
        q.and_where(Expr::col(AccessApplications::Id).gt(after));
    }
    q.order_by(AccessApplications::Id, Order::Asc)
        .limit(page.limit());
    Ok(Page::from_overfetch(db.all(&q).await?, page))
}

/// A request to block a user whose powers ended.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BlockRequestRow {
    /// Id.
    pub id: i64,
    /// The user to block.
    pub user_id: i64,
    /// The requesting organization (the user's own).
    pub organization_id: i64,
    /// Who asked.
    pub requested_by: i64,
    /// Last day of the user's powers.
    pub terminated_on: NaiveDate,
    /// Reason (dismissal, transfer...).
    pub reason: String,
    /// When it was received.
    pub requested_at: DateTime<Utc>,
    /// End of the 3rd working day after the termination date.
    pub due: DateTime<Utc>,
    /// Whether it came after `due`.
    pub late: bool,
    /// When the integrator blocked the user.
    pub executed_at: Option<DateTime<Utc>>,
}

/// The columns [`BlockRequestRow`] decodes.
const BLOCK_COLUMNS: [BlockRequests; 10] = [
    BlockRequests::Id,
    BlockRequests::UserId,
    BlockRequests::OrganizationId,
    BlockRequests::RequestedBy,
    BlockRequests::TerminatedOn,
    BlockRequests::Reason,
    BlockRequests::RequestedAt,
    BlockRequests::Due,
    BlockRequests::Late,
    BlockRequests::ExecutedAt,
];

/// A new block request.
pub struct NewBlockRequest<'a> {
    /// User.
    pub user_id: i64,
    /// Organization.
    pub organization_id: i64,
    /// Requested by.
    pub requested_by: i64,
    /// Termination date.
    pub terminated_on: NaiveDate,
    /// Reason.
    pub reason: &'a str,
    /// Received.
    pub requested_at: DateTime<Utc>,
    /// Due.
    pub due: DateTime<Utc>,
}

/// Stores a block request (flagged late when received after its due time); returns its id.
pub async fn insert_block_request(tx: &mut Tx, b: &NewBlockRequest<'_>) -> AppResult<i64> {
    let q = insert_row(
        BlockRequests::Table,
        [
            BlockRequests::UserId,
            BlockRequests::OrganizationId,
            BlockRequests::RequestedBy,
            BlockRequests::TerminatedOn,
            BlockRequests::Reason,
            BlockRequests::RequestedAt,
            BlockRequests::Due,
            BlockRequests::Late,
        ],
        [
            b.user_id.into(),
            b.organization_id.into(),
            b.requested_by.into(),
            b.terminated_on.into(),
            b.reason.into(),
            b.requested_at.into(),
            b.due.into(),
            (b.requested_at > b.due).into(),
        ],
    )
    .returning_col(BlockRequests::Id)
    .to_owned();
    Ok(tx.returning_i64(&q).await?)
}

/// Marks the pending block requests of a user executed (by the integrator's block, or by the
/// grant that moves a terminated person to their new body).
pub async fn execute_block_requests(
    tx: &mut Tx,
    user_id: i64,
    by: i64,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let q = Query::update()
        .table(BlockRequests::Table)
        .values([
            (BlockRequests::ExecutedBy, by.into()),
            (BlockRequests::ExecutedAt, at.into()),
        ])
        .and_where(Expr::col(BlockRequests::UserId).eq(user_id))
        .and_where(Expr::col(BlockRequests::ExecutedAt).is_null())
        .to_owned();
    tx.execute(&q).await?;
    Ok(())
}

/// Block requests within `rows`, by id, as `which` selects.
pub async fn block_requests(
    db: &Db,
    rows: BodyRows,
    which: FollowUps<'_>,
) -> AppResult<Vec<BlockRequestRow>> {
    let mut q = Query::select()
        .columns(BLOCK_COLUMNS)
        .from(BlockRequests::Table)
        .cond_where(rows.condition(Expr::col(BlockRequests::OrganizationId)))
        .order_by(BlockRequests::Id, Order::Asc)
        .to_owned();
    match which {
        FollowUps::Pending => q.and_where(Expr::col(BlockRequests::ExecutedAt).is_null()),
        FollowUps::All => &mut q,
        FollowUps::Ids(ids) => q.and_where(Expr::col(BlockRequests::Id).is_in(ids.iter().copied())),
        FollowUps::OfPerson(user) => q.and_where(Expr::col(BlockRequests::UserId).eq(user)),
    };
    Ok(db.all(&q).await?)
}

/// Which follow-up rows (block requests, training records) a read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUps<'a> {
    /// Those still open: block requests not executed, trainings not reported.
    Pending,
    /// Every one.
    All,
    /// Those of these ids.
    Ids(&'a [i64]),
    /// Every one about this person.
    OfPerson(i64),
}

/// A training record with its report deadline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrainingRow {
    /// Id.
    pub id: i64,
    /// Trained user.
    pub user_id: i64,
    /// Day of the training.
    pub completed_on: NaiveDate,
    /// `KK` or `RU`.
    pub language: String,
    /// End of the 5th working day after the training.
    pub report_due: DateTime<Utc>,
    /// When the integrator reported it to the authorized body.
    pub reported_at: Option<DateTime<Utc>>,
}

/// Training records of the people in `people`, by id, as `which` selects.
pub async fn trainings(
    db: &Db,
    people: PeopleRows,
    which: FollowUps<'_>,
) -> AppResult<Vec<TrainingRow>> {
    let mut q = Query::select()
        .columns([
            TrainingRecords::Id,
            TrainingRecords::UserId,
            TrainingRecords::CompletedOn,
            TrainingRecords::Language,
            TrainingRecords::ReportDue,
            TrainingRecords::ReportedAt,
        ])
        .from(TrainingRecords::Table)
        .cond_where(people.of_person(Expr::col(TrainingRecords::UserId)))
        .order_by(TrainingRecords::Id, Order::Asc)
        .to_owned();
    match which {
        FollowUps::Pending => q.and_where(Expr::col(TrainingRecords::ReportedAt).is_null()),
        FollowUps::All => &mut q,
        FollowUps::Ids(ids) => {
            q.and_where(Expr::col(TrainingRecords::Id).is_in(ids.iter().copied()))
        }
        FollowUps::OfPerson(user) => q.and_where(Expr::col(TrainingRecords::UserId).eq(user)),
    };
    Ok(db.all(&q).await?)
}

/// Marks a training reported; `false` when it does not exist or was already reported.
pub async fn mark_training_reported(tx: &mut Tx, id: i64, at: DateTime<Utc>) -> AppResult<bool> {
    let q = Query::update()
        .table(TrainingRecords::Table)
        .value(TrainingRecords::ReportedAt, at)
        .and_where(Expr::col(TrainingRecords::Id).eq(id))
        .and_where(Expr::col(TrainingRecords::ReportedAt).is_null())
        .to_owned();
    Ok(tx.execute(&q).await? == 1)
}

/// Active grants of the people in `people` ending on or before `until` (and not before
/// `today`), soonest first.
pub async fn expiring_grants(
    db: &Db,
    people: PeopleRows,
    today: NaiveDate,
    until: NaiveDate,
) -> AppResult<Vec<super::grants::GrantRow>> {
    let q = Query::select()
        .columns(super::grants::GRANT_COLUMNS)
        .from(AccessGrants::Table)
        .and_where(Expr::col(AccessGrants::Status).eq(crate::domain::grant::GrantState::Active))
        .and_where(Expr::col(AccessGrants::ValidUntil).gte(today))
        .and_where(Expr::col(AccessGrants::ValidUntil).lte(until))
        .cond_where(people.of_person(Expr::col(AccessGrants::UserId)))
        .order_by(AccessGrants::ValidUntil, Order::Asc)
        .order_by(AccessGrants::Id, Order::Asc)
        .to_owned();
    Ok(db.all(&q).await?)
}
