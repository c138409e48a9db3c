//! What one request may read and do, for every entity the API exposes: decided once per request
//! from the caller and the policy in force, and never again in a resolver, handler or command.
//!
//! Each entity has one rule, whatever path reaches it (a list, by id, a nested field):
//!
//! | entity | rule |
//! |---|---|
//! | budget amounts, objects, documents | [`Scope`] (paragraph 6 of the access rules) |
//! | organizations | [`OrgRows`]: every body for the administrators; else the budget scope's bodies and the caller's own |
//! | users, grants, memberships, training records | [`PeopleRows`]: everyone for the administrators; a head's own body; else the caller alone |
//! | applications | [`ApplicationReach`] |
//! | block requests | [`BodyRows`]: every one for the administrators; a head's own body's |
//! | audit events | [`BodyRows`]: every one for the holders of `audit read`; a head's own staff's |
//! | calendar | every authenticated caller reads it |
//! | policy | in words, the caller's own scope (`me { scope }`) |
//!
//! The rows are rendered into SQL in one place, [`super::rows`]; actions name their targets in
//! [`Targets`], which the service applying the action checks inside its transaction.

use std::sync::Arc;

use super::applications::ApplicationReach;
use super::policy::Policy;
use super::principal::Principal;
use super::scope::Scope;
use crate::error::{AppError, ErrorCode};

/// An entity the API exposes, each with one visibility rule (see the table above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// Budget amounts, informatization objects and their documents: [`Permissions::budget`].
    Budget,
    /// Organizations: [`Permissions::organizations`].
    Organizations,
    /// Users, grants, memberships, training records: [`Permissions::people`].
    People,
    /// Access applications and the employees on them: [`Permissions::applications`].
    Applications,
    /// Block requests: [`Permissions::block_requests`].
    BlockRequests,
    /// Audit events: [`Permissions::audit_events`].
    AuditEvents,
    /// The working-day calendar: [`Permissions::calendar`].
    Calendar,
    /// The caller themselves, with their own scope in words: [`Permissions::caller`].
    Caller,
}

/// The organizations a caller reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgRows {
    /// Every body (the administrators of the access workflow, and operator tooling).
    All,
    /// The bodies whose keys are in the budget scope, and the caller's own.
    Scope(Arc<Scope>),
    /// The caller's own body alone (a caller without budget data).
    Own(i64),
}

/// The people (users) a caller reads, and with them their grants, memberships and training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleRows {
    /// Everyone (the administrators of the access workflow, and operator tooling).
    All,
    /// The people of one body (its head): users registered there; memberships held there.
    Organization(i64),
    /// The caller alone.
    Own(i64),
}

/// Rows that belong to a body (block requests, audit events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyRows {
    /// Every body's.
    All,
    /// One body's.
    Organization(i64),
}

impl BodyRows {
    /// The one organization whose rows are read, or `None` for all of them.
    pub fn organization(self) -> Option<i64> {
        match self {
            BodyRows::All => None,
            BodyRows::Organization(id) => Some(id),
        }
    }
}

/// Something a caller does through a mutation or a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// Submit an access application for one's own body (its head).
    SubmitApplication,
    /// Register an application received on paper or through the document system.
    RegisterApplication,
    /// Approve or reject a submitted application.
    ReviewApplication,
    /// Grant the access of an approved application.
    GrantAccess,
    /// Refuse an approved application.
    RefuseApplication,
    /// Record a training, or its report to the authorized body.
    RecordTraining,
    /// Block a user.
    BlockUser,
    /// Designate the head of a body.
    DesignateHead,
    /// Ask to block a leaver of one's own body (its head).
    RequestBlock,
    /// Change a day of the working-day calendar.
    UpdateCalendar,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 10] = [
        Action::SubmitApplication,
        Action::RegisterApplication,
        Action::ReviewApplication,
        Action::GrantAccess,
        Action::RefuseApplication,
        Action::RecordTraining,
        Action::BlockUser,
        Action::DesignateHead,
        Action::RequestBlock,
        Action::UpdateCalendar,
    ];

    /// The policy's resource and action that allow it.
    pub fn in_policy(self) -> (&'static str, &'static str) {
        match self {
            Action::SubmitApplication => ("application", "submit"),
            Action::RegisterApplication => ("application", "register"),
            Action::ReviewApplication => ("application", "review"),
            Action::GrantAccess => ("application", "grant"),
            Action::RefuseApplication => ("application", "refuse"),
            Action::RecordTraining => ("training", "record"),
            Action::BlockUser => ("user", "block"),
            Action::DesignateHead => ("head", "designate"),
            Action::RequestBlock => ("block_request", "submit"),
            Action::UpdateCalendar => ("calendar", "update"),
        }
    }

    /// Whether it acts on one body's own application or people only (what a head does), rather
    /// than on any body's.
    fn own_body_only(self) -> bool {
        matches!(self, Action::SubmitApplication | Action::RequestBlock)
    }
}

