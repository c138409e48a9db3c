//! Runs a GraphQL operation on behalf of a named user from the command line, through exactly the
//! same schema, permission checks and state machine as an HTTP request.

use std::sync::Arc;

use async_graphql::{Request, Variables};

use super::{RequestCtx, build_schema};
use crate::authz::Permissions;
use crate::authz::policy::Policy;
use crate::authz::principal::Principal;
use crate::clock::Clock;
use crate::domain::lang::Lang;
use crate::error::AppResult;
use crate::store::Db;

/// Executes `query` as the user with `iin`; returns the JSON response (data and errors).
pub async fn run_as(
    db: &Db,
    policy: Arc<Policy>,
    clock: Clock,
    lang: Lang,
    iin: &str,
    query: &str,
    variables: serde_json::Value,
) -> AppResult<serde_json::Value> {
    let principal = Principal::load(db, iin, clock.now()).await?;
    let permissions = Permissions::resolve(Ok(Arc::new(principal)), policy);
    let ctx = RequestCtx::new(db.clone(), db.clone(), lang, clock, Arc::new(permissions));
    let limits = super::limits::QueryLimits::default();
    let mut request = Request::new(query).variables(Variables::from_json(variables));
    // One request: nothing to remember its parse for.
    let documents = super::parsed::ParsedDocuments::new(0);
    let mut response = match super::limits::admit(&mut request, &limits, lang, true, &documents) {
        Err(refused) => async_graphql::Response::from_errors(vec![refused]),
        Ok(()) => build_schema().execute(request.data(ctx)).await,
    };
    super::limits::name_refusals(&mut response.errors, &limits, lang, true);
    serde_json::to_value(&response).map_err(|e| anyhow::anyhow!(e).into())
}
