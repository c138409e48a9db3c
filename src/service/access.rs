//! The identity-changing steps of the access workflow: grant, refuse, block, designate a head.
//!
//! Each step runs inside the caller's transaction and re-reads, locked, every row its rules
//! depend on (the application, then each person in IIN order, so two steps never wait on each
//! other in opposite orders): the rules of [`crate::domain::identity`] are judged where they take
//! effect, not only where a form was submitted.

use chrono::{DateTime, NaiveDate, Utc};

use crate::authz::principal::local_day;
use crate::domain::grant::valid_until;
use crate::domain::identity::{
    self, Applying, Assessment, Conflict, EmployeeOutcome, RegistrationKind,
};
use crate::domain::workflow::{self, TransitionError};
use crate::error::{AppError, AppResult};
use crate::store::applications::{self, ApplicationRow, EmployeeRow};
use crate::store::grants;
use crate::store::memberships::{self, end_reason};
use crate::store::users::{self, UserRow};
use crate::store::{Tx, epochs, orgs};

/// What a grant did, per employee.
#[derive(Debug, Default)]
pub struct GrantResult {
    /// The grants made.
    pub grant_ids: Vec<i64>,
    /// Employees refused (row number on the form, and why).
    pub refused: Vec<(i32, Vec<Conflict>)>,
    /// Pending block requests the grant executed (people whose termination had come).
    pub terminations_executed: Vec<i64>,
}

/// One employee of an application, with the person they name and how the rules judge them.
struct Judged {
    row: EmployeeRow,
    user: Option<UserRow>,
    /// The person was registered by this step (new to the hub).
    created: bool,
    assessment: Assessment,
}

/// Reads and locks the person of every employee (registering those new to the hub at the
/// applying body) and judges each at `now`.
///
/// Lock order, the same in every identity step: the application, then the registered people
/// in IIN order, then the caller epoch (which the triggers of every write to callers take), and
/// only then new rows. So two grants registering the same new person queue on the epoch instead
/// of deadlocking on the new row. One exception: a person another grant registered after this
/// one first looked is locked after the epoch; if a third grant holds that person and waits for
/// the epoch, PostgreSQL ends one of them as a deadlock, and the grant step runs it again
/// ([`crate::service::workflow::grant`]), which then finds the person registered, in order.
async fn judge_all(
    tx: &mut Tx,
    app: &ApplicationRow,
    now: DateTime<Utc>,
    register_new: bool,
) -> AppResult<Vec<Judged>> {
    let today = local_day(now);
    let systems = app.systems();
    let applying = Applying {
        organization_id: app.organization_id,
        systems: &systems,
        received_at: app.received_at,
        today,
    };
    let mut rows = applications::employees(tx, app.id).await?;
    rows.sort_by(|a, b| a.iin.cmp(&b.iin));
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let user = users::get_by_iin(tx, &row.iin).await?;
        found.push((row, user));
    }
    if register_new && found.iter().any(|(_, u)| u.is_none()) {
        epochs::lock(tx, epochs::CALLERS).await?;
    }
    let mut out = Vec::with_capacity(found.len());
    for (row, mut user) in found {
        let mut created = false;
        if user.is_none() && register_new {
            // Registered by a step that committed since: nothing is inserted, and that person
            // is read (unlocked now, locked here) and judged like any other.
            if let Some(id) =
                users::create_from_employee(tx, &row, app.organization_id, now).await?
            {
                created = true;
                user = users::get(tx, id).await?;
            } else {
                user = users::get_by_iin(tx, &row.iin).await?;
            }
        }
        let assessment = match (&user, created) {
            (Some(u), false) => {
                let person = memberships::person(tx, u, today).await?;
                identity::assess(Some(&person), &applying)
            }
            _ => identity::assess(None, &applying),
        };
        out.push(Judged {
            row,
            user,
            created,
            assessment,
        });
    }
    out.sort_by_key(|j| j.row.row_no);
    Ok(out)
}

fn codes(conflicts: &[Conflict]) -> String {
    conflicts
        .iter()
        .map(Conflict::code)
        .collect::<Vec<_>>()
        .join(",")
}

