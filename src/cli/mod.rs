//! The command line: one module per subcommand (`serve`, `seed`, `import`, `workflow`, `audit`,
//! `users`, `calendar`, `policy`, `token`); this one parses and dispatches.

mod audit;
mod calendar;
mod import;
mod policy;
mod seed;
mod serve;
mod token;
mod users;
mod workflow;

use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::authz::policy::Policy;
use crate::config::GlobalOptions;
use crate::domain::lang::Lang;
use crate::store::Db;
use crate::{graphql, telemetry};

/// audit-hub: read-only budget data hub for Kazakhstan's oversight bodies.
#[derive(Debug, Parser)]
#[command(name = "audit-hub", version, about)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalOptions,
    #[command(subcommand)]
    command: Command,
}

// `serve` carries every server option; the command is parsed once per process.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the GraphQL API (migrations are applied first).
    Serve(serve::ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Insert reference data, and optionally synthetic demo data.
    Seed(seed::SeedArgs),
    /// Import data files.
    Import {
        #[command(subcommand)]
        what: import::ImportCommand,
    },
    /// Print the GraphQL schema (SDL).
    ExportSchema,
    /// The working-day calendar.
    Calendar {
        #[command(subcommand)]
        what: calendar::CalendarCommand,
    },
    /// Access workflow steps for operators, run as a named administrator (`--as IIN`) through
    /// the same checks as the API.
    Workflow(workflow::WorkflowArgs),
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        what: audit::AuditCommand,
    },
    /// Users.
    Users {
        #[command(subcommand)]
        what: users::UsersCommand,
    },
    /// Inspect the access policy, or publish one to every server on the database.
    Policy {
        #[command(subcommand)]
        what: policy::PolicyCommand,
    },
    /// Issue a bearer token for a registered user.
    Token(token::TokenArgs),
}

/// What every subcommand is run with: the global options and the operator's language.
struct Context<'a> {
    global: &'a GlobalOptions,
    lang: Lang,
}

impl Context<'_> {
    /// The database, migrated.
    async fn open(&self) -> anyhow::Result<Db> {
        let db = Db::connect(&self.global.connect_options()).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// The policy of `--policy-dir`, or the built-in one.
    async fn startup_policy(&self) -> anyhow::Result<Arc<Policy>> {
        Ok(Arc::new(
            Policy::load(self.global.policy_dir.as_deref()).await?,
        ))
    }
}

/// Runs the command line; returns the process exit code.
pub async fn run() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    let g = &cli.global;
    telemetry::init(&g.log, g.log_format == "json")?;
    let cx = Context {
        global: g,
        lang: Lang::from_code(&g.lang).unwrap_or_default(),
    };
    match cli.command {
        Command::ExportSchema => {
            print!("{}", graphql::sdl());
            Ok(0)
        }
        Command::Migrate => {
            cx.open().await?;
            eprintln!("migrations applied");
            Ok(0)
        }
        Command::Seed(args) => seed::run(&cx, args).await,
        Command::Import { what } => import::run(&cx, what).await,
        Command::Workflow(args) => workflow::run(&cx, args).await,
        Command::Audit { what } => audit::run(&cx, what).await,
        Command::Users { what } => users::run(&cx, what).await,
        Command::Calendar { what } => calendar::run(&cx, what).await,
        Command::Policy { what } => policy::run(&cx, what).await,
        Command::Token(args) => token::run(&cx, args).await,
        Command::Serve(args) => serve::run(&cx, args).await,
    }
}
