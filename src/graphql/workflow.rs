//! The access workflow over GraphQL: the head of an oversight body applies, the authorized body
//! reviews, the integrator grants, records training and blocks. Each mutation checks the policy
//! first, decides the step with the state machine of `domain::workflow`, and writes in one
//! transaction: a refused step changes nothing.

use std::collections::BTreeSet;

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use super::context::{RequestCtx, parse_id, req};
use super::query::{Conn, connection, page_request};
use super::types::Organization;
use super::viewer::{AccessGrant, User};
use crate::domain::budget::InformationSystem;
use crate::domain::date::Date;
use crate::domain::grant::valid_until;
use crate::domain::ident::Iin;
use crate::domain::workflow::{self, ApplicationStatus, ReviewDecision};
use crate::error::{AppError, Expected};
use crate::store::applications::{
    self, ApplicationQuery, ApplicationRow, EmployeeRow, NewApplication,
};
use crate::store::{calendar, orgs, users};

/// Working days the authorized body has to review, and the integrator to grant.
const REVIEW_DAYS: u32 = 2;
const GRANT_DAYS: u32 = 2;
/// Working days the integrator has to report a training.
const TRAINING_REPORT_DAYS: u32 = 5;
/// A grant may be renewed in its last days; earlier, an application for the same system is refused.
const RENEWAL_WINDOW_DAYS: i64 = 30;

/// One employee of an application (the appendix form's row).
#[derive(InputObject, Debug, Clone)]
pub struct ApplicantEmployeeInput {
    /// Surname.
    pub surname: String,
    /// Name.
    pub name: String,
    /// Patronymic (if any).
    pub patronymic: Option<String>,
    /// IIN (checked).
    pub iin: String,
    /// Position.
    pub position: String,
    /// Structural unit.
    pub structural_unit: String,
    /// Identification QR code from the E-Qyzmet HR system.
    pub eqyzmet_qr_code: String,
    /// Phone.
    pub phone: String,
    /// E-mail.
    pub email: String,
    /// Purpose of access.
    pub purpose: String,
}

/// An application for read access (the appendix form). The applicant organization is the caller's.
#[derive(InputObject, Debug, Clone)]
pub struct AccessApplicationInput {
    /// Systems requested.
    pub systems: Vec<InformationSystem>,
    /// Employees to be given access.
    pub employees: Vec<ApplicantEmployeeInput>,
    /// Head of the organization.
    pub head_full_name: String,
    /// Executor's phone.
    pub executor_phone: String,
    /// Executor's e-mail.
    pub executor_email: String,
    /// Outgoing document number.
    pub outgoing_number: Option<String>,
    /// Outgoing document date.
    pub outgoing_date: Option<Date>,
}

fn required(field: String, v: &str) -> Result<(), AppError> {
    if v.trim().is_empty() {
        Err(AppError::invalid(field, Expected::Present))
    } else {
        Ok(())
    }
}

fn email(field: String, v: &str) -> Result<(), AppError> {
    let ok = v.split_once('@').is_some_and(|(a, b)| {
        !a.is_empty() && b.contains('.') && !b.starts_with('.') && !v.contains(' ')
    });
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(field, Expected::Email))
    }
}

fn phone(field: String, v: &str) -> Result<(), AppError> {
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if allowed && (10..=15).contains(&digits) {
        Ok(())
    } else {
        Err(AppError::invalid(field, Expected::Phone))
    }
}

