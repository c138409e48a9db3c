//! `workflow`: the access workflow's steps for operators, run as a named administrator through
//! exactly the schema, permissions and services a request goes through.

use super::Context;
use crate::store::{Db, orgs, users};

/// Who takes the step, and which.
#[derive(Debug, clap::Args)]
pub struct WorkflowArgs {
    /// IIN of the administrator (or head of body) the step is taken as.
    #[arg(long = "as")]
    as_iin: String,
    #[command(subcommand)]
    what: WorkflowCommand,
}

/// The authorized body's decision.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Decision {
    /// Forward to the integrator.
    Approve,
    /// Refuse (a reason is required).
    Reject,
}

/// The language a training was given in.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TrainingLanguage {
    /// Kazakh.
    Kk,
    /// Russian.
    Ru,
}

/// A step of the workflow.
#[derive(Debug, clap::Subcommand)]
pub enum WorkflowCommand {
    /// List applications (all for administrators, the body's own for its head).
    Applications {
        /// Only those whose review or grant is past due.
        #[arg(long)]
        overdue: bool,
    },
    /// Review an application (authorized body).
    Review {
        /// Application id.
        application: i64,
        /// The decision.
        #[arg(long, value_enum, ignore_case = true)]
        decision: Decision,
        /// Reason (required to reject).
        #[arg(long)]
        comment: Option<String>,
    },
    /// Grant an approved application (integrator).
    Grant {
        /// Application id.
        application: i64,
        /// Grant the employees without conflicts and refuse the others.
        #[arg(long)]
        partial: bool,
    },
    /// Refuse an approved application that cannot be granted (integrator).
    Refuse {
        /// Application id.
        application: i64,
        /// Reason.
        #[arg(long)]
        reason: String,
    },
    /// Designate the head of a body (authorized body): a current member, by IIN.
    DesignateHead {
        /// BIN of the body.
        #[arg(long)]
        organization: String,
        /// IIN of the new head.
        #[arg(long)]
        user: String,
    },
    /// Show the bodies a person has belonged to, newest first.
    Memberships {
        /// IIN of the person.
        #[arg(long)]
        user: String,
    },
    /// Record a completed training (integrator).
    Train {
        /// IIN of the trained user.
        #[arg(long)]
        user: String,
        /// Day of the training (YYYY-MM-DD).
        #[arg(long)]
        on: chrono::NaiveDate,
        /// The language of the training.
        #[arg(long, value_enum, ignore_case = true)]
        language: TrainingLanguage,
    },
    /// Block a user (integrator).
    Block {
        /// IIN of the user.
        #[arg(long)]
        user: String,
    },
}

/// Runs the step as the named user; exit code 2 when the API refused it.
pub(super) async fn run(cx: &Context<'_>, args: WorkflowArgs) -> anyhow::Result<i32> {
    let lang = cx.lang;
    let db = cx.open().await?;
    let policy = crate::app::policy_in_force(&db, cx.startup_policy().await?)
        .await?
        .current()?;
    let (query, vars) = operation(&db, args.what).await?;
    let response = crate::graphql::operator::run_as(
        &db,
        policy,
        crate::clock::Clock::default(),
        lang,
        &args.as_iin,
        query,
        vars,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message(lang)))?;
    // Names and reasons in the answer are client text: escaped for the terminal.
    let text = serde_json::to_string_pretty(&response)?;
    println!("{}", crate::domain::text::escaped_json(&text));
    Ok(if response.get("errors").is_some() {
        2
    } else {
        0
    })
}

/// The GraphQL operation and variables of a workflow command.
async fn operation(
    db: &Db,
    what: WorkflowCommand,
) -> anyhow::Result<(&'static str, serde_json::Value)> {
    let user_id = |iin: String| async move {
        users::by_iin(db, &iin)
            .await?
            .map(|u| u.id.to_string())
            .ok_or_else(|| anyhow::anyhow!("no user with IIN {iin}"))
    };
    Ok(match what {
        WorkflowCommand::Applications { overdue } => (
            "query($o: Boolean) { accessApplications(filter: { overdue: $o }, first: 1000) { nodes { id status systems receivedAt reviewDue grantDue overdue organization { bin name } } } }",
            serde_json::json!({ "o": overdue }),
        ),
        WorkflowCommand::Review {
            application,
            decision,
            comment,
        } => {
            let decision = match decision {
                Decision::Approve => "APPROVE",
                Decision::Reject => "REJECT",
            };
            (
                "mutation($id: ID!, $d: ReviewDecision!, $c: String) { reviewAccessApplication(id: $id, decision: $d, comment: $c) { id status grantDue } }",
                serde_json::json!({ "id": application.to_string(), "d": decision, "c": comment }),
            )
        }
        WorkflowCommand::Grant {
            application,
            partial,
        } => (
            "mutation($id: ID!, $p: Boolean!) { grantAccess(applicationId: $id, partial: $p) { id system validFrom validUntil status user { iin fullName } } }",
            serde_json::json!({ "id": application.to_string(), "p": partial }),
        ),
        WorkflowCommand::Refuse {
            application,
            reason,
        } => (
            "mutation($id: ID!, $r: String!) { refuseAccessApplication(id: $id, reason: $r) { id status refusalReason employees { iin outcome refusalReasons { kind system } } } }",
            serde_json::json!({ "id": application.to_string(), "r": reason }),
        ),
        WorkflowCommand::DesignateHead { organization, user } => {
            let org = orgs::by_bin(db, &organization)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no organization with BIN {organization}"))?;
            (
                "mutation($o: ID!, $u: ID!) { designateHead(organizationId: $o, userId: $u) { iin fullName isHead } }",
                serde_json::json!({ "o": org.to_string(), "u": user_id(user).await? }),
            )
        }
        WorkflowCommand::Memberships { user } => (
            "query($u: ID!) { membershipHistory(userId: $u) { organization { bin name } position startedOn endedOn endReason } }",
            serde_json::json!({ "u": user_id(user).await? }),
        ),
        WorkflowCommand::Train { user, on, language } => {
            let language = match language {
                TrainingLanguage::Kk => "KK",
                TrainingLanguage::Ru => "RU",
            };
            (
                "mutation($u: ID!, $on: Date!, $l: Language!) { recordTraining(userId: $u, completedOn: $on, language: $l) { iin fullName } }",
                serde_json::json!({ "u": user_id(user).await?, "on": on.to_string(), "l": language }),
            )
        }
        WorkflowCommand::Block { user } => (
            "mutation($u: ID!) { blockUser(userId: $u) { iin status } }",
            serde_json::json!({ "u": user_id(user).await? }),
        ),
    })
}
