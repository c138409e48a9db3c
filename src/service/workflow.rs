//! The steps of the access workflow and of the working-day calendar, each a function that takes
//! the caller acting (from [`crate::authz::Permissions::act`]), opens its transaction, locks the
//! rows its rules depend on, checks that they are the action's targets, applies the state machine
//! of [`crate::domain::workflow`] and writes its audit step: a refused step changes nothing.
//! Resolvers (and the commands that run them) only convert their arguments and call these.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::access;
use crate::authz::permissions::Acting;
use crate::authz::principal::local_day;
use crate::domain::budget::InformationSystem;
use crate::domain::form;
use crate::domain::workflow::{
    self, ApplicationStatus, BLOCK_REQUEST_DAYS, GRANT_DAYS, Language, REVIEW_DAYS, ReviewDecision,
    TRAINING_REPORT_DAYS, TransitionError,
};
use crate::error::{AppError, AppResult, Expected};
use crate::store::applications::{self, EmployeeRow, NewApplication, NewBlockRequest};
use crate::store::trainings;
use crate::store::users::{self, UserRow};
use crate::store::{Db, Tx, calendar, memberships, orgs};

/// One step: where it is written, who acts on what, and the instant it is judged at.
#[derive(Clone, Copy)]
pub struct Step<'a> {
    /// The database written.
    pub db: &'a Db,
    /// The caller acting, with the targets the action may touch.
    pub acting: Acting<'a>,
    /// The instant the step is judged at.
    pub now: DateTime<Utc>,
}

impl Step<'_> {
    /// Appends the step to the audit trail inside its transaction.
    async fn record(
        &self,
        tx: &mut Tx,
        operation: &str,
        arguments: serde_json::Value,
    ) -> AppResult<()> {
        let p = self.acting.principal;
        let event = crate::audit::Event {
            at: self.now,
            user_id: Some(p.user.id),
            organization_id: Some(p.organization.id),
            operation: Some(operation.to_owned()),
            variables: Some(arguments.to_string()),
            outcome: "OK".to_owned(),
            ..Default::default()
        };
        crate::audit::append(tx, event).await.map(|_| ())
    }

    /// Fails as a missing row when `organization` is not among the action's targets: another
    /// body's row looks exactly like one that does not exist.
    fn target(&self, organization: i64) -> AppResult<()> {
        if self.acting.targets.admits(organization) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The caller's user id.
    fn by(&self) -> i64 {
        self.acting.principal.user.id
    }
}

/// An application form as checked: every field trimmed and within its rule.
#[derive(Debug, Clone)]
pub struct ApplicationForm {
    /// Systems requested (sorted, without repeats).
    pub systems: Vec<InformationSystem>,
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
    /// The employees, in form order.
    pub employees: Vec<EmployeeRow>,
}

/// An application registered by the authorized body from the document system.
pub struct Registration<'a> {
    /// The applying body.
    pub organization_id: i64,
    /// Incoming number in the document system.
    pub incoming_number: &'a str,
    /// The day it was received.
    pub received_on: NaiveDate,
}

/// Submits an application for the caller's own body (its head); the review is due by the end of
/// the 2nd working day after receipt. Returns its id.
#[tracing::instrument(skip_all, fields(by = step.by()))]
pub async fn submit(step: Step<'_>, form: &ApplicationForm) -> AppResult<i64> {
    let organization_id = step.acting.principal.organization.id;
    step.target(organization_id)?;
    let cal = calendar::load(step.db).await?;
    let review_due = cal
        .deadline(step.now, REVIEW_DAYS)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("deadline out of range")))?;
    store_application(step, form, organization_id, step.now, review_due, None).await
}

