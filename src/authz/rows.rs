//! The one place where the row rules of [`super::permissions`] outside budgets become SQL
//! predicates (budget keys are rendered by [`super::scope`]).
//!
//! Each function returns the condition a read must add to its `WHERE`; for the unrestricted
//! variants that is an empty conjunction, which adds nothing.

use sea_query::{Condition, Expr, ExprTrait, Query, SimpleExpr};

use super::applications::ApplicationReach;
use super::permissions::{BodyRows, OrgRows, PeopleRows};
use super::scope::KeyColumns;
use crate::store::schema::Users;

impl OrgRows {
    /// Organizations: `cols` are the row's scope keys, `id` its id column.
    pub fn condition(&self, cols: &KeyColumns, id: SimpleExpr) -> Condition {
        match self {
            OrgRows::All => Condition::all(),
            OrgRows::Scope(scope) => scope.organization_condition(cols, id),
            OrgRows::Own(own) => Condition::all().add(id.eq(*own)),
        }
    }
}

impl PeopleRows {
    /// Users: `id` is the user's id column, `organization` the body they are registered at.
    pub fn user_condition(self, id: SimpleExpr, organization: SimpleExpr) -> Condition {
        match self {
            PeopleRows::All => Condition::all(),
            PeopleRows::Organization(o) => Condition::all().add(organization.eq(o)),
            PeopleRows::Own(u) => Condition::all().add(id.eq(u)),
        }
    }

    /// Rows about one person (grants, training records): visible with the person.
    pub fn of_person(self, user_id: SimpleExpr) -> Condition {
        match self {
            PeopleRows::All => Condition::all(),
            PeopleRows::Organization(o) => Condition::all().add(
                user_id.in_subquery(
                    Query::select()
                        .column(Users::Id)
                        .from(Users::Table)
                        .and_where(Expr::col(Users::OrganizationId).eq(o))
                        .to_owned(),
                ),
            ),
            PeopleRows::Own(u) => Condition::all().add(user_id.eq(u)),
        }
    }

    /// Memberships: a head reads the memberships held at their body (not their people's
    /// memberships elsewhere, which are other bodies' staff data).
    pub fn membership_condition(self, user_id: SimpleExpr, organization: SimpleExpr) -> Condition {
        match self {
            PeopleRows::All => Condition::all(),
            PeopleRows::Organization(o) => Condition::all().add(organization.eq(o)),
            PeopleRows::Own(u) => Condition::all().add(user_id.eq(u)),
        }
    }
}

impl BodyRows {
    /// Rows belonging to the body in `organization`.
    pub fn condition(self, organization: SimpleExpr) -> Condition {
        match self {
            BodyRows::All => Condition::all(),
            BodyRows::Organization(o) => Condition::all().add(organization.eq(o)),
        }
    }
}

impl ApplicationReach {
    /// Applications: `organization` is the applying body's column.
    pub fn condition(self, organization: SimpleExpr) -> Condition {
        match self.organization() {
            None => Condition::all(),
            Some(o) => Condition::all().add(organization.eq(o)),
        }
    }
}