/// Grants an approved application (integrator). Every employee is judged again here, locked;
/// with conflicts, nothing is granted unless `partial`, which grants those without conflicts and
/// records the others as refused with their reasons.
#[tracing::instrument(skip_all, fields(application = app.id, by, partial))]
pub async fn grant(
    tx: &mut Tx,
    app: &ApplicationRow,
    by: i64,
    now: DateTime<Utc>,
    partial: bool,
) -> AppResult<GrantResult> {
    workflow::grant(app.status)?;
    let today = local_day(now);
    let judged = judge_all(tx, app, now, true).await?;
    let blocked = judged
        .iter()
        .filter(|j| !j.assessment.conflicts.is_empty())
        .count();
    if blocked > 0 && !partial {
        return Err(TransitionError::GrantConflicts.into());
    }
    if blocked == judged.len() {
        return Err(TransitionError::NothingGrantable.into());
    }
    let mut result = GrantResult::default();
    for j in judged {
        let Some(user) = j.user else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "an employee's person was neither found nor registered"
            )));
        };
        if !j.assessment.conflicts.is_empty() {
            applications::set_employee_outcome(
                tx,
                app.id,
                j.row.row_no,
                EmployeeOutcome::Refused,
                Some(&codes(&j.assessment.conflicts)),
                Some(user.id),
            )
            .await?;
            result.refused.push((j.row.row_no, j.assessment.conflicts));
            continue;
        }
        let executed = enrol(tx, app, &j.row, &user, j.created, &j.assessment, by, now).await?;
        if executed {
            result.terminations_executed.push(user.id);
        }
        for system in app.systems() {
            let current_end = grants::active_grant_end(tx, user.id, system, today).await?;
            let from = current_end.and_then(|d| d.succ_opt()).unwrap_or(today);
            let until = valid_until(from)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("grant end out of range")))?;
            let id = grants::insert(tx, user.id, app.id, system, from, until, by, now).await?;
            result.grant_ids.push(id);
        }
        applications::set_employee_outcome(
            tx,
            app.id,
            j.row.row_no,
            EmployeeOutcome::Granted,
            None,
            Some(user.id),
        )
        .await?;
    }
    applications::set_granted(tx, app.id, by, now).await?;
    Ok(result)
}

/// Makes the person of an employee row a current member of the applying body: a new person
/// starts there; a member's contacts follow the form; a person who left their body (blocked, or
/// terminated by it) is registered again, their old membership, grants and block request closed
/// and kept in the history. Returns whether a pending block request was executed.
#[allow(clippy::too_many_arguments)]
async fn enrol(
    tx: &mut Tx,
    app: &ApplicationRow,
    row: &EmployeeRow,
    user: &UserRow,
    created: bool,
    assessment: &Assessment,
    by: i64,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let today = local_day(now);
    if created {
        memberships::start(tx, user, today, Some(app.id)).await?;
        return Ok(false);
    }
    match assessment.registration {
        RegistrationKind::ThisBody => {
            users::update_from_employee(tx, user.id, row).await?;
            let updated = reload(tx, user.id).await?;
            memberships::update_role(tx, &updated, today).await?;
            Ok(false)
        }
        RegistrationKind::Terminated | RegistrationKind::Blocked => {
            let termination = memberships::pending_termination(tx, user.id).await?;
            let executed = termination.is_some();
            if executed {
                applications::execute_block_requests(tx, user.id, by, now).await?;
            }
            grants::revoke_active(tx, user.id, now).await?;
            let reason = if user.organization_id == app.organization_id {
                end_reason::RETURNED
            } else {
                end_reason::TRANSFERRED
            };
            memberships::end(tx, user.id, termination.unwrap_or(today).min(today), reason).await?;
            users::reinstate(tx, user.id, app.organization_id).await?;
            users::update_from_employee(tx, user.id, row).await?;
            let moved = reload(tx, user.id).await?;
            memberships::start(tx, &moved, today, Some(app.id)).await?;
            Ok(executed)
        }
        RegistrationKind::None | RegistrationKind::OtherBody => Err(AppError::Internal(
            anyhow::anyhow!("enrolling a person the rules did not clear"),
        )),
    }
}

async fn reload(tx: &mut Tx, user_id: i64) -> AppResult<UserRow> {
    users::get(tx, user_id).await?.ok_or(AppError::NotFound)
}

/// Refuses an approved application (integrator) with a reason; every employee is recorded as
/// refused with the conflicts they have now (none, when the reason lies elsewhere).
#[tracing::instrument(skip_all, fields(application = app.id, by))]
pub async fn refuse(
    tx: &mut Tx,
    app: &ApplicationRow,
    by: i64,
    now: DateTime<Utc>,
    reason: &str,
) -> AppResult<Vec<(i32, Vec<Conflict>)>> {
    workflow::refuse(app.status, reason)?;
    let judged = judge_all(tx, app, now, false).await?;
    let mut out = Vec::with_capacity(judged.len());
    for j in judged {
        let c = codes(&j.assessment.conflicts);
        applications::set_employee_outcome(
            tx,
            app.id,
            j.row.row_no,
            EmployeeOutcome::Refused,
            (!c.is_empty()).then_some(c.as_str()),
            j.user.as_ref().map(|u| u.id),
        )
        .await?;
        out.push((j.row.row_no, j.assessment.conflicts));
    }
    applications::set_refused(tx, app.id, by, now, reason).await?;
    Ok(out)
}

/// Blocks a person (integrator): their head rights end, their grants are revoked, their
/// membership ends on the termination date their body named (today if none, or if later), and
/// their body's block requests are executed.
#[tracing::instrument(skip(tx, now))]
pub async fn block(tx: &mut Tx, user_id: i64, by: i64, now: DateTime<Utc>) -> AppResult<UserRow> {
    let user = users::get(tx, user_id).await?.ok_or(AppError::NotFound)?;
    workflow::require_active(user.is_blocked())?;
    let today = local_day(now);
    let termination = memberships::pending_termination(tx, user_id).await?;
    users::block(tx, user_id, now).await?;
    memberships::end(
        tx,
        user_id,
        termination.unwrap_or(today).min(today),
        end_reason::BLOCKED,
    )
    .await?;
    applications::execute_block_requests(tx, user_id, by, now).await?;
    reload(tx, user_id).await
}

