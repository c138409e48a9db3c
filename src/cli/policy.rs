//! `policy`: explaining a user's rights, and publishing the policy every server follows.

use super::Context;
use crate::authz::in_force::Published;
use crate::clock::Clock;

/// What to do with the policy.
#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Print a user's roles, grants and compiled scope (with its SQL).
    Explain {
        /// The user's IIN.
        #[arg(long)]
        iin: String,
    },
    /// Publish the policy of `--policy-dir` (or the built-in one) as the policy in force for
    /// every server on this database; checked first, audited, effective within seconds.
    Publish {
        /// Why (a ticket, an order number); kept with the revision and in the audit trail.
        #[arg(long)]
        note: Option<String>,
    },
    /// List the published revisions, newest first (the first one governs).
    History,
}

/// Explains, publishes or lists.
pub(super) async fn run(cx: &Context<'_>, what: PolicyCommand) -> anyhow::Result<i32> {
    match what {
        PolicyCommand::Explain { iin } => {
            let db = cx.open().await?;
            let in_force = crate::app::policy_in_force(&db, cx.startup_policy().await?).await?;
            println!("policy: {}", in_force.governing());
            let policy = in_force.current()?;
            match crate::authz::explain::explain(&db, &policy, &iin, Clock::default().now()).await {
                Ok(report) => print!("{report}"),
                Err(crate::error::AppError::Unauthenticated) => {
                    anyhow::bail!("no active user with IIN {iin}")
                }
                Err(e) => return Err(e.into()),
            }
        }
        PolicyCommand::Publish { note } => {
            let text = crate::authz::policy::PolicyText::read(cx.global.policy_dir.as_deref())?;
            let db = cx.open().await?;
            let at = Clock::default().now();
            match crate::authz::in_force::publish(&db, &text, note.as_deref(), at).await? {
                Published::New(id) => eprintln!(
                    "policy from {} published as revision {id}; every server on this database follows it within its caller re-check",
                    text.source
                ),
                Published::Unchanged(id) => {
                    eprintln!("revision {id} already has this policy: nothing published")
                }
            }
        }
        PolicyCommand::History => {
            let db = cx.open().await?;
            let revisions = crate::store::policies::history(&db).await?;
            if revisions.is_empty() {
                println!("no revision published: each server uses the policy it started with");
            }
            for r in revisions {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    r.id,
                    r.published_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    r.sha256,
                    r.source,
                    r.note.unwrap_or_default()
                );
            }
        }
    }
    Ok(0)
}
