//! Which access applications a caller sees, and how much of the people on them: decided once
//! from the policy, never in a resolver.

use super::policy::Policy;
use super::principal::Principal;

/// The applications a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationReach {
    /// Every application, with each person's registration at any body named (the authorized
    /// body and the integrator, who review and grant them).
    All,
    /// The applications of one body (its head, who submits them). A person registered at
    /// another body shows as such, without naming the body: that is another body's staff data.
    Organization(i64),
}

impl ApplicationReach {
    /// The caller's reach, or `None` when their body neither handles nor submits applications.
    pub fn of(p: &Principal, policy: &Policy) -> Option<ApplicationReach> {
        if p.may(policy, "application", "review") || p.may(policy, "application", "grant") {
            Some(ApplicationReach::All)
        } else if p.may(policy, "application", "submit") {
            Some(ApplicationReach::Organization(p.organization.id))
        } else {
            None
        }
    }

    /// The one organization whose applications are read, or `None` for all of them.
    pub fn organization(self) -> Option<i64> {
        match self {
            ApplicationReach::All => None,
            ApplicationReach::Organization(id) => Some(id),
        }
    }

    /// Whether people registered at other bodies are shown with their body and grants.
    pub fn names_other_bodies(self) -> bool {
        self == ApplicationReach::All
    }
}
