//! Who a person is to an application: where they are registered, and what stops their grant.
//!
//! A person belongs to at most one body at a time (a membership with a start and an end). An
//! application never moves a person registered at another body: that is a conflict the reviewer
//! sees, resolved when the old membership ends (the block executed, or the old body's block
//! request naming a termination date that has come). The same rules decide what the reviewer is
//! shown and what `grantAccess` allows, so the two cannot disagree.

use chrono::{DateTime, NaiveDate, Utc};

use super::budget::InformationSystem;
use super::text_enum;

/// A grant may be renewed in its last days; earlier, a new grant to the same system is refused.
pub const RENEWAL_WINDOW_DAYS: i64 = 30;

text_enum!(
    /// Where the person on an application row stands today, seen from the applying body.
    RegistrationKind {
        /// Not registered in the hub: the grant registers them at the applying body.
        None => "NONE",
        /// A current member of the applying body.
        ThisBody => "THIS_BODY",
        /// A current member of another body: the grant is refused until that membership ends.
        OtherBody => "OTHER_BODY",
        /// Their membership ended (termination date reached, block not yet executed): the
        /// grant closes it and registers them at the applying body.
        Terminated => "TERMINATED",
        /// Blocked: a grant reinstates them at the applying body (a transfer or a return).
        Blocked => "BLOCKED",
    }
);

text_enum!(
    /// What stops an employee's grant.
    ConflictKind {
        /// A current member of another body (transfers need the old body's block first).
        RegisteredElsewhere => "REGISTERED_ELSEWHERE",
        /// Their body has asked to block them from a date still to come.
        TerminationPending => "TERMINATION_PENDING",
        /// Holds a grant to the system that ends more than 30 days from now.
        ActiveGrant => "ACTIVE_GRANT",
        /// Already holds a grant to the system and its renewal.
        RenewalExists => "RENEWAL_EXISTS",
        /// Left the applying body after the application was received: their return needs a new
        /// application (an old one must not undo the body's own termination or block).
        LeftAfterApplying => "LEFT_AFTER_APPLYING",
    }
);

text_enum!(
    /// What became of one employee of a decided application.
    EmployeeOutcome {
        /// Access was granted.
        Granted => "GRANTED",
        /// Refused (the reasons are listed).
        Refused => "REFUSED",
    }
);

/// One conflict, for one system where it concerns a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conflict {
    /// What it is.
    pub kind: ConflictKind,
    /// The system concerned, for grant conflicts.
    pub system: Option<InformationSystem>,
}

impl Conflict {
    /// The stored form: `ACTIVE_GRANT:ANALYTICS_CENTER`, or the kind alone.
    pub fn code(&self) -> String {
        match self.system {
            Some(s) => format!("{}:{}", self.kind.as_str(), s.as_str()),
            None => self.kind.as_str().to_owned(),
        }
    }

    /// Parses [`Conflict::code`]; `None` for anything else.
    pub fn parse(code: &str) -> Option<Conflict> {
        let (kind, system) = match code.split_once(':') {
            Some((k, s)) => (k, Some(s.parse().ok()?)),
            None => (code, None),
        };
        Some(Conflict {
            kind: kind.parse().ok()?,
            system,
        })
    }
}

/// A grant the person holds today or later (active, not revoked, not ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldGrant {
    /// The system.
    pub system: InformationSystem,
    /// Last day of validity.
    pub valid_until: NaiveDate,
}

/// What the store knows of a registered person, read (and locked) where a rule takes effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The body of their newest membership.
    pub organization_id: i64,
    /// Whether they are blocked (their membership has ended).
    pub blocked: bool,
    /// The earliest termination date of a block request not yet executed.
    pub termination: Option<NaiveDate>,
    /// When they left their body: blocked at, or their pending block request received at.
    pub left_at: Option<DateTime<Utc>>,
    /// Grants not revoked whose last day is today or later.
    pub grants: Vec<HeldGrant>,
}