/// The bodies whose applications or people an action may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// Any body's.
    Any,
    /// One body's (the caller's own).
    Organization(i64),
}

impl Targets {
    /// Whether a row of `organization` is a target. A service asks this of the rows it locked.
    pub fn admits(self, organization: i64) -> bool {
        match self {
            Targets::Any => true,
            Targets::Organization(own) => own == organization,
        }
    }
}

/// The caller acting, and on which targets.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    /// Who acts (recorded in the audit trail and on the rows written).
    pub principal: &'a Principal,
    /// What the action may touch.
    pub targets: Targets,
}

/// Everything one request may read and do.
#[derive(Debug, Clone)]
pub struct Permissions {
    caller: Result<Arc<Principal>, ErrorCode>,
    budget: Result<Arc<Scope>, ErrorCode>,
    organizations: Result<OrgRows, ErrorCode>,
    people: Result<PeopleRows, ErrorCode>,
    applications: Result<ApplicationReach, ErrorCode>,
    block_requests: Result<BodyRows, ErrorCode>,
    audit: Result<BodyRows, ErrorCode>,
    actions: Vec<Action>,
    /// [`Permissions::data_fingerprint`], computed on first use.
    data_fingerprint: std::sync::OnceLock<Option<DataFingerprint>>,
}

/// The SHA-256 of everything that decides what a caller reads of budget, object, document and
/// organization data: two callers with equal fingerprints read exactly the same rows there.
pub type DataFingerprint = [u8; 32];

impl Permissions {
    /// Decides what `caller` may read and do under `policy`. `caller` is the refusal code when
    /// nobody (or nobody valid) calls: then every read and action is refused with it.
    pub fn resolve(caller: Result<Arc<Principal>, ErrorCode>, policy: Arc<Policy>) -> Permissions {
        let p = match &caller {
            Ok(p) => p.clone(),
            Err(code) => return Permissions::refused(*code),
        };
        let may = |a: Action| {
            let (resource, action) = a.in_policy();
            p.may(&policy, resource, action)
        };
        let actions: Vec<Action> = Action::ALL.into_iter().filter(|a| may(*a)).collect();
        let acts = |a: Action| actions.contains(&a);
        // The administrators of the access workflow: whoever reviews, grants, trains or blocks
        // needs to see every body and every person.
        let administers = acts(Action::ReviewApplication)
            || acts(Action::GrantAccess)
            || acts(Action::RecordTraining)
            || acts(Action::BlockUser)
            || acts(Action::DesignateHead);
        let heads = acts(Action::SubmitApplication) || acts(Action::RequestBlock);
        let own = p.organization.id;
        let budget = p.scope(&policy).map(Arc::new).map_err(|e| e.code());
        let organizations = if administers {
            OrgRows::All
        } else {
            match &budget {
                Ok(scope) => OrgRows::Scope(scope.clone()),
                Err(_) => OrgRows::Own(own),
            }
        };
        let people = if administers {
            PeopleRows::All
        } else if heads {
            PeopleRows::Organization(own)
        } else {
            PeopleRows::Own(p.user.id)
        };
        let block_requests = if administers {
            Ok(BodyRows::All)
        } else if acts(Action::RequestBlock) {
            Ok(BodyRows::Organization(own))
        } else {
            Err(ErrorCode::Forbidden)
        };
        let audit = if p.may(&policy, "audit", "read") {
            Ok(BodyRows::All)
        } else if heads {
            // Heads of bodies see their own staff's events.
            Ok(BodyRows::Organization(own))
        } else {
            Err(ErrorCode::Forbidden)
        };
        let applications = ApplicationReach::of(&p, &policy).ok_or(ErrorCode::Forbidden);
        Permissions {
            caller,
            budget,
            organizations: Ok(organizations),
            people: Ok(people),
            applications,
            block_requests,
            audit,
            actions,
            data_fingerprint: std::sync::OnceLock::new(),
        }
    }

