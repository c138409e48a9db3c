//! `policy explain`: what the policy and a user's grants make of that user, in words and SQL.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::policy::Policy;
use super::principal::Principal;
use crate::error::AppResult;
use crate::store::Db;
use crate::store::budget::scoped_sql;

/// A report on the user with `iin` as of `now`.
pub async fn explain(db: &Db, policy: &Policy, iin: &str, now: DateTime<Utc>) -> AppResult<String> {
    let p = Principal::load(db, iin, now).await?;
    let mut out = String::new();
    let o = &p.organization;
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "user:          {} ({}), {}",
        p.user.full_name(),
        p.user.iin,
        p.user.position
    );
    let _ = writeln!(
        out,
        "organization:  {} — BIN {}, {}, territory {}, {} budget, administrator {}{}",
        o.name_ru,
        o.bin,
        o.kind,
        o.kato,
        o.budget_level,
        o.administrator.as_deref().unwrap_or("-"),
        if o.audit_excluded {
            " (excluded from audit bodies, paragraph 2.6)"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "subjects:      {}", p.subjects().join(", "));
    for s in p.subjects() {
        let roles = policy.roles(&s);
        let _ = writeln!(
            out,
            "roles of {s}: {}",
            if roles.is_empty() {
                "-".to_owned()
            } else {
                roles.join(", ")
            }
        );
        for perm in policy.permissions(&s) {
            let _ = writeln!(
                out,
                "  may {} {} (scope {:?})",
                perm.action, perm.resource, perm.scope
            );
        }
    }
    let _ = writeln!(
        out,
        "trained on:    {}",
        p.trained_on.map_or("-".to_owned(), |d| d.to_string())
    );
    let _ = writeln!(out, "grants (as of {}, Asia/Almaty):", p.today);
    if p.grants.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for g in &p.grants {
        let _ = writeln!(
            out,
            "  {} {} .. {}: {:?}",
            g.system,
            g.valid_from,
            g.valid_until,
            p.status_of(g)
        );
    }
    match p.scope(policy) {
        Ok(scope) => {
            let _ = writeln!(out, "scope:         {}", scope.describe());
            let _ = writeln!(
                out,
                "SQL ({}):\n  {}",
                db.backend().name(),
                scoped_sql(&scope, db.backend())?
            );
        }
        Err(_) => {
            let _ = writeln!(
                out,
                "scope:         none — every data query is refused with FORBIDDEN"
            );
        }
    }
    Ok(out)
}