/// Checks the form; names the first bad field (`input.employees[1].iin`).
fn validate(input: &AccessApplicationInput) -> Result<Vec<EmployeeRow>, AppError> {
    if input.systems.is_empty() {
        return Err(AppError::invalid("input.systems", Expected::NonEmpty));
    }
    if input.employees.is_empty() {
        return Err(AppError::invalid("input.employees", Expected::NonEmpty));
    }
    required("input.headFullName".into(), &input.head_full_name)?;
    phone("input.executorPhone".into(), &input.executor_phone)?;
    email("input.executorEmail".into(), &input.executor_email)?;
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for (i, e) in input.employees.iter().enumerate() {
        let f = |name: &str| format!("input.employees[{i}].{name}");
        for (name, v) in [
            ("surname", &e.surname),
            ("name", &e.name),
            ("position", &e.position),
            ("structuralUnit", &e.structural_unit),
            ("eqyzmetQrCode", &e.eqyzmet_qr_code),
            ("purpose", &e.purpose),
        ] {
            required(f(name), v)?;
        }
        let iin = Iin::parse(e.iin.trim())
            .map_err(|_| AppError::invalid(f("iin"), Expected::ValidIdentifier))?;
        if !seen.insert(iin.to_string()) {
            return Err(AppError::invalid(f("iin"), Expected::Unique));
        }
        phone(f("phone"), &e.phone)?;
        email(f("email"), &e.email)?;
        rows.push(EmployeeRow {
            row_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            surname: e.surname.trim().to_owned(),
            name: e.name.trim().to_owned(),
            patronymic: e
                .patronymic
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
            iin: iin.to_string(),
            position: e.position.trim().to_owned(),
            structural_unit: e.structural_unit.trim().to_owned(),
            eqyzmet_qr: e.eqyzmet_qr_code.trim().to_owned(),
            phone: e.phone.trim().to_owned(),
            email: e.email.trim().to_owned(),
            purpose: e.purpose.trim().to_owned(),
        });
    }
    Ok(rows)
}

/// An access application and where it stands.
pub struct AccessApplication {
    row: ApplicationRow,
    now: DateTime<Utc>,
}

#[Object]
impl AccessApplication {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    /// Status.
    async fn status(&self) -> ApplicationStatus {
        self.row.status
    }
    /// Systems requested.
    async fn systems(&self) -> Vec<InformationSystem> {
        self.row.systems()
    }
    /// The applying organization.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let r = req(ctx)?;
        Ok(orgs::by_id_unscoped(&r.db, self.row.organization_id)
            .await
            .map_err(|e| r.error(e))?
            .map(Organization))
    }
    /// Head of the organization.
    async fn head_full_name(&self) -> &str {
        &self.row.head_full_name
    }
    /// Executor's phone.
    async fn executor_phone(&self) -> &str {
        &self.row.executor_phone
    }
    /// Executor's e-mail.
    async fn executor_email(&self) -> &str {
        &self.row.executor_email
    }
    /// Outgoing document number.
    async fn outgoing_number(&self) -> Option<&str> {
        self.row.outgoing_number.as_deref()
    }
    /// Outgoing document date.
    async fn outgoing_date(&self) -> Option<Date> {
        self.row.outgoing_date.map(Date)
    }
    /// When the authorized body received it.
    async fn received_at(&self) -> DateTime<Utc> {
        self.row.received_at
    }
    /// End of the review period (2 working days after receipt).
    async fn review_due(&self) -> DateTime<Utc> {
        self.row.review_due
    }
    /// When it was reviewed.
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.row.reviewed_at
    }
    /// The reviewer's comment (the reason of a rejection).
    async fn review_comment(&self) -> Option<&str> {
        self.row.review_comment.as_deref()
    }
    /// End of the grant period (2 working days after forwarding to the integrator).
    async fn grant_due(&self) -> Option<DateTime<Utc>> {
        self.row.grant_due
    }
    /// When access was granted.
    async fn granted_at(&self) -> Option<DateTime<Utc>> {
        self.row.granted_at
    }
    /// Whether the current step is past its due time.
    async fn overdue(&self) -> bool {
        match self.row.status {
            ApplicationStatus::Submitted => self.now > self.row.review_due,
            ApplicationStatus::Approved => self.row.grant_due.is_some_and(|d| self.now > d),
            _ => false,
        }
    }
}