    /// Nothing: every read and action refused with `code`.
    fn refused(code: ErrorCode) -> Permissions {
        Permissions {
            caller: Err(code),
            budget: Err(code),
            organizations: Err(code),
            people: Err(code),
            applications: Err(code),
            block_requests: Err(code),
            audit: Err(code),
            actions: Vec::new(),
            data_fingerprint: std::sync::OnceLock::new(),
        }
    }

    /// Everything, for operator tooling run on the server itself (the command line, the seed,
    /// imports): never for a request.
    pub(crate) fn operator() -> Permissions {
        Permissions {
            caller: Err(ErrorCode::Unauthenticated),
            budget: Ok(Arc::new(Scope::operator())),
            organizations: Ok(OrgRows::All),
            people: Ok(PeopleRows::All),
            applications: Ok(ApplicationReach::All),
            block_requests: Ok(BodyRows::All),
            audit: Ok(BodyRows::All),
            actions: Vec::new(),
            data_fingerprint: std::sync::OnceLock::new(),
        }
    }

    /// The caller, or why there is none.
    pub fn caller(&self) -> Result<&Arc<Principal>, AppError> {
        self.caller.as_ref().map_err(|c| AppError::denied(*c))
    }

    /// The caller's refusal code, if nobody valid calls.
    pub fn caller_refusal(&self) -> Option<ErrorCode> {
        self.caller.as_ref().err().copied()
    }

    /// The budget scope: budget amounts, informatization objects and their documents.
    pub fn budget(&self) -> Result<&Arc<Scope>, AppError> {
        self.budget.as_ref().map_err(|c| AppError::denied(*c))
    }

    /// The organizations the caller reads.
    pub fn organizations(&self) -> Result<&OrgRows, AppError> {
        self.organizations
            .as_ref()
            .map_err(|c| AppError::denied(*c))
    }

    /// The people (and their grants, memberships and training) the caller reads.
    pub fn people(&self) -> Result<PeopleRows, AppError> {
        self.people.map_err(AppError::denied)
    }

    /// The applications the caller reads.
    pub fn applications(&self) -> Result<ApplicationReach, AppError> {
        self.applications.map_err(AppError::denied)
    }

    /// The block requests the caller reads.
    pub fn block_requests(&self) -> Result<BodyRows, AppError> {
        self.block_requests.map_err(AppError::denied)
    }

    /// The audit events the caller reads (by the organization of the acting user).
    pub fn audit_events(&self) -> Result<BodyRows, AppError> {
        self.audit.map_err(AppError::denied)
    }

    /// Whether the caller reads the working-day calendar (every authenticated caller does).
    pub fn calendar(&self) -> Result<(), AppError> {
        self.caller().map(|_| ())
    }

    /// The caller doing `action`, with its targets; `FORBIDDEN` when the policy does not let
    /// their body do it (`UNAUTHENTICATED` without a caller). Every mutation starts here.
    pub fn act(&self, action: Action) -> Result<Acting<'_>, AppError> {
        let principal = self.caller()?;
        if !self.actions.contains(&action) {
            return Err(AppError::Forbidden);
        }
        let targets = if action.own_body_only() {
            Targets::Organization(principal.organization.id)
        } else {
            Targets::Any
        };
        Ok(Acting { principal, targets })
    }

    /// The actions the caller may do.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// What decides the caller's reads of [`Entity::Budget`] and [`Entity::Organizations`] (the
    /// budget scope and the organization rows), as one hash; `None` without a caller or without
    /// budget data. Answers that read nothing else may be shared between callers with equal
    /// fingerprints (the response cache): two auditors of one body share them, two bodies never
    /// do.
    ///
    /// The hash is taken over the values' `Debug` text, which prints every field of these
    /// plain enums and structs: a field added to a scope later is part of the fingerprint
    /// without anyone remembering to add it.
    pub fn data_fingerprint(&self) -> Option<DataFingerprint> {
        *self.data_fingerprint.get_or_init(|| {
            use sha2::Digest;
            self.caller.as_ref().ok()?;
            // Without budget data every cacheable answer is a refusal: nothing to share.
            self.budget.as_ref().ok()?;
            let text = format!("{:?}\n{:?}", self.budget, self.organizations);
            Some(sha2::Sha256::digest(text.as_bytes()).into())
        })
    }
}
