//! The command line: `serve`, `migrate`, `seed`, `import`, `export-schema`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{GlobalOptions, LimitOptions};
use crate::domain::lang::Lang;
use crate::import::budget_csv::{self, ImportError};
use std::sync::Arc;

use crate::app::{Application, Config, Database};
use crate::authz::certificate::TrustAnchors;
use crate::authz::in_force::{Governing, Published};
use crate::authz::policy::Policy;
use crate::authz::token::Method;
use crate::authz::token::TokenKeys;
use crate::clock::Clock;
use crate::store::users;
use crate::store::{ConnectOptions, Db};
use crate::{graphql, seed, telemetry};

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
    Serve {
        /// Address to listen on.
        #[arg(long, env = "AUDIT_HUB_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// PEM file of the certification authorities trusted for certificate login (NCA RK root
        /// and intermediates); certificate login is off without it.
        #[arg(long, env = "AUDIT_HUB_TRUST_ANCHORS")]
        trust_anchors: Option<PathBuf>,
        /// A certificate revocation list checked at sign-in, full or delta: a file (DER or PEM) or
        /// an `http://` URL, repeatable. With any, a certificate without a fresh status (a current
        /// CRL of its issuer, or an OCSP answer) is refused; a list that cannot be loaded stops
        /// the start.
        #[arg(long = "crl", env = "AUDIT_HUB_CRL", value_delimiter = ',')]
        crls: Vec<String>,
        /// How often CRLs are read again (e.g. `1h`).
        #[arg(long, env = "AUDIT_HUB_CRL_REFRESH", default_value = "1h", value_parser = humantime::parse_duration)]
        crl_refresh: std::time::Duration,
        /// How long after its `nextUpdate` a CRL is still used when no newer one can be had
        /// (default none: a stale list gives no status, and sign-in fails closed).
        #[arg(long, env = "AUDIT_HUB_CRL_GRACE", default_value = "0s", value_parser = humantime::parse_duration)]
        crl_grace: std::time::Duration,
        /// The OCSP responder asked for each signer's status at sign-in (`http://`, e.g. NCA RK's
        /// `http://ocsp.pki.gov.kz`). Its answer decides; when it gives none, a fresh CRL of the
        /// issuer decides if one is held (`--crl`), else the login is refused.
        #[arg(long, env = "AUDIT_HUB_OCSP_URL")]
        ocsp_url: Option<String>,
        /// Seed reference and demo data first when the database has none.
        #[arg(long, env = "AUDIT_HUB_DEMO")]
        demo: bool,
        /// Accept tokens issued by `audit-hub token` (service accounts, emergencies); without
        /// it, outside demo mode, only tokens of a digital-signature login serve requests.
        #[arg(long, env = "AUDIT_HUB_ALLOW_OPERATOR_TOKENS")]
        allow_operator_tokens: bool,
        /// How often to re-read the caller epoch, in case a change notification from another
        /// server process was lost (PostgreSQL; e.g. `5s`).
        #[arg(long, env = "AUDIT_HUB_CALLER_RECHECK", default_value = "5s", value_parser = humantime::parse_duration)]
        caller_recheck: std::time::Duration,
        /// A read replica of the database (same form as `--database-url`) for scoped data reads;
        /// callers, workflow, the audit trail and writes stay on the primary.
        #[arg(long, env = "AUDIT_HUB_READ_DATABASE_URL", hide_env_values = true)]
        read_database_url: Option<String>,
        /// Request limits.
        #[command(flatten)]
        limits: LimitOptions,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Insert reference data, and optionally synthetic demo data.
    Seed {
        /// Regions, budget classification, organizations and their head users.
        #[arg(long)]
        reference: bool,
        /// Synthetic budgets, objects and documents (implies --reference).
        #[arg(long)]
        demo: bool,
        /// Size of the demo data: about 100 000 amount rows per unit.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        scale: u32,
    },
    /// Import data files.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Print the GraphQL schema (SDL).
    ExportSchema,
    /// The working-day calendar.
    Calendar {
        #[command(subcommand)]
        what: CalendarCommand,
    },
    /// Access workflow steps for operators, run as a named administrator (`--as IIN`) through
    /// the same checks as the API.
    Workflow {
        /// IIN of the administrator (or head of body) the step is taken as.
        #[arg(long = "as")]
        as_iin: String,
        #[command(subcommand)]
        what: WorkflowCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Users.
    Users {
        #[command(subcommand)]
        what: UsersCommand,
    },
    /// Inspect the access policy, or publish one to every server on the database.
    Policy {
        #[command(subcommand)]
        what: PolicyCommand,
    },
    /// Issue a bearer token for a registered user.
    Token {
        /// The user's IIN.
        #[arg(long)]
        iin: String,
        /// How long the token is valid (e.g. `8h`, `30m`; at most 24 hours). Operator tokens
        /// serve only servers started with `--allow-operator-tokens` (or in demo mode).
        #[arg(long, default_value = "8h", value_parser = operator_ttl)]
        ttl: std::time::Duration,
    },
}

/// An operator token's lifetime: a duration of at most 24 hours.
fn operator_ttl(s: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if d > crate::authz::token::MAX_OPERATOR_TTL || d.is_zero() {
        return Err(format!(
            "an operator token lives more than 0 and at most 24h (got `{s}`)"
        ));
    }
    Ok(d)
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// Print the date whose end is the deadline N working days after FROM (the day of receipt).
    Due {
        /// Day of receipt (YYYY-MM-DD).
        from: chrono::NaiveDate,
        /// Working days.
        n: u32,
    },
    /// Set a date as worked or off by a transfer (a Government decree, a minister's order).
    Set {
        /// The date (YYYY-MM-DD).
        date: chrono::NaiveDate,
        /// The day is worked (e.g. a transferred Saturday).
        #[arg(long, conflicts_with = "off", required_unless_present = "off")]
        working: bool,
        /// The day is off (e.g. a transferred weekday).
        #[arg(long)]
        off: bool,
        /// The legal basis: the act, its date and number.
        #[arg(long)]
        note: Option<String>,
    },
    /// Remove a date's transfer: the rules apply again.
    Clear {
        /// The date (YYYY-MM-DD).
        date: chrono::NaiveDate,
    },
}

#[derive(Debug, Subcommand)]
enum WorkflowCommand {
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
        /// APPROVE or REJECT.
        #[arg(long, value_parser = ["APPROVE", "REJECT"])]
        decision: String,
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
        /// KK or RU.
        #[arg(long, value_parser = ["KK", "RU"])]
        language: String,
    },
    /// Block a user (integrator).
    Block {
        /// IIN of the user.
        #[arg(long)]
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exits non-zero naming the first broken event.
    Verify {
        /// Start at this event (its predecessor is trusted).
        #[arg(long, default_value_t = 1)]
        from: i64,
        /// An anchor printed earlier by `audit head` (`SEQ:HASH`): that event must still be
        /// there with that hash, which catches deletion of the newest events.
        #[arg(long, value_parser = parse_anchor)]
        anchor: Option<(i64, String)>,
    },
    /// Print the newest event as `SEQ:HASH`, an anchor to keep outside the database.
    Head,
}

fn parse_anchor(s: &str) -> Result<(i64, String), String> {
    let (seq, hash) = s
        .split_once(':')
        .ok_or_else(|| "expected SEQ:HASH, as printed by `audit head`".to_owned())?;
    let seq = seq
        .parse::<i64>()
        .map_err(|_| format!("`{seq}` is not an event number"))?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the hash must be 64 hexadecimal digits".to_owned());
    }
    Ok((seq, hash.to_ascii_lowercase()))
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// List users: IIN, name, organization BIN, kind, territory, administrator, status.
    List {
        /// Only users of organizations of this kind.
        #[arg(long)]
        org_kind: Option<crate::domain::org::BodyKind>,
        /// `text` or `csv`.
        #[arg(long, default_value = "text", value_parser = ["text", "csv"])]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
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

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// A budget CSV (see docs/formats.md): all rows or none.
    Budget {
        /// The CSV file.
        file: PathBuf,
    },
}

/// The policy of `--policy-dir`, or the built-in one.
async fn startup_policy(g: &GlobalOptions) -> anyhow::Result<Arc<Policy>> {
    Ok(Arc::new(Policy::load(g.policy_dir.as_deref()).await?))
}

async fn open(global: &GlobalOptions) -> anyhow::Result<Db> {
    let db = Db::connect(&global.connect_options()).await?;
    db.migrate().await?;
    Ok(db)
}

/// Runs the command line; returns the process exit code.
pub async fn run() -> anyhow::Result<i32> {
    let cli = Cli::parse();
    let g = &cli.global;
    telemetry::init(&g.log, g.log_format == "json")?;
    let lang = Lang::from_code(&g.lang).unwrap_or_default();
    match cli.command {
        Command::ExportSchema => {
            print!("{}", graphql::sdl());
        }
        Command::Migrate => {
            open(g).await?;
            eprintln!("migrations applied");
        }
        Command::Seed {
            reference,
            demo,
            scale,
        } => {
            if !reference && !demo {
                anyhow::bail!("nothing to seed: pass --reference and/or --demo");
            }
            let db = open(g).await?;
            let started = std::time::Instant::now();
            let report = seed::run(&db, demo.then_some(scale as usize), true).await?;
            if !report.reference_inserted {
                eprintln!("reference data already present");
            }
            if let Some(c) = report.demo {
                eprintln!(
                    "demo data: {} budget lines, {} amounts, {} objects, {} documents in {:.1}s",
                    c.lines,
                    c.amounts,
                    c.objects,
                    c.documents,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Command::Import {
            what: ImportCommand::Budget { file },
        } => {
            let db = open(g).await?;
            let f = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
            match budget_csv::import(&db, std::io::BufReader::new(f)).await {
                Ok(r) => eprintln!("imported {} rows from {}", r.rows, file.display()),
                Err(ImportError::Invalid { errors, more }) => {
                    for e in &errors {
                        eprintln!("{}: {}", file.display(), e.message(lang));
                    }
                    if more > 0 {
                        eprintln!("... and {more} more");
                    }
                    eprintln!("nothing imported");
                    return Ok(2);
                }
                Err(ImportError::Store(e)) => {
                    // The cause goes to the log; the operator reads what to do, in their language.
                    tracing::error!(error = %e, "import failed");
                    eprintln!("{}: {}", file.display(), e.message(lang));
                    eprintln!("nothing imported");
                    return Ok(1);
                }
            }
        }
        Command::Workflow { as_iin, what } => {
            let db = open(g).await?;
            let policy = crate::app::policy_in_force(&db, startup_policy(g).await?)
                .await?
                .current()?;
            let (query, vars) = workflow_operation(&db, what).await?;
            let response = crate::graphql::operator::run_as(
                &db,
                policy,
                Clock::default(),
                lang,
                &as_iin,
                query,
                vars,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.message(lang)))?;
            // Names and reasons in the answer are client text: escaped for the terminal.
            let text = serde_json::to_string_pretty(&response)?;
            println!("{}", crate::domain::text::escaped_json(&text));
            if response.get("errors").is_some() {
                return Ok(2);
            }
        }
        Command::Audit {
            what: AuditCommand::Verify { from, anchor },
        } => {
            let db = open(g).await?;
            let checked = match crate::audit::verify(&db, from.max(1)).await? {
                Ok(n) => n,
                Err(e) => {
                    eprintln!("audit trail broken: {e}");
                    return Ok(1);
                }
            };
            if let Some((seq, hash)) = anchor
                && let Err(e) = crate::audit::check_anchor(&db, seq, &hash).await?
            {
                eprintln!("audit trail broken: {e}");
                return Ok(1);
            }
            println!("audit trail intact: {checked} events checked");
        }
        Command::Audit {
            what: AuditCommand::Head,
        } => {
            let db = open(g).await?;
            match crate::audit::head(&db).await? {
                Some((seq, hash)) => println!("{seq}:{hash}"),
                None => println!("0:{}", crate::audit::GENESIS),
            }
        }
        Command::Users {
            what: UsersCommand::List { org_kind, format },
        } => {
            let db = open(g).await?;
            print_users(&db, org_kind, format == "csv").await?;
        }
        Command::Calendar { what } => {
            let db = open(g).await?;
            match what {
                CalendarCommand::Due { from, n } => {
                    let cal = crate::store::calendar::load(&db).await?;
                    let due = cal
                        .add_working_days(from, n)
                        .ok_or_else(|| anyhow::anyhow!("date out of range"))?;
                    println!("{due}");
                }
                CalendarCommand::Set {
                    date,
                    working,
                    off: _,
                    note,
                } => {
                    let mut tx = db.begin().await?;
                    let kind = crate::store::calendar::KIND_TRANSFER;
                    crate::store::calendar::set(
                        &mut tx,
                        date,
                        working,
                        kind,
                        note.as_deref(),
                        None,
                        Clock::default().now(),
                    )
                    .await?;
                    tx.commit().await?;
                    eprintln!(
                        "{date} is now a {} day",
                        if working { "working" } else { "non-working" }
                    );
                }
                CalendarCommand::Clear { date } => {
                    let mut tx = db.begin().await?;
                    let removed = crate::store::calendar::clear(&mut tx, date).await?;
                    tx.commit().await?;
                    eprintln!(
                        "{}",
                        if removed {
                            "transfer removed"
                        } else {
                            "no transfer on that date"
                        }
                    );
                }
            }
        }
        Command::Policy {
            what: PolicyCommand::Explain { iin },
        } => {
            let db = open(g).await?;
            let in_force = crate::app::policy_in_force(&db, startup_policy(g).await?).await?;
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
        Command::Policy {
            what: PolicyCommand::Publish { note },
        } => {
            let text = crate::authz::policy::PolicyText::read(g.policy_dir.as_deref())?;
            let db = open(g).await?;
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
        Command::Policy {
            what: PolicyCommand::History,
        } => {
            let db = open(g).await?;
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
        Command::Token { iin, ttl } => {
            let keys = g.token_keys()?;
            let db = open(g).await?;
            let clock = Clock::default();
            // The same rule as a request: unknown, blocked and suspended people get no token.
            match crate::authz::principal::Principal::load(&db, &iin, clock.now()).await {
                Ok(p) => {
                    let issued = keys.issue(&iin, Method::Operator, ttl, clock.now())?;
                    // Issuing a token is on the record: whom for, how, until when.
                    let event = crate::audit::Event {
                        at: clock.now(),
                        user_id: Some(p.user.id),
                        organization_id: Some(p.organization.id),
                        operation: Some("audit-hub token".to_owned()),
                        variables: Some(
                            serde_json::json!({
                                "method": Method::Operator.as_str(),
                                "tokenId": issued.jti,
                                "expiresAt": issued.expires_at.to_rfc3339(),
                            })
                            .to_string(),
                        ),
                        outcome: "OK".to_owned(),
                        ..Default::default()
                    };
                    let mut tx = db.begin_audit().await?;
                    crate::audit::append(&mut tx, event).await?;
                    tx.commit().await?;
                    println!("{}", issued.token);
                }
                Err(crate::error::AppError::Unauthenticated) => {
                    anyhow::bail!(
                        "no user with IIN {iin} who may sign in: unknown, blocked, or past the termination date their body named"
                    )
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Serve {
            listen,
            demo,
            trust_anchors,
            allow_operator_tokens,
            crls,
            crl_refresh,
            crl_grace,
            ocsp_url,
            caller_recheck,
            read_database_url,
            limits,
        } => {
            if caller_recheck.is_zero() {
                anyhow::bail!("--caller-recheck (AUDIT_HUB_CALLER_RECHECK) must be longer than 0s");
            }
            // Checked before anything starts, so a bad setting is reported by its flag.
            let listen_hint = "--listen (AUDIT_HUB_LISTEN)";
            std::net::ToSocketAddrs::to_socket_addrs(listen.as_str()).map_err(|e| {
                anyhow::anyhow!(
                    "{listen_hint} `{listen}` is not an address to listen on ({e}); expected HOST:PORT, e.g. 127.0.0.1:8080"
                )
            })?;
            let server_limits = limits.server_limits()?;
            let policy = startup_policy(g).await?;
            let keys = match (&g.token_key, demo) {
                (None, true) => {
                    tracing::warn!(
                        "no AUDIT_HUB_TOKEN_KEY: using a random key; tokens die with this process"
                    );
                    let secret: [u8; 32] = rand::random();
                    TokenKeys::new(hex::encode(secret).as_bytes())?
                }
                _ => g.token_keys()?,
            };
            let anchors = match &trust_anchors {
                Some(path) => {
                    let pem = std::fs::read(path).map_err(|e| {
                        anyhow::anyhow!("AUDIT_HUB_TRUST_ANCHORS {}: {e}", path.display())
                    })?;
                    Some(Arc::new(TrustAnchors::from_pem(&pem)?))
                }
                None => None,
            };
            let ocsp = match ocsp_url {
                Some(url) => Some(Arc::new(crate::authz::ocsp::Ocsp::new(&url)?)),
                None => None,
            };
            let revocation = if crls.is_empty() {
                if anchors.is_some() && ocsp.is_none() {
                    tracing::warn!(
                        "no --crl or --ocsp-url: certificate revocation is not checked at sign-in"
                    );
                }
                None
            } else {
                Some(Arc::new(
                    crate::authz::revocation::Revocation::load(crls, crl_grace).await?,
                ))
            };
            // Seeding (below) may run long statements; the request-serving pool gets the
            // statement timeout.
            let db = open(g).await?;
            if g.policy_dir.is_some() {
                let in_force = crate::app::policy_in_force(&db, policy.clone()).await?;
                if in_force.governing() != Governing::Startup {
                    tracing::warn!(
                        governing = %in_force.governing(),
                        "a policy revision is published in the database: it governs, not --policy-dir"
                    );
                }
            }
            let clock = Clock::default();
            if demo {
                let report = seed::run_demo_if_empty(&db).await?;
                if let Some(c) = report {
                    eprintln!(
                        "seeded demo data: {} amounts, {} objects, {} documents",
                        c.amounts, c.objects, c.documents
                    );
                }
                print_demo_tokens(&db, &keys, &clock).await?;
            }
            db.close().await;
            let statement_timeout =
                (!limits.statement_timeout.is_zero()).then_some(limits.statement_timeout);
            let mut config = Config::new(
                Database::Connect(ConnectOptions {
                    statement_timeout,
                    ..g.connect_options()
                }),
                policy,
                keys,
                clock,
            )
            .with_limits(server_limits);
            config.listen = listen.clone();
            config.caller_recheck = caller_recheck;
            config.read_replica = read_database_url.map(|url| {
                Database::Connect(ConnectOptions {
                    url,
                    statement_timeout,
                    ..g.connect_options()
                })
            });
            config.trust_anchors = anchors;
            config.revocation = revocation.map(|r| (r, Some(crl_refresh)));
            config.ocsp = ocsp;
            config.demo = demo;
            config.allow_operator_tokens = allow_operator_tokens;
            let app = Application::build(config).await.map_err(|e| {
                if e.to_string().starts_with("the read replica") {
                    anyhow::anyhow!("AUDIT_HUB_READ_DATABASE_URL: {e}")
                } else if e.to_string().starts_with(listen.as_str()) {
                    anyhow::anyhow!("{listen_hint} {e}")
                } else {
                    e
                }
            })?;
            let addr = app.addr();
            tracing::info!(%addr, backend = app.db().backend().name(), "serving");
            eprintln!(
                "audit-hub listening on http://{addr}  (playground: http://{addr}/playground)"
            );
            app.run_until(shutdown_signal()).await?;
        }
    }
    Ok(0)
}

/// The GraphQL operation and variables of a workflow command.
async fn workflow_operation(
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
        } => (
            "mutation($id: ID!, $d: ReviewDecision!, $c: String) { reviewAccessApplication(id: $id, decision: $d, comment: $c) { id status grantDue } }",
            serde_json::json!({ "id": application.to_string(), "d": decision, "c": comment }),
        ),
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
            let org = crate::store::orgs::by_bin(db, &organization)
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
        WorkflowCommand::Train { user, on, language } => (
            "mutation($u: ID!, $on: Date!, $l: Language!) { recordTraining(userId: $u, completedOn: $on, language: $l) { iin fullName } }",
            serde_json::json!({ "u": user_id(user).await?, "on": on.to_string(), "l": language }),
        ),
        WorkflowCommand::Block { user } => (
            "mutation($u: ID!) { blockUser(userId: $u) { iin status } }",
            serde_json::json!({ "u": user_id(user).await? }),
        ),
    })
}

/// `users list`.
async fn print_users(
    db: &Db,
    kind: Option<crate::domain::org::BodyKind>,
    csv_out: bool,
) -> anyhow::Result<()> {
    let everything = crate::authz::Permissions::operator();
    let all = users::all(db, everything.people()?).await?;
    let ids: Vec<i64> = all.iter().map(|u| u.organization_id).collect();
    let orgs = crate::store::orgs::by_ids(db, everything.organizations()?, &ids).await?;
    let mut out = csv::Writer::from_writer(std::io::stdout());
    if csv_out {
        out.write_record([
            "iin",
            "name",
            "organization_bin",
            "kind",
            "territory",
            "administrator",
            "status",
        ])?;
    }
    // Names come from application forms: never printed raw (a CR/LF or an ANSI escape in a
    // surname must not forge a row or recolour the terminal).
    let safe = |t: &str| crate::domain::text::escaped(t).into_owned();
    for u in all {
        let Some(o) = orgs.iter().find(|o| o.id == u.organization_id) else {
            continue;
        };
        if kind.is_some_and(|k| k != o.kind) {
            continue;
        }
        let admin = safe(&o.administrator.clone().unwrap_or_default());
        let name = safe(&u.full_name());
        if csv_out {
            out.write_record([
                u.iin.as_str(),
                &name,
                &o.bin,
                o.kind.as_str(),
                &o.kato,
                &admin,
                &safe(&u.status),
            ])?;
        } else {
            println!(
                "{}  {:<40} {} {:<34} {} {:>3} {}",
                u.iin,
                name,
                o.bin,
                o.kind.as_str(),
                o.kato,
                admin,
                safe(&u.status)
            );
        }
    }
    out.flush()?;
    Ok(())
}

/// Prints a token for one demo user of every body kind (8 hours).
async fn print_demo_tokens(db: &Db, keys: &TokenKeys, clock: &Clock) -> anyhow::Result<()> {
    eprintln!("demo users (paste a token into the playground's Bearer token field):");
    for (kind, user, org) in seed::demo_users(db).await? {
        let token = keys
            .issue(
                &user.iin,
                Method::Operator,
                std::time::Duration::from_secs(8 * 3600),
                clock.now(),
            )?
            .token;
        eprintln!(
            "  {:<34} {} — {}\n    {token}",
            kind.as_str(),
            user.iin,
            org
        );
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
