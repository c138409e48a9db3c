//! The access workflow over GraphQL: the head of an oversight body applies, the authorized body
//! reviews, the integrator grants, records training and blocks. Each mutation asks the caller's
//! permissions for the action, converts its arguments and calls the step in
//! [`crate::service::workflow`], which decides and writes it in one transaction: a refused step
//! changes nothing.

use std::collections::BTreeSet;

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use super::context::{RequestCtx, org_loader, parse_id, req};
use super::query::{Conn, connection, page_request};
use super::types::Organization;
use super::viewer::{AccessGrant, User};
use crate::authz::Action;
use crate::authz::principal::local_day;
use crate::domain::budget::InformationSystem;
use crate::domain::form;
use crate::domain::ident::Iin;
use crate::domain::identity::{self, ConflictKind};
use crate::domain::workflow::{self, ApplicationStatus, ReviewDecision};
use crate::error::{AppError, Expected};
use crate::graphql::date::Date;
use crate::service::access;
use crate::service::workflow as steps;
use crate::store::applications::{self, ApplicationQuery, ApplicationRow, EmployeeRow};
use crate::store::grants;

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

/// Checks the form against the field rules of [`form`]; names the first bad field
/// (`input.employees[1].iin`). The outgoing date lies between the rules' approval and `today`.
fn validate(
    input: &AccessApplicationInput,
    today: chrono::NaiveDate,
) -> Result<steps::ApplicationForm, AppError> {
    if input.systems.is_empty() {
        return Err(AppError::invalid("input.systems", Expected::NonEmpty));
    }
    if input.employees.is_empty() {
        return Err(AppError::invalid("input.employees", Expected::NonEmpty));
    }
    if input.employees.len() > workflow::MAX_EMPLOYEES {
        return Err(AppError::invalid(
            "input.employees",
            Expected::IntegerIn(1, workflow::MAX_EMPLOYEES as i64),
        ));
    }
    let head_full_name = form::text("input.headFullName", &input.head_full_name, form::FULL_NAME)?;
    let executor_phone = form::text(
        "input.executorPhone",
        &input.executor_phone,
        form::Rule::Phone,
    )?;
    let executor_email = form::text(
        "input.executorEmail",
        &input.executor_email,
        form::Rule::Email,
    )?;
    let outgoing_number = form::optional_text(
        "input.outgoingNumber",
        input.outgoing_number.as_deref(),
        form::DOCUMENT_NUMBER,
    )?;
    let outgoing_date = input
        .outgoing_date
        .map(|d| form::date_within("input.outgoingDate", d.0, form::RULES_APPROVED, today))
        .transpose()?;
    let mut seen = BTreeSet::new();
    let mut employees = Vec::new();
    for (i, e) in input.employees.iter().enumerate() {
        let f = |name: &str| format!("input.employees[{i}].{name}");
        let surname = form::text(f("surname"), &e.surname, form::NAME)?;
        let name = form::text(f("name"), &e.name, form::NAME)?;
        let patronymic = form::optional_text(f("patronymic"), e.patronymic.as_deref(), form::NAME)?;
        let iin = Iin::parse(e.iin.trim())
            .map_err(|_| AppError::invalid(f("iin"), Expected::ValidIdentifier))?;
        if !seen.insert(iin.to_string()) {
            return Err(AppError::invalid(f("iin"), Expected::Unique));
        }
        employees.push(EmployeeRow {
            row_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            surname,
            name,
            patronymic,
            iin: iin.to_string(),
            position: form::text(f("position"), &e.position, form::TITLE)?,
            structural_unit: form::text(f("structuralUnit"), &e.structural_unit, form::TITLE)?,
            eqyzmet_qr: form::text(f("eqyzmetQrCode"), &e.eqyzmet_qr_code, form::HR_CODE)?,
            phone: form::text(f("phone"), &e.phone, form::Rule::Phone)?,
            email: form::text(f("email"), &e.email, form::Rule::Email)?,
            purpose: form::text(f("purpose"), &e.purpose, form::REASON)?,
            outcome: None,
            refusal: None,
            user_id: None,
        });
    }
    let mut systems = input.systems.clone();
    systems.sort();
    systems.dedup();
    Ok(steps::ApplicationForm {
        systems,
        head_full_name,
        executor_phone,
        executor_email,
        outgoing_number,
        outgoing_date,
        employees,
    })
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
        Ok(org_loader(ctx)?
            .load_one(self.row.organization_id)
            .await?
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
    /// How it arrived: submitted by the body's head, or registered by the authorized body from
    /// the document system.
    async fn channel(&self) -> &str {
        &self.row.channel
    }
    /// Incoming number of an application registered from the document system.
    async fn incoming_number(&self) -> Option<&str> {
        self.row.incoming_number.as_deref()
    }
    /// When the integrator refused it.
    async fn refused_at(&self) -> Option<DateTime<Utc>> {
        self.row.refused_at
    }
    /// The integrator's reason for refusing it.
    async fn refusal_reason(&self) -> Option<&str> {
        self.row.refusal_reason.as_deref()
    }
    /// The employees on the form, each with their registration today, their current grants,
    /// and (while the application is open) the conflicts that would stop their grant; once
    /// decided, each employee's outcome and reasons.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn employees(&self, ctx: &Context<'_>) -> Result<Vec<ApplicationEmployee>> {
        let r = req(ctx)?;
        let reach = r.allowed(r.permissions().applications())?;
        let people = r.allowed(r.permissions().people())?;
        let views = access::employee_views(r.db(), &self.row, self.now)
            .await
            .map_err(|e| r.error(e))?;
        let today = local_day(self.now);
        let mut out = Vec::with_capacity(views.len());
        for mut v in views {
            let other_body = v
                .user
                .as_ref()
                .is_some_and(|u| u.organization_id != self.row.organization_id);
            // A person of another body is named, with their grants, id and standing there (blocked,
            // terminated), only to the administrators: to the applying head they are just
            // "another body's", and the conflicts say whether that stops the grant.
            let (organization, grants) = if other_body && !reach.names_other_bodies() {
                v.user = None;
                v.assessment.registration = identity::RegistrationKind::OtherBody;
                (None, Vec::new())
            } else {
                let org = match &v.user {
                    Some(u) => org_loader(ctx)?.load_one(u.organization_id).await?,
                    None => None,
                };
                let grants =
                    super::viewer::grants_with_status(r.db(), people, v.grants.clone(), today)
                        .await
                        .map_err(|e| r.error(e))?;
                (org, grants)
            };
            out.push(ApplicationEmployee {
                view: v,
                organization,
                grants,
            });
        }
        Ok(out)
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

/// One conflict that stops an employee's grant.
#[derive(async_graphql::SimpleObject, Debug, Clone, Copy)]
pub struct EmployeeConflict {
    /// What it is.
    pub kind: ConflictKind,
    /// The system concerned, for a conflict about a grant.
    pub system: Option<InformationSystem>,
}

impl From<identity::Conflict> for EmployeeConflict {
    fn from(c: identity::Conflict) -> Self {
        EmployeeConflict {
            kind: c.kind,
            system: c.system,
        }
    }
}

/// One employee of an application: the form's row, the person it names, and what stops them.
pub struct ApplicationEmployee {
    view: access::EmployeeView,
    organization: Option<crate::store::orgs::OrgRow>,
    grants: Vec<AccessGrant>,
}

#[Object]
impl ApplicationEmployee {
    /// Row number on the form.
    async fn row_no(&self) -> i32 {
        self.view.row.row_no
    }
    /// Surname, as on the form.
    async fn surname(&self) -> &str {
        &self.view.row.surname
    }
    /// Name, as on the form.
    async fn name(&self) -> &str {
        &self.view.row.name
    }
    /// Patronymic, as on the form.
    async fn patronymic(&self) -> Option<&str> {
        self.view.row.patronymic.as_deref()
    }
    /// IIN.
    async fn iin(&self) -> &str {
        &self.view.row.iin
    }
    /// Position, as on the form.
    async fn position(&self) -> &str {
        &self.view.row.position
    }
    /// Structural unit, as on the form.
    async fn structural_unit(&self) -> &str {
        &self.view.row.structural_unit
    }
    /// E-Qyzmet QR identifier.
    async fn eqyzmet_qr_code(&self) -> &str {
        &self.view.row.eqyzmet_qr
    }
    /// Phone, as on the form.
    async fn phone(&self) -> &str {
        &self.view.row.phone
    }
    /// E-mail, as on the form.
    async fn email(&self) -> &str {
        &self.view.row.email
    }
    /// Purpose of access.
    async fn purpose(&self) -> &str {
        &self.view.row.purpose
    }
    /// Where the person stands today: not registered, a member of this body, of another body,
    /// terminated by their body, or blocked.
    async fn registration(&self) -> identity::RegistrationKind {
        self.view.assessment.registration
    }
    /// The registered person's id, if registered.
    async fn user_id(&self) -> Option<ID> {
        self.view.user.as_ref().map(|u| ID(u.id.to_string()))
    }
    /// The body the person is (or was last) registered at; for the applying body's head, only
    /// when that is their own body.
    async fn registered_at(&self) -> Option<Organization> {
        self.organization.clone().map(Organization)
    }
    /// The person's grants not revoked whose last day is today or later (current and renewal),
    /// with their end dates; for the applying body's head, only of their own body's people.
    async fn current_grants(&self) -> &[AccessGrant] {
        &self.grants
    }
    /// What would stop the grant now (empty once the application is decided).
    async fn conflicts(&self) -> Vec<EmployeeConflict> {
        self.view
            .assessment
            .conflicts
            .iter()
            .copied()
            .map(Into::into)
            .collect()
    }
    /// What became of the employee once the application was decided.
    async fn outcome(&self) -> Option<identity::EmployeeOutcome> {
        self.view
            .row
            .outcome
            .as_deref()
            .and_then(|o| o.parse().ok())
    }
    /// Why the employee was refused (the conflicts recorded when the application was decided).
    async fn refusal_reasons(&self) -> Vec<EmployeeConflict> {
        self.view
            .row
            .refusal
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter_map(identity::Conflict::parse)
            .map(Into::into)
            .collect()
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
        let reach = r.allowed(r.permissions().applications())?;
        let page = page_request(r.lang, first, after)?;
        let now = r.clock.now();
        let f = filter.unwrap_or_default();
        let q = ApplicationQuery {
            organization_id: None,
            statuses: f.statuses,
            overdue_at: f.overdue.filter(|o| *o).map(|_| now),
        };
        let rows = applications::list(r.db(), reach, &q, page)
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

    /// One application; null when it does not exist or is not the caller's to read.
    async fn access_application(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<AccessApplication>> {
        let r = req(ctx)?;
        let reach = r.allowed(r.permissions().applications())?;
        let id = parse_id(r.lang, "id", &id)?;
        let row = applications::by_ids(r.db(), reach, &[id])
            .await
            .map_err(|e| r.error(e))?
            .into_iter()
            .next();
        r.returned(usize::from(row.is_some()));
        let now = r.clock.now();
        Ok(row.map(|row| AccessApplication { row, now }))
    }
}

async fn reload(r: &RequestCtx, id: i64) -> Result<AccessApplication> {
    let reach = r.allowed(r.permissions().applications())?;
    let row = applications::by_ids(r.db(), reach, &[id])
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
        let step = step(r, Action::SubmitApplication)?;
        let form = validate(&input, local_day(step.now)).map_err(|e| r.error(e))?;
        let id = steps::submit(step, &form).await.map_err(|e| r.error(e))?;
        reload(r, id).await
    }

    /// Registers an application the authorized body received on paper or through the electronic
    /// document system: the same form, for the applying body, with the incoming number and the
    /// day of receipt, from which the 2 working days of review are counted.
    async fn register_access_application(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        input: AccessApplicationInput,
        #[graphql(desc = "Incoming number in the document system (1 to 64 characters).")]
        incoming_number: String,
        #[graphql(desc = "Day the application was received: today or within the past year.")]
        received_on: Date,
    ) -> Result<AccessApplication> {
        let r = req(ctx)?;
        let step = step(r, Action::RegisterApplication)?;
        let organization_id = parse_id(r.lang, "organizationId", &organization_id)?;
        let number = form::text("incomingNumber", &incoming_number, form::DOCUMENT_NUMBER)
            .map_err(|e| r.error(e))?;
        let form = validate(&input, local_day(step.now)).map_err(|e| r.error(e))?;
        let registration = steps::Registration {
            organization_id,
            incoming_number: &number,
            received_on: received_on.0,
        };
        let id = steps::register(step, &form, registration)
            .await
            .map_err(|e| r.error(e))?;
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
        let step = step(r, Action::ReviewApplication)?;
        let id = parse_id(r.lang, "id", &id)?;
        steps::review(step, id, decision, comment.as_deref())
            .await
            .map_err(|e| r.error(e))?;
        reload(r, id).await
    }

    /// Grants access (integrator), one grant per employee and system for one year; a renewal
    /// starts the day after the current grant ends, so access continues without a gap. Every
    /// employee is judged again here, with the application and the people locked: a person
    /// registered at another body, leaving this one, or already holding the grant stops the
    /// grant (`GRANT_CONFLICTS`, see `employees.conflicts`), unless `partial`, which grants the
    /// others and records those as refused. A person new to the hub is registered at the
    /// applying body; one who left their body (blocked, or terminated by it) is registered there
    /// again, their history kept.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn grant_access(
        &self,
        ctx: &Context<'_>,
        application_id: ID,
        #[graphql(
            default = false,
            desc = "Grant the employees without conflicts and refuse the others."
        )]
        partial: bool,
    ) -> Result<Vec<AccessGrant>> {
        let r = req(ctx)?;
        let step = step(r, Action::GrantAccess)?;
        let id = parse_id(r.lang, "applicationId", &application_id)?;
        let granted = steps::grant(step, id, partial)
            .await
            .map_err(|e| r.error(e))?;
        let people = r.allowed(r.permissions().people())?;
        let grants = grants::by_ids(r.db(), people, &granted)
            .await
            .map_err(|e| r.error(e))?;
        super::viewer::grants_with_status(r.db(), people, grants, local_day(step.now))
            .await
            .map_err(|e| r.error(e))
    }

    /// Refuses an approved application (integrator) with a reason: a final state, each employee
    /// recorded as refused with the conflicts they have now.
    async fn refuse_access_application(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> Result<AccessApplication> {
        let r = req(ctx)?;
        let step = step(r, Action::RefuseApplication)?;
        let id = parse_id(r.lang, "id", &id)?;
        steps::refuse(step, id, &reason)
            .await
            .map_err(|e| r.error(e))?;
        reload(r, id).await
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
        let step = step(r, Action::RecordTraining)?;
        let user_id = parse_id(r.lang, "userId", &user_id)?;
        let user = steps::record_training(step, user_id, completed_on.0, language)
            .await
            .map_err(|e| r.error(e))?;
        Ok(User(user))
    }

    /// Blocks a user (integrator): from the very next request they are refused, their grants are
    /// revoked, their head rights end, and their membership ends on the termination date their
    /// body named. Their history stays queryable, and a new application can reinstate them.
    async fn block_user(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        let r = req(ctx)?;
        let step = step(r, Action::BlockUser)?;
        let user_id = parse_id(r.lang, "userId", &user_id)?;
        let user = steps::block(step, user_id).await.map_err(|e| r.error(e))?;
        Ok(User(user))
    }

    /// Designates the head of a body (authorized body): the person must be its current member;
    /// the previous head's head rights end in the same step. Heads are never set by an
    /// application.
    async fn designate_head(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        user_id: ID,
    ) -> Result<User> {
        let r = req(ctx)?;
        let step = step(r, Action::DesignateHead)?;
        let organization_id = parse_id(r.lang, "organizationId", &organization_id)?;
        let user_id = parse_id(r.lang, "userId", &user_id)?;
        let head = steps::designate_head(step, organization_id, user_id)
            .await
            .map_err(|e| r.error(e))?;
        Ok(User(head))
    }
}

/// The caller doing `action` now, or the refusal.
pub(super) fn step(r: &RequestCtx, action: Action) -> Result<steps::Step<'_>> {
    Ok(steps::Step {
        db: r.db(),
        acting: r.act(action)?,
        now: r.clock.now(),
    })
}
