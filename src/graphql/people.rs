//! People for the office console: search by IIN, surname or body, one person by id, and the
//! training records and block requests about a person (their grants and memberships are
//! `grantHistory` and `membershipHistory`). Every read is within [`crate::authz::Permissions`].

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::context::{RequestCtx, parse_id, req};
use super::oversight::{BlockRequest, TrainingReport, block_requests, training_reports};
use super::query::{Conn, connection, page_request};
use super::viewer::User;
use crate::domain::form;
use crate::error::{AppError, Expected};
use crate::store::applications::FollowUps;
use crate::store::people::{self, PersonSearch};
use crate::store::users;

/// Filter on people. Fields combine with AND.
#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "PersonFilter")]
pub struct PersonFilterInput {
    /// The IIN or its first digits (1 to 12 digits).
    pub iin: Option<String>,
    /// The beginning of the surname (a name of 1 to 100 characters: letters, spaces, hyphens,
    /// apostrophes, dots), matched as typed, capitalised or in capitals.
    pub surname: Option<String>,
    /// The body the person is registered at.
    pub organization_id: Option<ID>,
}

impl PersonFilterInput {
    /// The search, each field checked and named in the error.
    fn search(&self) -> Result<PersonSearch, AppError> {
        let iin_prefix = match &self.iin {
            None => None,
            Some(iin) => {
                let digits = iin.trim();
                if digits.is_empty()
                    || digits.len() > 12
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(AppError::invalid("filter.iin", Expected::UpToDigits(12)));
                }
                Some(digits.to_owned())
            }
        };
        let surname_prefix = self
            .surname
            .as_deref()
            .map(|s| form::text("filter.surname", s, form::NAME))
            .transpose()?;
        let organization_id = self
            .organization_id
            .as_ref()
            .map(|id| {
                id.parse::<i64>().map_err(|_| {
                    AppError::invalid("filter.organizationId", Expected::IntegerIn(1, i64::MAX))
                })
            })
            .transpose()?;
        Ok(PersonSearch {
            iin_prefix,
            surname_prefix,
            organization_id,
        })
    }
}

/// Queries about people.
#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// People the caller reads (everyone for the authorized body and the integrator, a head's
    /// own body's, else the caller alone), in id order.
    #[graphql(complexity = "super::limits::page_cost(first, child_complexity)")]
    async fn people(
        &self,
        ctx: &Context<'_>,
        filter: Option<PersonFilterInput>,
        #[graphql(desc = "Page size, 0 to 1000 (default 100); larger is refused naming `first`.")]
        first: Option<i32>,
        #[graphql(desc = "Cursor of the last item of the previous page.")] after: Option<String>,
    ) -> Result<Conn<User>> {
        let r = req(ctx)?;
        let visible = r.allowed(r.permissions().people())?;
        let page = page_request(r.lang, first, after)?;
        let search = filter
            .unwrap_or_default()
            .search()
            .map_err(|e| r.error(e))?;
        let rows = people::search(r.db(), visible, &search, page)
            .await
            .map_err(|e| r.error(e))?;
        r.returned(rows.items.len());
        Ok(connection(rows, page, None, |u| u.id, User))
    }

    /// One person; null when they do not exist or the caller does not read them.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let r = req(ctx)?;
        let visible = r.allowed(r.permissions().people())?;
        let id = parse_id(r.lang, "id", &id)?;
        let row = users::by_ids(r.db(), visible, &[id])
            .await
            .map_err(|e| r.error(e))?
            .into_iter()
            .next();
        r.returned(usize::from(row.is_some()));
        Ok(row.map(User))
    }

    /// Every training recorded for a person, oldest first, with its report to the authorized
    /// body.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn training_history(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
    ) -> Result<Vec<TrainingReport>> {
        let (r, user) = person(ctx, &user_id)?;
        training_reports(r, FollowUps::OfPerson(user)).await
    }

    /// Every block request about a person, oldest first, executed or not.
    #[graphql(complexity = "super::limits::list_cost(child_complexity)")]
    async fn block_request_history(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
    ) -> Result<Vec<BlockRequest>> {
        let (r, user) = person(ctx, &user_id)?;
        block_requests(r, FollowUps::OfPerson(user)).await
    }
}

/// The request and the person `userId` names.
fn person<'a>(ctx: &'a Context<'_>, user_id: &ID) -> Result<(&'a RequestCtx, i64)> {
    let r = req(ctx)?;
    let user = parse_id(r.lang, "userId", user_id)?;
    Ok((r, user))
}