/// Filter on applications.
#[derive(InputObject, Debug, Clone, Default)]
pub struct AccessApplicationFilter {
    /// Statuses.
    pub statuses: Option<Vec<ApplicationStatus>>,
    /// Only those whose current step (review or grant) is past due.
    pub overdue: Option<bool>,
}

/// Workflow queries.
#[derive(Default)]
pub struct WorkflowQuery;

#[Object]
impl WorkflowQuery {
    /// Applications: every one for the authorized body and the integrator, the body's own for
    /// the head of an oversight body.
    #[graphql(complexity = "super::limits::page_cost(first, child_complexity)")]
    async fn access_applications(
        &self,
        ctx: &Context<'_>,
        filter: Option<AccessApplicationFilter>,
        #[graphql(desc = "Page size, 0 to 1000 (default 100); larger is refused naming `first`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> Result<Conn<AccessApplication>> {
        let r = req(ctx)?;
        let p = r.principal()?;
        let organization_id = if p.may(&r.policy, "application", "review")
            || p.may(&r.policy, "application", "grant")
        {
            None
        } else if p.may(&r.policy, "application", "submit") {
            Some(p.organization.id)
        } else {
            return Err(r.error(AppError::Forbidden));
        };
        let page = page_request(r.lang, first, after)?;
        let now = r.clock.now();
        let f = filter.unwrap_or_default();
        let q = ApplicationQuery {
            organization_id,
            statuses: f.statuses,
            overdue_at: f.overdue.filter(|o| *o).map(|_| now),
        };
        let rows = applications::list(&r.db, &q, page)
            .await
            .map_err(|e| r.error(e))?;
        Ok(connection(
            rows,
            page,
            None,
            |a| a.id,
            |row| AccessApplication { row, now },
        ))
    }
}

async fn reload(r: &RequestCtx, id: i64) -> Result<AccessApplication> {
    let row = applications::by_ids(&r.db, &[id])
        .await
        .map_err(|e| r.error(e))?
        .into_iter()
        .next();
    let row = row.ok_or_else(|| r.error(AppError::NotFound))?;
    Ok(AccessApplication {
        row,
        now: r.clock.now(),
    })
}

