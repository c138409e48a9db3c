//! Seeding: reference data (`seed --reference`) and synthetic demo data (`seed --demo`).

pub mod demo;
pub mod names;
pub mod pdf;
pub mod reference;

use crate::store::seed as store;

use std::collections::HashMap;

use crate::domain::org::BodyKind;
use crate::error::AppResult;
use crate::store::Db;
use crate::store::orgs::OrgRow;
use crate::store::users::UserRow;

/// What a seed run did.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    /// Whether reference data was inserted (false: it was already there).
    pub reference_inserted: bool,
    /// Demo data inserted, if any.
    pub demo: Option<demo::DemoCounts>,
}

/// Inserts the reference data if missing and, with `demo_scale`, demo data on an empty budget
/// store; everything in one transaction.
pub async fn run(db: &Db, demo_scale: Option<usize>, progress: bool) -> AppResult<SeedReport> {
    let mut tx = db.begin().await?;
    lock_imports(&mut tx).await?;
    let mut report = SeedReport::default();
    let reference = if reference::present(&mut tx).await? {
        None
    } else {
        report.reference_inserted = true;
        let run = crate::import::source::Run::by_this_account(false, chrono::Utc::now(), false);
        Some(reference::insert(&mut tx, &run).await?)
    };
    if let Some(scale) = demo_scale {
        if store::has_budget_lines_in(&mut tx).await? {
            return Err(anyhow::anyhow!(
                "demo data needs an empty budget store: budget lines are already present"
            )
            .into());
        }
        // Read back as the reference seed loaded it.
        let reference = match reference {
            Some(r) => r,
            None => reference::load(&mut tx).await?,
        };
        report.demo = Some(demo::insert(&mut tx, &reference, scale.max(1), progress).await?);
        store::mark_demo(&mut tx, chrono::Utc::now()).await?;
    }
    tx.commit().await?;
    crate::store::analyze(db).await?;
    Ok(report)
}

/// Takes, in one order and before the seed writes anything, the lock every import it writes
/// beside takes before its own first write: the KATO and register imports' (which the seed runs),
/// the classification, object and budget imports' (whose tables it fills). Each write bumps the
/// data epoch row, which an import then waits for while holding its lock; a seed that took an
/// import's lock only after its first write would hold that row and wait for the lock, and the
/// two would deadlock. Taken again later by the imports themselves, in the same transaction.
async fn lock_imports(tx: &mut crate::store::Tx) -> AppResult<()> {
    crate::store::territories::lock(tx).await?;
    crate::store::register::lock(tx).await?;
    crate::store::classification::lock(tx).await?;
    crate::store::object_register::lock(tx).await?;
    crate::store::rollup::lock_writers(tx).await
}

/// Whether the demo seed created this database's data (its marker is there).
pub async fn is_demo(db: &Db) -> AppResult<bool> {
    store::is_demo(db).await
}

/// For `serve --demo`: seeds reference and scale-1 demo data when the database has no budget
/// lines yet; returns what was inserted, `None` for a demo database seeded before, and an
/// error for a database holding data the demo seed did not create (its people are real: demo
/// mode must not hand out their tokens).
pub async fn run_demo_if_empty(db: &Db) -> AppResult<Option<demo::DemoCounts>> {
    if is_demo(db).await? {
        return Ok(None);
    }
    if store::has_budget_lines(db).await? {
        return Err(anyhow::anyhow!(
            "--demo: this database holds data the demo seed did not create (no demo marker); \
             demo mode would hand out its people's tokens. Serve it without --demo, or point \
             --database-url at a new database"
        )
        .into());
    }
    Ok(run(db, Some(1), true).await?.demo)
}

/// One demo user per body kind: the head of the first organization of that kind (the law's
/// excluded bodies skipped), with the organization's name.
pub async fn demo_users(db: &Db) -> AppResult<Vec<(BodyKind, UserRow, String)>> {
    // The demo picker runs on the server itself, for every body.
    let everything = crate::authz::Permissions::operator();
    let users = crate::store::users::all(db, everything.people()?).await?;
    let org_ids: Vec<i64> = users.iter().map(|u| u.organization_id).collect();
    let orgs: HashMap<i64, OrgRow> =
        crate::store::orgs::by_ids(db, everything.organizations()?, &org_ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
    let mut out: Vec<(BodyKind, UserRow, String)> = Vec::new();
    for kind in BodyKind::ALL {
        let pick = users.iter().filter(|u| u.is_head).find_map(|u| {
            let o = orgs.get(&u.organization_id)?;
            (o.kind == *kind && !o.audit_excluded).then(|| {
                (
                    u.clone(),
                    o.name_en.clone().unwrap_or_else(|| o.name_ru.clone()),
                )
            })
        });
        if let Some((u, name)) = pick {
            out.push((*kind, u, name));
        }
    }
    Ok(out)
}