impl Person {
    /// Whether their membership has ended by `today`: blocked, or terminated by their body.
    pub fn has_left(&self, today: NaiveDate) -> bool {
        self.blocked || self.termination.is_some_and(|d| d <= today)
    }
}

/// The person's registration and the conflicts that stop a grant to `systems` at `applicant`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Where they stand.
    pub registration: RegistrationKind,
    /// What stops the grant (empty: it can be made).
    pub conflicts: Vec<Conflict>,
}

/// What an application row is judged against: the applying body, the systems, when the
/// application was received, and the day of the decision.
#[derive(Debug, Clone, Copy)]
pub struct Applying<'a> {
    /// The applying body.
    pub organization_id: i64,
    /// The systems requested.
    pub systems: &'a [InformationSystem],
    /// When the application was received.
    pub received_at: DateTime<Utc>,
    /// The day it is judged on (Asia/Almaty).
    pub today: NaiveDate,
}

/// Judges one application row: `person` is the registered person with that IIN, if any.
pub fn assess(person: Option<&Person>, applying: &Applying<'_>) -> Assessment {
    let (applicant, systems, today) = (applying.organization_id, applying.systems, applying.today);
    let Some(p) = person else {
        return Assessment {
            registration: RegistrationKind::None,
            conflicts: Vec::new(),
        };
    };
    if p.has_left(today) {
        // A person who left the applying body after applying returns only by a new application.
        let returning_early =
            p.organization_id == applicant && p.left_at.is_some_and(|t| t > applying.received_at);
        return Assessment {
            registration: if p.blocked {
                RegistrationKind::Blocked
            } else {
                RegistrationKind::Terminated
            },
            conflicts: if returning_early {
                vec![Conflict {
                    kind: ConflictKind::LeftAfterApplying,
                    system: None,
                }]
            } else {
                Vec::new()
            },
        };
    }
    if p.organization_id != applicant {
        return Assessment {
            registration: RegistrationKind::OtherBody,
            conflicts: vec![Conflict {
                kind: ConflictKind::RegisteredElsewhere,
                system: None,
            }],
        };
    }
    let mut conflicts = Vec::new();
    if p.termination.is_some() {
        conflicts.push(Conflict {
            kind: ConflictKind::TerminationPending,
            system: None,
        });
    }
    for system in systems {
        let held: Vec<&HeldGrant> = p.grants.iter().filter(|g| g.system == *system).collect();
        let kind = match held.as_slice() {
            [] => None,
            [one] if (one.valid_until - today).num_days() <= RENEWAL_WINDOW_DAYS => None,
            [_] => Some(ConflictKind::ActiveGrant),
            _ => Some(ConflictKind::RenewalExists),
        };
        if let Some(kind) = kind {
            conflicts.push(Conflict {
                kind,
                system: Some(*system),
            });
        }
    }
    Assessment {
        registration: RegistrationKind::ThisBody,
        conflicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InformationSystem::{AnalyticsCenter as Ac, StatePlanning as Sp};

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn person(org: i64) -> Person {
        Person {
            organization_id: org,
            blocked: false,
            termination: None,
            left_at: None,
            grants: Vec::new(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    fn grant(system: InformationSystem, until: &str) -> HeldGrant {
        HeldGrant {
            system,
            valid_until: day(until),
        }
    }

    #[test]
    fn registrations_and_conflicts() {
        let today = day("2026-12-02");
        let c = |kind, system| Conflict { kind, system };
        let cases: Vec<(&str, Option<Person>, RegistrationKind, Vec<Conflict>)> = vec![
            ("new person", None, RegistrationKind::None, vec![]),
            (
                "member of this body, no grant",
                Some(person(7)),
                RegistrationKind::ThisBody,
                vec![],
            ),
            (
                "member of another body",
                Some(person(8)),
                RegistrationKind::OtherBody,
                vec![c(ConflictKind::RegisteredElsewhere, None)],
            ),
            (
                "member of another body leaving later",
                Some(Person {
                    termination: Some(day("2026-12-20")),
                    ..person(8)
                }),
                RegistrationKind::OtherBody,
                vec![c(ConflictKind::RegisteredElsewhere, None)],
            ),
            (
                "terminated at another body today",
                Some(Person {
                    termination: Some(today),
                    grants: vec![grant(Ac, "2027-06-01")],
                    ..person(8)
                }),
                RegistrationKind::Terminated,
                vec![],
            ),
            (
                "blocked at another body",
                Some(Person {
                    blocked: true,
                    ..person(8)
                }),
                RegistrationKind::Blocked,
                vec![],
            ),
            (
                "blocked here before applying (a return)",
                Some(Person {
                    blocked: true,
                    left_at: Some(at("2026-11-01T05:00:00Z")),
                    ..person(7)
                }),
                RegistrationKind::Blocked,
                vec![],
            ),
            (
                "blocked here after applying",
                Some(Person {
                    blocked: true,
                    left_at: Some(at("2026-11-25T05:00:00Z")),
                    ..person(7)
                }),
                RegistrationKind::Blocked,
                vec![c(ConflictKind::LeftAfterApplying, None)],
            ),
            (
                "terminated here after applying",
                Some(Person {
                    termination: Some(today),
                    left_at: Some(at("2026-11-25T05:00:00Z")),
                    ..person(7)
                }),
                RegistrationKind::Terminated,
                vec![c(ConflictKind::LeftAfterApplying, None)],
            ),
            (
                "blocked at another body after applying (a transfer)",
                Some(Person {
                    blocked: true,
                    left_at: Some(at("2026-11-25T05:00:00Z")),
                    ..person(8)
                }),
                RegistrationKind::Blocked,
                vec![],
            ),
            (
                "leaving this body later",
                Some(Person {
                    termination: Some(day("2026-12-03")),
                    ..person(7)
                }),
                RegistrationKind::ThisBody,
                vec![c(ConflictKind::TerminationPending, None)],
            ),
            (
                "grant ending in 30 days: a renewal",
                Some(Person {
                    grants: vec![grant(Ac, "2027-01-01")],
                    ..person(7)
                }),
                RegistrationKind::ThisBody,
                vec![],
            ),
            (
                "grant ending in 31 days",
                Some(Person {
                    grants: vec![grant(Ac, "2027-01-02")],
                    ..person(7)
                }),
                RegistrationKind::ThisBody,
                vec![c(ConflictKind::ActiveGrant, Some(Ac))],
            ),
            (
                "grant and renewal held",
                Some(Person {
                    grants: vec![grant(Sp, "2026-12-10"), grant(Sp, "2027-12-10")],
                    ..person(7)
                }),
                RegistrationKind::ThisBody,
                vec![c(ConflictKind::RenewalExists, Some(Sp))],
            ),
        ];
        for (name, p, registration, conflicts) in cases {
            let applying = Applying {
                organization_id: 7,
                systems: &[Ac, Sp],
                received_at: at("2026-11-20T05:00:00Z"),
                today,
            };
            let got = assess(p.as_ref(), &applying);
            assert_eq!(
                got,
                Assessment {
                    registration,
                    conflicts
                },
                "{name}"
            );
        }
    }

    #[test]
    fn conflict_codes_round_trip() {
        for c in [
            Conflict {
                kind: ConflictKind::ActiveGrant,
                system: Some(Sp),
            },
            Conflict {
                kind: ConflictKind::RegisteredElsewhere,
                system: None,
            },
        ] {
            assert_eq!(Conflict::parse(&c.code()), Some(c));
        }
        assert_eq!(Conflict::parse("ACTIVE_GRANT:NOPE"), None);
    }
}

text_enum!(
    /// Whether a user may still sign in: blocked users never do again (a new application
    /// registers them anew).
    UserStatus {
        /// May sign in.
        Active => "ACTIVE",
        /// Blocked by the integrator.
        Blocked => "BLOCKED",
    }
);
