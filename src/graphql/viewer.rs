//! `me`: the caller, their organization, grants and effective scope.

use async_graphql::{Context, ID, Object, Result};

use super::context::{org_loader, req};
use super::types::Organization;
use crate::authz::permissions::PeopleRows;
use crate::authz::principal::GrantStatus;
use crate::domain::budget::InformationSystem;
use crate::graphql::date::Date;
use crate::store::grants::GrantRow;
use crate::store::users::UserRow;

/// A user.
pub struct User(pub UserRow);

#[Object]
impl User {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Individual identification number.
    async fn iin(&self) -> &str {
        &self.0.iin
    }
    /// Surname.
    async fn surname(&self) -> &str {
        &self.0.surname
    }
    /// Given name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Patronymic, if any.
    async fn patronymic(&self) -> Option<&str> {
        self.0.patronymic.as_deref()
    }
    /// Surname, name and patronymic.
    async fn full_name(&self) -> String {
        self.0.full_name()
    }
    /// Position.
    async fn position(&self) -> &str {
        &self.0.position
    }
    /// Structural unit.
    async fn structural_unit(&self) -> &str {
        &self.0.structural_unit
    }
    /// Whether the user heads the organization.
    async fn is_head(&self) -> bool {
        self.0.is_head
    }
    /// `ACTIVE` or `BLOCKED`.
    async fn status(&self) -> &str {
        self.0.status.as_str()
    }
    /// The user's organization, when visible to the caller.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(org_loader(ctx)?
            .load_one(self.0.organization_id)
            .await?
            .map(Organization))
    }
}

/// Access of one user to one system for one year.
pub struct AccessGrant {
    /// The grant.
    pub row: GrantRow,
    /// Its holder.
    pub user: UserRow,
    /// Its state today.
    pub status: GrantStatus,
}

#[Object]
impl AccessGrant {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    /// The holder.
    async fn user(&self) -> User {
        User(self.user.clone())
    }
    /// The system access is granted to.
    async fn system(&self) -> InformationSystem {
        self.row.system
    }
    /// First day of validity.
    async fn valid_from(&self) -> Date {
        Date(self.row.valid_from)
    }
    /// Last day of validity (access ends at the end of this day, Asia/Almaty).
    async fn valid_until(&self) -> Date {
        Date(self.row.valid_until)
    }
    /// State today.
    async fn status(&self) -> GrantStatus {
        self.status
    }
}

/// The caller.
pub struct Viewer;

#[Object]
impl Viewer {
    /// The authenticated user.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User(req(ctx)?.principal()?.user.clone()))
    }
    /// The user's organization.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        Ok(Organization(req(ctx)?.principal()?.organization.clone()))
    }
    /// Every grant of the user, newest first, with its state today.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn grants(&self, ctx: &Context<'_>) -> Result<Vec<AccessGrant>> {
        let p = req(ctx)?.principal()?;
        Ok(p.grants
            .iter()
            .map(|g| AccessGrant {
                row: g.clone(),
                user: p.user.clone(),
                status: p.status_of(g),
            })
            .collect())
    }
    /// What the caller may read, in words.
    async fn scope(&self, ctx: &Context<'_>) -> Result<String> {
        let r = req(ctx)?;
        r.principal()?;
        Ok(match r.reader() {
            Ok(rd) => rd.scope().describe(),
            Err(_) => "no budget data: the body reads none under the policy, or the user holds no \
                       active grant (granted, trained, not expired, not blocked)"
                .to_owned(),
        })
    }
}

/// Grants with their holders and their state today, in the given order.
pub async fn grants_with_status(
    db: &crate::store::Db,
    people: PeopleRows,
    grants: Vec<GrantRow>,
    today: chrono::NaiveDate,
) -> crate::error::AppResult<Vec<AccessGrant>> {
    let ids: Vec<i64> = grants.iter().map(|g| g.user_id).collect();
    let holders = crate::store::users::by_ids(db, people, &ids).await?;
    // One statement for every holder's training, not one per grant.
    let trainings = crate::store::trainings::first_trainings_of(db, people, Some(&ids)).await?;
    let mut out = Vec::new();
    for g in grants {
        let Some(user) = holders.iter().find(|u| u.id == g.user_id).cloned() else {
            continue;
        };
        let trained = trainings.get(&user.id).copied();
        let status = crate::authz::principal::grant_status(&g, &user, trained, today);
        out.push(AccessGrant {
            row: g,
            user,
            status,
        });
    }
    Ok(out)
}