/// Workflow mutations.
#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    /// Submits an application (head of an oversight body). The review is due by the end of the
    /// 2nd working day after receipt.
    async fn submit_access_application(
        &self,
        ctx: &Context<'_>,
        input: AccessApplicationInput,
    ) -> Result<AccessApplication> {
        let r = req(ctx)?;
        let p = r.require("application", "submit")?;
        let employees = validate(&input).map_err(|e| r.error(e))?;
        let now = r.clock.now();
        let cal = calendar::load(&r.db).await.map_err(|e| r.error(e))?;
        let review_due = cal
            .deadline(now, REVIEW_DAYS)
            .ok_or_else(|| r.error(AppError::Internal(anyhow::anyhow!("deadline out of range"))))?;
        let mut systems = input.systems.clone();
        systems.sort();
        systems.dedup();
        let mut tx = r.db.begin().await.map_err(|e| r.error(e.into()))?;
        let today = crate::authz::principal::local_day(now);
        for (i, e) in employees.iter().enumerate() {
            let Some(user) = users::get_by_iin(&mut tx, &e.iin)
                .await
                .map_err(|e| r.error(e))?
            else {
                continue;
            };
            for system in &systems {
                let end = users::active_grant_end(&mut tx, user.id, *system, today)
                    .await
                    .map_err(|e| r.error(e))?;
                if end.is_some_and(|end| (end - today).num_days() > RENEWAL_WINDOW_DAYS)
                    && !user.is_blocked()
                {
                    return Err(r.error(AppError::invalid(
                        format!("input.employees[{i}].iin"),
                        Expected::NoActiveGrant,
                    )));
                }
            }
        }
        let new = NewApplication {
            organization_id: p.organization.id,
            submitted_by: p.user.id,
            systems: &systems,
            head_full_name: input.head_full_name.trim(),
            executor_phone: input.executor_phone.trim(),
            executor_email: input.executor_email.trim(),
            outgoing_number: input.outgoing_number.as_deref(),
            outgoing_date: input.outgoing_date.map(|d| d.0),
            received_at: now,
            review_due,
            employees: &employees,
        };
        let id = applications::insert(&mut tx, &new)
            .await
            .map_err(|e| r.error(e))?;
        r.record_step(&mut tx, p, "submitAccessApplication", serde_json::json!({ "applicationId": id, "employees": employees.len(), "systems": systems.iter().map(|s| s.as_str()).collect::<Vec<_>>() })).await?;
        tx.commit().await.map_err(|e| r.error(e.into()))?;
        reload(r, id).await
    }

    /// Reviews an application (authorized body): APPROVE forwards it to the integrator, whose
    /// grant is then due by the end of the 2nd working day; REJECT needs a reason.
    async fn review_access_application(
        &self,
        ctx: &Context<'_>,
        id: ID,
        decision: ReviewDecision,
        comment: Option<String>,
    ) -> Result<AccessApplication> {
        let r = req(ctx)?;
        let p = r.require("application", "review")?;
        let id = parse_id(r.lang, "id", &id)?;
        let now = r.clock.now();
        let mut tx = r.db.begin().await.map_err(|e| r.error(e.into()))?;
        let app = applications::get(&mut tx, id)
            .await
            .map_err(|e| r.error(e))?
            .ok_or_else(|| r.error(AppError::NotFound))?;
        let next = workflow::review(app.status, decision, comment.as_deref())
            .map_err(|e| r.error(e.into()))?;
        let grant_due = if next == ApplicationStatus::Approved {
            let cal = calendar::load(&r.db).await.map_err(|e| r.error(e))?;
            cal.deadline(now, GRANT_DAYS)
        } else {
            None
        };
        applications::set_reviewed(
            &mut tx,
            id,
            next,
            p.user.id,
            now,
            comment.as_deref().map(str::trim),
            grant_due,
        )
        .await
        .map_err(|e| r.error(e))?;
        r.record_step(&mut tx, p, "reviewAccessApplication", serde_json::json!({ "applicationId": id, "decision": decision.as_str(), "status": next.as_str(), "comment": comment })).await?;
        tx.commit().await.map_err(|e| r.error(e.into()))?;
        reload(r, id).await
    }

    /// Grants access (integrator): creates or updates the users and one grant per employee and
    /// system, for one year. A renewal starts the day after the current grant ends, so access
    /// continues without a gap.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn grant_access(
        &self,
        ctx: &Context<'_>,
        application_id: ID,
    ) -> Result<Vec<AccessGrant>> {
        let r = req(ctx)?;
        let p = r.require("application", "grant")?;
        let id = parse_id(r.lang, "applicationId", &application_id)?;
        let now = r.clock.now();
        let today = crate::authz::principal::local_day(now);
        let mut tx = r.db.begin().await.map_err(|e| r.error(e.into()))?;
        let app = applications::get(&mut tx, id)
            .await
            .map_err(|e| r.error(e))?
            .ok_or_else(|| r.error(AppError::NotFound))?;
        workflow::grant(app.status).map_err(|e| r.error(e.into()))?;
        let mut grant_ids = Vec::new();
        for e in applications::employees(&mut tx, id)
            .await
            .map_err(|e| r.error(e))?
        {
            if let Some(existing) = users::get_by_iin(&mut tx, &e.iin)
                .await
                .map_err(|e| r.error(e))?
            {
                workflow::require_active(existing.is_blocked()).map_err(|e| r.error(e.into()))?;
            }
            let user_id = users::upsert_from_employee(&mut tx, &e, app.organization_id, now)
                .await
                .map_err(|e| r.error(e))?;
            for system in app.systems() {
                let current_end = users::active_grant_end(&mut tx, user_id, system, today)
                    .await
                    .map_err(|e| r.error(e))?;
                let from = current_end.and_then(|d| d.succ_opt()).unwrap_or(today);
                let until = valid_until(from).ok_or_else(|| {
                    r.error(AppError::Internal(anyhow::anyhow!(
                        "grant end out of range"
                    )))
                })?;
                let gid =
                    users::insert_grant(&mut tx, user_id, id, system, from, until, p.user.id, now)
                        .await
                        .map_err(|e| r.error(e))?;
                grant_ids.push(gid);
            }
        }
        applications::set_granted(&mut tx, id, p.user.id, now)
            .await
            .map_err(|e| r.error(e))?;
        r.record_step(
            &mut tx,
            p,
            "grantAccess",
            serde_json::json!({ "applicationId": id, "grants": grant_ids }),
        )
        .await?;
        tx.commit().await.map_err(|e| r.error(e.into()))?;
        let grants = users::grants_by_ids(&r.db, &grant_ids)
            .await
            .map_err(|e| r.error(e))?;
        super::viewer::grants_with_status(&r.db, grants, today)
            .await
            .map_err(|e| r.error(e))
    }

    /// Records a completed training (integrator). A grant gives no data until its user is trained;
    /// the training report to the authorized body is due within 5 working days.
    async fn record_training(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        completed_on: Date,
        language: crate::domain::workflow::Language,
    ) -> Result<User> {
        let r = req(ctx)?;
        let p = r.require("training", "record")?;
        let uid = parse_id(r.lang, "userId", &user_id)?;
        let now = r.clock.now();
        let cal = calendar::load(&r.db).await.map_err(|e| r.error(e))?;
        let report_day = cal
            .deadline_after_day(completed_on.0, TRAINING_REPORT_DAYS)
            .ok_or_else(|| r.error(AppError::invalid("completedOn", Expected::Date)))?;
        let mut tx = r.db.begin().await.map_err(|e| r.error(e.into()))?;
        let user = users::get(&mut tx, uid)
            .await
            .map_err(|e| r.error(e))?
            .ok_or_else(|| r.error(AppError::NotFound))?;
        workflow::require_active(user.is_blocked()).map_err(|e| r.error(e.into()))?;
        users::insert_training(
            &mut tx,
            uid,
            completed_on.0,
            language.as_str(),
            p.user.id,
            now,
            report_day,
        )
        .await
        .map_err(|e| r.error(e))?;
        r.record_step(&mut tx, p, "recordTraining", serde_json::json!({ "userId": uid, "completedOn": completed_on.0.to_string(), "language": language.as_str() })).await?;
        tx.commit().await.map_err(|e| r.error(e.into()))?;
        Ok(User(user))
    }

    /// Blocks a user (integrator): from the very next request they are refused, and their
    /// grants are revoked. Their history stays queryable.
    async fn block_user(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        let r = req(ctx)?;
        let p = r.require("user", "block")?;
        let uid = parse_id(r.lang, "userId", &user_id)?;
        let now = r.clock.now();
        let mut tx = r.db.begin().await.map_err(|e| r.error(e.into()))?;
        let user = users::get(&mut tx, uid)
            .await
            .map_err(|e| r.error(e))?
            .ok_or_else(|| r.error(AppError::NotFound))?;
        workflow::require_active(user.is_blocked()).map_err(|e| r.error(e.into()))?;
        users::block(&mut tx, uid, now)
            .await
            .map_err(|e| r.error(e))?;
        applications::execute_block_requests(&mut tx, uid, p.user.id, now)
            .await
            .map_err(|e| r.error(e))?;
        let blocked = users::get(&mut tx, uid)
            .await
            .map_err(|e| r.error(e))?
            .ok_or_else(|| r.error(AppError::NotFound))?;
        r.record_step(
            &mut tx,
            p,
            "blockUser",
            serde_json::json!({ "userId": uid }),
        )
        .await?;
        tx.commit().await.map_err(|e| r.error(e.into()))?;
        Ok(User(blocked))
    }
}