/// Registers an application the authorized body received on paper or through the document
/// system, for an oversight body the law does not exclude; the review is due 2 working days
/// after the day of receipt. Returns its id.
#[tracing::instrument(skip_all, fields(by = step.by(), organization = r.organization_id))]
pub async fn register(
    step: Step<'_>,
    form: &ApplicationForm,
    r: Registration<'_>,
) -> AppResult<i64> {
    let today = local_day(step.now);
    let earliest = (today - chrono::Days::new(366)).max(form::RULES_APPROVED);
    form::date_within("receivedOn", r.received_on, earliest, today)?;
    let not_an_applicant = || AppError::invalid("organizationId", Expected::OversightBody);
    step.target(r.organization_id)
        .map_err(|_| not_an_applicant())?;
    let org = orgs::find(step.db, r.organization_id)
        .await?
        .filter(|o| o.kind.is_oversight_body() && !o.audit_excluded)
        .ok_or_else(not_an_applicant)?;
    let cal = calendar::load(step.db).await?;
    let review_due = cal
        .deadline_after_day(r.received_on, REVIEW_DAYS)
        .ok_or_else(|| AppError::invalid("receivedOn", Expected::Date))?;
    let received_at = crate::domain::calendar::start_of_day(r.received_on)
        .ok_or_else(|| AppError::invalid("receivedOn", Expected::Date))?;
    store_application(
        step,
        form,
        org.id,
        received_at,
        review_due,
        Some(r.incoming_number),
    )
    .await
}