/// Designates the head of a body (authorized body). The person must be a current member of it
/// (registered there, not blocked, not leaving); the previous head's head rights end in the
/// same transaction. Returns the previous head, if another person.
///
/// Designations of one body queue on its row; the people are then locked in IIN order, as a
/// grant locks them.
#[tracing::instrument(skip(tx, today))]
pub async fn designate_head(
    tx: &mut Tx,
    organization_id: i64,
    user_id: i64,
    today: NaiveDate,
) -> AppResult<Option<i64>> {
    if !orgs::lock(tx, organization_id).await? {
        return Err(AppError::NotFound);
    }
    let target = users::find(tx, user_id).await?.ok_or(AppError::NotFound)?;
    let previous = users::find_head_of(tx, organization_id).await?;
    let mut iins: Vec<&str> = [Some(&target), previous.as_ref()]
        .into_iter()
        .flatten()
        .map(|u| u.iin.as_str())
        .collect();
    iins.sort_unstable();
    iins.dedup();
    for iin in iins {
        users::get_by_iin(tx, iin).await?;
    }
    // Read again under the locks: a block may have come in between.
    let user = users::get(tx, user_id).await?.ok_or(AppError::NotFound)?;
    let person = memberships::person(tx, &user, today).await?;
    if user.organization_id != organization_id || user.is_blocked() || person.termination.is_some()
    {
        return Err(TransitionError::NotCurrentMember.into());
    }
    let previous = users::find_head_of(tx, organization_id).await?;
    users::designate_head(tx, organization_id, user_id).await?;
    Ok(previous.map(|p| p.id).filter(|id| *id != user_id))
}

/// At submission: the position on the form of the first registered employee who already holds
/// a grant to a requested system beyond its renewal window (they cannot be granted, and the head
/// can correct the form now). Conflicts of membership are accepted: the reviewer sees them, and
/// the grant judges them again.
pub async fn first_holding_a_grant(
    tx: &mut Tx,
    employees: &[EmployeeRow],
    organization_id: i64,
    systems: &[crate::domain::budget::InformationSystem],
    now: DateTime<Utc>,
) -> AppResult<Option<usize>> {
    let applying = Applying {
        organization_id,
        systems,
        received_at: now,
        today: local_day(now),
    };
    for (i, e) in employees.iter().enumerate() {
        // Unlocked: an early answer for the head; the grant judges again, locked.
        let Some(user) = users::find_by_iin(tx, &e.iin).await? else {
            continue;
        };
        let person = memberships::person(tx, &user, applying.today).await?;
        let a = identity::assess(Some(&person), &applying);
        if a.conflicts.iter().any(|c| {
            matches!(
                c.kind,
                identity::ConflictKind::ActiveGrant | identity::ConflictKind::RenewalExists
            )
        }) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// One employee of an application as a reviewer sees it.
#[derive(Debug, Clone)]
pub struct EmployeeView {
    /// The form's row (and, once decided, its outcome).
    pub row: EmployeeRow,
    /// The registered person with that IIN, if any.
    pub user: Option<UserRow>,
    /// Their registration and, while the application is open, what would stop their grant.
    pub assessment: Assessment,
    /// Their grants not revoked whose last day is today or later.
    pub grants: Vec<grants::GrantRow>,
}

/// The employees of an application judged as `grant` would judge them now, from one snapshot.
pub async fn employee_views(
    db: &crate::store::Db,
    app: &ApplicationRow,
    now: DateTime<Utc>,
) -> AppResult<Vec<EmployeeView>> {
    let today = local_day(now);
    let systems = app.systems();
    let applying = Applying {
        organization_id: app.organization_id,
        systems: &systems,
        received_at: app.received_at,
        today,
    };
    let open = matches!(
        app.status,
        workflow::ApplicationStatus::Submitted | workflow::ApplicationStatus::Approved
    );
    let mut tx = db.begin_snapshot().await?;
    let rows = applications::employees(&mut tx, app.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let user = users::find_by_iin(&mut tx, &row.iin).await?;
        let (mut assessment, grants) = match &user {
            Some(u) => {
                let (person, grants) = memberships::person_with_grants(&mut tx, u, today).await?;
                (identity::assess(Some(&person), &applying), grants)
            }
            None => (identity::assess(None, &applying), Vec::new()),
        };
        // A decided application's conflicts are history: its rows carry the recorded reasons.
        if !open {
            assessment.conflicts.clear();
        }
        out.push(EmployeeView {
            row,
            user,
            assessment,
            grants,
        });
    }
    tx.commit().await?;
    Ok(out)
}
