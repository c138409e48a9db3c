//! The access workflow as a state machine: application → review → grant, and the users' side
//! (training, blocking). Every step is a pure function from a state to the next state or a
//! refusal with a stable code; the store applies it in one transaction.

use super::text_enum;

/// Working days the authorized body has to review an application (from its receipt).
pub const REVIEW_DAYS: u32 = 2;
/// Working days the integrator has to grant an approved application (from its approval).
pub const GRANT_DAYS: u32 = 2;
/// Working days the integrator has to report a training to the authorized body.
pub const TRAINING_REPORT_DAYS: u32 = 5;
/// Working days a body has to ask for a leaver's block, from the termination date.
pub const BLOCK_REQUEST_DAYS: u32 = 3;
/// Most employees one application lists.
pub const MAX_EMPLOYEES: usize = 200;

text_enum!(
    /// Where an access application stands.
    ApplicationStatus {
        /// Received by the authorized body, awaiting review (2 working days).
        Submitted => "SUBMITTED",
        /// Approved and forwarded to the integrator, awaiting the grant (2 working days).
        Approved => "APPROVED",
        /// Rejected by the authorized body (with a reason).
        Rejected => "REJECTED",
        /// Access granted by the integrator (to every employee, or to those without conflicts).
        Granted => "GRANTED",
        /// Refused by the integrator, with a reason and each employee's conflicts.
        Refused => "REFUSED",
    }
);

text_enum!(
    /// A language training is given in.
    Language {
        /// Kazakh.
        Kk => "KK",
        /// Russian.
        Ru => "RU",
    }
);

text_enum!(
    /// The authorized body's decision on an application.
    ReviewDecision {
        /// Forward to the integrator.
        Approve => "APPROVE",
        /// Refuse (a reason is required).
        Reject => "REJECT",
    }
);

/// A step that the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The application was already reviewed (approved, rejected or granted).
    #[error("the application was already reviewed")]
    AlreadyReviewed,
    /// Only an approved application can be granted.
    #[error("only an approved application can be granted")]
    NotApproved,
    /// A rejection needs a reason.
    #[error("a rejection needs a reason")]
    ReasonRequired,
    /// The user is blocked.
    #[error("the user is blocked")]
    UserBlocked,
    /// The training was already reported.
    #[error("the training was already reported")]
    AlreadyReported,
    /// Employees of the application have conflicts: grant the others, or refuse it.
    #[error("employees of the application have conflicts")]
    GrantConflicts,
    /// No employee of the application can be granted: refuse it.
    #[error("no employee of the application can be granted")]
    NothingGrantable,
    /// Only a current member of a body can head it.
    #[error("the user is not a current member of the organization")]
    NotCurrentMember,
}

impl TransitionError {
    /// Stable error code.
    pub fn code(self) -> &'static str {
        match self {
            TransitionError::AlreadyReviewed => "APPLICATION_ALREADY_REVIEWED",
            TransitionError::NotApproved => "APPLICATION_NOT_APPROVED",
            TransitionError::ReasonRequired => "REASON_REQUIRED",
            TransitionError::UserBlocked => "USER_BLOCKED",
            TransitionError::AlreadyReported => "TRAINING_ALREADY_REPORTED",
            TransitionError::GrantConflicts => "GRANT_CONFLICTS",
            TransitionError::NothingGrantable => "NO_EMPLOYEE_GRANTABLE",
            TransitionError::NotCurrentMember => "NOT_A_CURRENT_MEMBER",
        }
    }
}

/// The state after a review.
pub fn review(
    current: ApplicationStatus,
    decision: ReviewDecision,
    comment: Option<&str>,
) -> Result<ApplicationStatus, TransitionError> {
    if current != ApplicationStatus::Submitted {
        return Err(TransitionError::AlreadyReviewed);
    }
    match decision {
        ReviewDecision::Approve => Ok(ApplicationStatus::Approved),
        ReviewDecision::Reject if comment.is_some_and(|c| !c.trim().is_empty()) => {
            Ok(ApplicationStatus::Rejected)
        }
        ReviewDecision::Reject => Err(TransitionError::ReasonRequired),
    }
}

/// The state after the integrator grants access.
pub fn grant(current: ApplicationStatus) -> Result<ApplicationStatus, TransitionError> {
    match current {
        ApplicationStatus::Approved => Ok(ApplicationStatus::Granted),
        _ => Err(TransitionError::NotApproved),
    }
}

/// The state after the integrator refuses an approved application (a reason is required).
pub fn refuse(
    current: ApplicationStatus,
    reason: &str,
) -> Result<ApplicationStatus, TransitionError> {
    match current {
        ApplicationStatus::Approved if !reason.trim().is_empty() => Ok(ApplicationStatus::Refused),
        ApplicationStatus::Approved => Err(TransitionError::ReasonRequired),
        _ => Err(TransitionError::NotApproved),
    }
}

/// Whether a user may be trained (or granted): not when blocked.
pub fn require_active(blocked: bool) -> Result<(), TransitionError> {
    if blocked {
        Err(TransitionError::UserBlocked)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationStatus::*;

    #[test]
    fn every_transition() {
        for (name, from, decision, comment, want) in [
            (
                "approve",
                Submitted,
                ReviewDecision::Approve,
                None,
                Ok(Approved),
            ),
            (
                "reject with reason",
                Submitted,
                ReviewDecision::Reject,
                Some("incomplete form"),
                Ok(Rejected),
            ),
            (
                "reject without reason",
                Submitted,
                ReviewDecision::Reject,
                None,
                Err(TransitionError::ReasonRequired),
            ),
            (
                "reject with blank reason",
                Submitted,
                ReviewDecision::Reject,
                Some("  "),
                Err(TransitionError::ReasonRequired),
            ),
            (
                "review twice",
                Approved,
                ReviewDecision::Approve,
                None,
                Err(TransitionError::AlreadyReviewed),
            ),
            (
                "review a rejected one",
                Rejected,
                ReviewDecision::Approve,
                None,
                Err(TransitionError::AlreadyReviewed),
            ),
            (
                "review a granted one",
                Granted,
                ReviewDecision::Reject,
                Some("x"),
                Err(TransitionError::AlreadyReviewed),
            ),
        ] {
            assert_eq!(review(from, decision, comment), want, "{name}");
        }
        assert_eq!(grant(Approved), Ok(Granted));
        for s in [Submitted, Rejected, Granted, Refused] {
            assert_eq!(grant(s), Err(TransitionError::NotApproved), "grant {s}");
            assert_eq!(
                refuse(s, "x"),
                Err(TransitionError::NotApproved),
                "refuse {s}"
            );
        }
        assert_eq!(refuse(Approved, "conflicts"), Ok(Refused));
        assert_eq!(refuse(Approved, " "), Err(TransitionError::ReasonRequired));
        assert_eq!(require_active(true), Err(TransitionError::UserBlocked));
    }
}