/// Stores a checked application with its audit step, in one transaction.
async fn store_application(
    step: Step<'_>,
    form: &ApplicationForm,
    organization_id: i64,
    received_at: DateTime<Utc>,
    review_due: DateTime<Utc>,
    incoming_number: Option<&str>,
) -> AppResult<i64> {
    let mut tx = step.db.begin().await?;
    if let Some(i) = access::first_holding_a_grant(
        &mut tx,
        &form.employees,
        organization_id,
        &form.systems,
        step.now,
    )
    .await?
    {
        return Err(AppError::invalid(
            format!("input.employees[{i}].iin"),
            Expected::NoActiveGrant,
        ));
    }
    let new = NewApplication {
        organization_id,
        submitted_by: step.by(),
        systems: &form.systems,
        head_full_name: &form.head_full_name,
        executor_phone: &form.executor_phone,
        executor_email: &form.executor_email,
        outgoing_number: form.outgoing_number.as_deref(),
        outgoing_date: form.outgoing_date,
        received_at,
        review_due,
        incoming_number,
        employees: &form.employees,
    };
    let id = applications::insert(&mut tx, &new).await?;
    let operation = if incoming_number.is_some() {
        "registerAccessApplication"
    } else {
        "submitAccessApplication"
    };
    step.record(
        &mut tx,
        operation,
        json!({
            "applicationId": id,
            "organizationId": organization_id,
            "employees": form.employees.len(),
            "systems": form.systems.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "incomingNumber": incoming_number,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Reviews a submitted application (authorized body): APPROVE forwards it to the integrator,
/// whose grant is then due by the end of the 2nd working day; REJECT needs a reason.
#[tracing::instrument(skip_all, fields(application = id, by = step.by()))]
pub async fn review(
    step: Step<'_>,
    id: i64,
    decision: ReviewDecision,
    comment: Option<&str>,
) -> AppResult<()> {
    let comment = form::optional_text("comment", comment, form::REASON)?;
    let mut tx = step.db.begin().await?;
    let app = applications::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    step.target(app.organization_id)?;
    let next = workflow::review(app.status, decision, comment.as_deref())?;
    let grant_due = if next == ApplicationStatus::Approved {
        calendar::load(step.db)
            .await?
            .deadline(step.now, GRANT_DAYS)
    } else {
        None
    };
    applications::set_reviewed(
        &mut tx,
        id,
        next,
        step.by(),
        step.now,
        comment.as_deref(),
        grant_due,
    )
    .await?;
    step.record(
        &mut tx,
        "reviewAccessApplication",
        json!({ "applicationId": id, "decision": decision.as_str(), "status": next.as_str(), "comment": comment }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Attempts of a grant the database ended as a deadlock's victim before it gives up.
const GRANT_ATTEMPTS: u32 = 3;

/// Grants an approved application (integrator), judging every employee again, locked (see
/// [`access::grant`]). Returns the ids of the grants made. Two grants that register the same
/// new person at once may deadlock on PostgreSQL (one reads the person another committed
/// meanwhile, out of the lock order); the database ends one of them, which starts again from
/// the beginning and then finds the person registered, in order.
pub async fn grant(step: Step<'_>, id: i64, partial: bool) -> AppResult<Vec<i64>> {
    let mut attempt = 1;
    loop {
        match grant_once(&step, id, partial).await {
            Err(e) if attempt < GRANT_ATTEMPTS && e.is_transient_conflict() => {
                tracing::info!(application = id, attempt, "grant retried after a deadlock");
                attempt += 1;
            }
            done => return done,
        }
    }
}

async fn grant_once(step: &Step<'_>, id: i64, partial: bool) -> AppResult<Vec<i64>> {
    let mut tx = step.db.begin().await?;
    let app = applications::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    step.target(app.organization_id)?;
    let done = access::grant(&mut tx, &app, step.by(), step.now, partial).await?;
    let refused: Vec<serde_json::Value> = done
        .refused
        .iter()
        .map(|(row, c)| json!({ "rowNo": row, "conflicts": c.iter().map(|c| c.code()).collect::<Vec<_>>() }))
        .collect();
    step.record(
        &mut tx,
        "grantAccess",
        json!({ "applicationId": id, "grants": done.grant_ids, "refused": refused, "terminationsExecuted": done.terminations_executed }),
    )
    .await?;
    tx.commit().await?;
    Ok(done.grant_ids)
}

/// Refuses an approved application (integrator) with a reason: a final state, each employee
/// recorded as refused with the conflicts they have now.
pub async fn refuse(step: Step<'_>, id: i64, reason: &str) -> AppResult<()> {
    let reason = form::text("reason", reason, form::REASON)?;
    let mut tx = step.db.begin().await?;
    let app = applications::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    step.target(app.organization_id)?;
    let refused = access::refuse(&mut tx, &app, step.by(), step.now, &reason).await?;
    let refused: Vec<serde_json::Value> = refused
        .iter()
        .map(|(row, c)| json!({ "rowNo": row, "conflicts": c.iter().map(|c| c.code()).collect::<Vec<_>>() }))
        .collect();
    step.record(
        &mut tx,
        "refuseAccessApplication",
        json!({ "applicationId": id, "reason": reason, "employees": refused }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a completed training (integrator), within the past year; its report to the
/// authorized body is due within 5 working days.
#[tracing::instrument(skip_all, fields(user = user_id, by = step.by()))]
pub async fn record_training(
    step: Step<'_>,
    user_id: i64,
    completed_on: NaiveDate,
    language: Language,
) -> AppResult<UserRow> {
    let today = local_day(step.now);
    let earliest = (today - chrono::Days::new(366)).max(form::RULES_APPROVED);
    form::date_within("completedOn", completed_on, earliest, today)?;
    let report_day = calendar::load(step.db)
        .await?
        .deadline_after_day(completed_on, TRAINING_REPORT_DAYS)
        .ok_or_else(|| AppError::invalid("completedOn", Expected::Date))?;
    let mut tx = step.db.begin().await?;
    let user = users::get(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    step.target(user.organization_id)?;
    workflow::require_active(user.is_blocked())?;
    trainings::insert(
        &mut tx,
        user_id,
        completed_on,
        language.as_str(),
        step.by(),
        step.now,
        report_day,
    )
    .await?;
    step.record(
        &mut tx,
        "recordTraining",
        json!({ "userId": user_id, "completedOn": completed_on.to_string(), "language": language.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Records that a training was reported to the authorized body (integrator).
pub async fn report_training(step: Step<'_>, training_id: i64) -> AppResult<()> {
    let mut tx = step.db.begin().await?;
    let trainee = trainings::trainee(&mut tx, training_id)
        .await?
        .ok_or(AppError::NotFound)?;
    step.target(trainee.organization_id)?;
    if !applications::mark_training_reported(&mut tx, training_id, step.now).await? {
        return Err(TransitionError::AlreadyReported.into());
    }
    step.record(
        &mut tx,
        "reportTraining",
        json!({ "trainingId": training_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Blocks a user (integrator): see [`access::block`].
pub async fn block(step: Step<'_>, user_id: i64) -> AppResult<UserRow> {
    let mut tx = step.db.begin().await?;
    let user = users::get(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    step.target(user.organization_id)?;
    let blocked = access::block(&mut tx, user_id, step.by(), step.now).await?;
    step.record(&mut tx, "blockUser", json!({ "userId": user_id }))
        .await?;
    tx.commit().await?;
    Ok(blocked)
}

/// Designates the head of a body (authorized body): see [`access::designate_head`].
pub async fn designate_head(
    step: Step<'_>,
    organization_id: i64,
    user_id: i64,
) -> AppResult<UserRow> {
    step.target(organization_id)?;
    let mut tx = step.db.begin().await?;
    let previous =
        access::designate_head(&mut tx, organization_id, user_id, local_day(step.now)).await?;
    let head = users::get(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    step.record(
        &mut tx,
        "designateHead",
        json!({ "organizationId": organization_id, "userId": user_id, "previousHead": previous }),
    )
    .await?;
    tx.commit().await?;
    Ok(head)
}

/// Asks to block a leaver of the caller's own body (its head). Due within 3 working days of the
/// termination date, which lies between the membership's start and a year from today; a late
/// request is accepted and flagged. Returns its id.
#[tracing::instrument(skip_all, fields(user = user_id, by = step.by()))]
pub async fn request_block(
    step: Step<'_>,
    user_id: i64,
    terminated_on: NaiveDate,
    reason: &str,
) -> AppResult<i64> {
    let reason = form::text("reason", reason, form::REASON)?;
    let due = calendar::load(step.db)
        .await?
        .deadline_after_day(terminated_on, BLOCK_REQUEST_DAYS)
        .ok_or_else(|| AppError::invalid("terminatedOn", Expected::Date))?;
    let mut tx = step.db.begin().await?;
    let user = users::get(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    step.target(user.organization_id)?;
    workflow::require_active(user.is_blocked())?;
    // Powers end no earlier than the membership began, and within a year from today.
    let began = memberships::current(&mut tx, user_id)
        .await?
        .map(|m| m.started_on)
        .unwrap_or(form::RULES_APPROVED);
    let latest = local_day(step.now) + chrono::Days::new(366);
    form::date_within("terminatedOn", terminated_on, began, latest)?;
    let new = NewBlockRequest {
        user_id,
        organization_id: user.organization_id,
        requested_by: step.by(),
        terminated_on,
        reason: &reason,
        requested_at: step.now,
        due,
    };
    let id = applications::insert_block_request(&mut tx, &new).await?;
    step.record(
        &mut tx,
        "requestBlock",
        json!({ "userId": user_id, "terminatedOn": terminated_on.to_string(), "requestId": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Sets `date` as a working day or a day off by a transfer whose legal basis `note` names, or,
/// with `working` `None`, removes the transfer (integrator).
pub async fn set_calendar_day(
    step: Step<'_>,
    date: NaiveDate,
    working: Option<bool>,
    note: Option<&str>,
) -> AppResult<()> {
    let mut tx = step.db.begin().await?;
    match working {
        Some(w) => {
            calendar::set(
                &mut tx,
                date,
                w,
                calendar::KIND_TRANSFER,
                note,
                Some(step.by()),
                step.now,
            )
            .await?
        }
        None => {
            calendar::clear(&mut tx, date).await?;
        }
    }
    step.record(
        &mut tx,
        "setCalendarDay",
        json!({ "date": date.to_string(), "working": working, "note": note }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
