//! Who is calling, and the scope their body, the policy and their grants give them: resolved
//! once per request.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Asia::Almaty;

use super::permissions::PeopleRows;
use super::policy::{Policy, ScopeKind};
use super::scope::{Reach, Scope};
use crate::domain::budget::InformationSystem;
use crate::domain::org::BodyKind;
use crate::domain::territory::region_of;
use crate::error::{AppError, AppResult};
use crate::store::Db;
use crate::store::grants::{self, GrantRow};
use crate::store::orgs::{self, OrgRow};
use crate::store::trainings;
use crate::store::users::{self, UserRow};

/// The state of a grant on a given day.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantStatus {
    /// In force: the user may read the system's data.
    Active,
    /// Granted, but the user has not completed training yet (paragraph 13).
    AwaitingTraining,
    /// Starts later.
    NotYetValid,
    /// Its last day has passed.
    Expired,
    /// Revoked (the user was blocked).
    Revoked,
}

/// The calendar day in Kazakhstan (Asia/Almaty) at `now`: grants end at the end of their last
/// day there.
pub fn local_day(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Almaty).date_naive()
}

/// A grant's status on `today` for a user trained on `trained_on`.
pub fn grant_status(
    g: &GrantRow,
    user: &UserRow,
    trained_on: Option<NaiveDate>,
    today: NaiveDate,
) -> GrantStatus {
    if g.status == crate::domain::grant::GrantState::Revoked || user.is_blocked() {
        GrantStatus::Revoked
    } else if today > g.valid_until {
        GrantStatus::Expired
    } else if today < g.valid_from {
        GrantStatus::NotYetValid
    } else if trained_on.is_none_or(|d| d > today) {
        GrantStatus::AwaitingTraining
    } else {
        GrantStatus::Active
    }
}

impl GrantStatus {
    /// Every state.
    pub const ALL: [GrantStatus; 5] = [
        GrantStatus::Active,
        GrantStatus::AwaitingTraining,
        GrantStatus::NotYetValid,
        GrantStatus::Expired,
        GrantStatus::Revoked,
    ];

    /// The state's name as in the API (`AWAITING_TRAINING`).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Active => "ACTIVE",
            GrantStatus::AwaitingTraining => "AWAITING_TRAINING",
            GrantStatus::NotYetValid => "NOT_YET_VALID",
            GrantStatus::Expired => "EXPIRED",
            GrantStatus::Revoked => "REVOKED",
        }
    }
}

/// How many grants are in each state on `today` (every state listed, zeros included), judged by
/// [`grant_status`] itself.
pub async fn grant_counts(db: &Db, today: NaiveDate) -> AppResult<Vec<(GrantStatus, i64)>> {
    // The hub's own metrics: every grant counts, whoever asks.
    let grants = grants::all(db, PeopleRows::All).await?;
    let mut ids: Vec<i64> = grants.iter().map(|g| g.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let holders: std::collections::HashMap<i64, UserRow> = users::by_ids(db, PeopleRows::All, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let trained = trainings::first_trainings_of(db, PeopleRows::All, None).await?;
    let mut counts: Vec<(GrantStatus, i64)> = GrantStatus::ALL.iter().map(|s| (*s, 0)).collect();
    for g in &grants {
        let Some(user) = holders.get(&g.user_id) else {
            continue;
        };
        let status = grant_status(g, user, trained.get(&g.user_id).copied(), today);
        if let Some(c) = counts.iter_mut().find(|(s, _)| *s == status) {
            c.1 += 1;
        }
    }
    Ok(counts)
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user: UserRow,
    /// The user's organization.
    pub organization: OrgRow,
    /// Every grant the user holds, newest first.
    pub grants: Vec<GrantRow>,
    /// Date of the user's training, if any.
    pub trained_on: Option<NaiveDate>,
    /// The day the request is decided on (Asia/Almaty).
    pub today: NaiveDate,
}

impl Principal {
    /// Loads the caller named by a verified token; `Unauthenticated` for unknown or blocked
    /// users, and for users suspended by their body's block request from its termination date
    /// on (the block itself may come later: access stops without waiting for it).
    pub async fn load(db: &Db, iin: &str, now: DateTime<Utc>) -> AppResult<Principal> {
        let user = users::by_iin(db, iin)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if user.is_blocked() {
            return Err(AppError::Unauthenticated);
        }
        let today = local_day(now);
        if crate::store::memberships::termination_of(db, user.id)
            .await?
            .is_some_and(|d| d <= today)
        {
            return Err(AppError::Unauthenticated);
        }
        let organization = orgs::of_caller(db, user.organization_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let grants = grants::of_user(db, PeopleRows::Own(user.id), user.id).await?;
        let trained_on = trainings::trained_on(db, user.id).await?;
        Ok(Principal {
            user,
            organization,
            grants,
            trained_on,
            today,
        })
    }

    /// The status of one of the caller's grants today.
    pub fn status_of(&self, g: &GrantRow) -> GrantStatus {
        grant_status(g, &self.user, self.trained_on, self.today)
    }

    /// The systems the caller holds an active grant for.
    pub fn active_systems(&self) -> Vec<InformationSystem> {
        let mut s: Vec<_> = self
            .grants
            .iter()
            .filter(|g| self.status_of(g) == GrantStatus::Active)
            .map(|g| g.system)
            .collect();
        s.sort();
        s.dedup();
        s
    }

    /// The Casbin subjects the caller acts as: the body kind, and `oversight_head` for the head of
    /// an oversight body the law does not exclude.
    pub fn subjects(&self) -> Vec<String> {
        let kind = self.organization.kind;
        let mut s = vec![kind.as_str().to_owned()];
        if self.user.is_head && kind.is_oversight_body() && !self.organization.audit_excluded {
            s.push("oversight_head".to_owned());
        }
        s
    }

    /// The reaches the policy gives the caller's body over budget data.
    pub fn reaches(&self, policy: &Policy) -> Vec<Reach> {
        if self.organization.audit_excluded {
            return Vec::new();
        }
        let org = &self.organization;
        self.subjects()
            .iter()
            .flat_map(|s| policy.read_scopes(s, "budget"))
            .filter_map(|kind| match kind {
                ScopeKind::All => Some(Reach::All),
                ScopeKind::Territory => Some(Reach::LocalBudgets {
                    kato: org.kato.clone(),
                }),
                ScopeKind::Administrator => org
                    .administrator
                    .clone()
                    .map(|code| Reach::RepublicanAdministrator { code }),
                ScopeKind::TerritoryAdministrators(codes) => {
                    // The body's own code picks among the listed ones (252 oblast, 352 city).
                    let codes = match &org.administrator {
                        Some(own) if codes.contains(own) => vec![own.clone()],
                        _ => codes,
                    };
                    region_of(&org.kato)
                        .map(|region| Reach::RegionalAdministrators { region, codes })
                }
                ScopeKind::None => None,
            })
            .collect()
    }

    /// The compiled scope, or why there is none: `Forbidden` when the body reads no budget data
    /// or the user holds no active grant.
    pub fn scope(&self, policy: &Policy) -> AppResult<Scope> {
        Scope::new(
            self.reaches(policy),
            self.active_systems(),
            Some(self.organization.id),
        )
        .ok_or(AppError::Forbidden)
    }

    /// Whether the caller's body kind holds `action` on `resource`.
    pub fn may(&self, policy: &Policy, resource: &str, action: &str) -> bool {
        self.subjects()
            .iter()
            .any(|s| policy.allows(s, resource, action))
    }

    /// The body kind.
    pub fn kind(&self) -> BodyKind {
        self.organization.kind
    }
}
