//! `serve`: checks every setting by its flag, seeds the demo when asked, and runs the server the
//! composition root ([`crate::app::Application`]) builds.

use std::path::PathBuf;
use std::sync::Arc;

use super::Context;
use crate::app::{Application, Config, Database};
use crate::authz::certificate::TrustAnchors;
use crate::authz::in_force::Governing;
use crate::authz::ocsp::Ocsp;
use crate::authz::revocation::Revocation;
use crate::authz::token::{Method, TokenKeys};
use crate::clock::Clock;
use crate::config::LimitOptions;
use crate::seed;
use crate::store::{ConnectOptions, Db};

/// How the server runs.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
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
    /// The longest a read replica may lag behind the primary and still serve reads (e.g. `10s`);
    /// past it, reads go to the primary until it catches up.
    #[arg(long, env = "AUDIT_HUB_REPLICA_MAX_LAG", default_value = "10s", value_parser = humantime::parse_duration)]
    replica_max_lag: std::time::Duration,
    /// NCALayer's WebSocket on the operator's computer, which the office console (`/admin`)
    /// asks to sign the sign-in challenge: `wss://` (or `ws://`) on 127.0.0.1 or localhost.
    #[arg(long, env = "AUDIT_HUB_NCALAYER_URL", default_value = crate::http::admin::NCALAYER)]
    ncalayer_url: String,
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
    /// Memory for answers to data queries (budgets, objects, documents, organizations), shared
    /// by the callers of equal permissions until the data changes, in MiB; 0 turns it off.
    #[arg(long, env = "AUDIT_HUB_RESPONSE_CACHE_MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(0..=65536))]
    response_cache_mib: u64,
    /// A read replica of the database (same form as `--database-url`) for scoped data reads;
    /// callers, workflow, the audit trail and writes stay on the primary.
    #[arg(long, env = "AUDIT_HUB_READ_DATABASE_URL", hide_env_values = true)]
    read_database_url: Option<String>,
    /// Request limits.
    #[command(flatten)]
    limits: LimitOptions,
}

/// Serves until SIGINT or SIGTERM.
pub(super) async fn run(cx: &Context<'_>, args: ServeArgs) -> anyhow::Result<i32> {
    let g = cx.global;
    if args.caller_recheck.is_zero() {
        anyhow::bail!("--caller-recheck (AUDIT_HUB_CALLER_RECHECK) must be longer than 0s");
    }
    // Checked before anything starts, so a bad setting is reported by its flag.
    let listen = args.listen;
    let listen_hint = "--listen (AUDIT_HUB_LISTEN)";
    std::net::ToSocketAddrs::to_socket_addrs(listen.as_str()).map_err(|e| {
        anyhow::anyhow!(
            "{listen_hint} `{listen}` is not an address to listen on ({e}); expected HOST:PORT, e.g. 127.0.0.1:8080"
        )
    })?;
    let server_limits = args.limits.server_limits()?;
    let policy = cx.startup_policy().await?;
    let keys = match (&g.token_key, args.demo) {
        (None, true) => {
            tracing::warn!(
                "no AUDIT_HUB_TOKEN_KEY: using a random key; tokens die with this process"
            );
            let secret: [u8; 32] = rand::random();
            TokenKeys::new(hex::encode(secret).as_bytes())?
        }
        _ => g.token_keys()?,
    };
    let anchors = match &args.trust_anchors {
        Some(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("AUDIT_HUB_TRUST_ANCHORS {}: {e}", path.display()))?;
            Some(Arc::new(TrustAnchors::from_pem(&pem)?))
        }
        None => None,
    };
    let ocsp = match &args.ocsp_url {
        Some(url) => Some(Arc::new(Ocsp::new(url)?)),
        None => None,
    };
    let revocation = if args.crls.is_empty() {
        if anchors.is_some() && ocsp.is_none() {
            tracing::warn!(
                "no --crl or --ocsp-url: certificate revocation is not checked at sign-in"
            );
        }
        None
    } else {
        Some(Arc::new(Revocation::load(args.crls, args.crl_grace).await?))
    };
    // Seeding (below) may run long statements: it gets a pool of its own, and the
    // request-serving pool the statement timeout.
    let db = cx.open().await?;
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
    if args.demo {
        if let Some(c) = seed::run_demo_if_empty(&db).await? {
            eprintln!(
                "seeded demo data: {} amounts, {} objects, {} documents",
                c.amounts, c.objects, c.documents
            );
        }
        print_demo_tokens(&db, &keys, &clock).await?;
    }
    db.close().await;
    let statement_timeout =
        (!args.limits.statement_timeout.is_zero()).then_some(args.limits.statement_timeout);
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
    config.caller_recheck = args.caller_recheck;
    config.response_cache_bytes = args.response_cache_mib * 1024 * 1024;
    config.read_replica = args.read_database_url.map(|url| {
        Database::Connect(ConnectOptions {
            url,
            statement_timeout,
            ..g.connect_options()
        })
    });
    config.trust_anchors = anchors;
    config.revocation = revocation.map(|r| (r, Some(args.crl_refresh)));
    config.ocsp = ocsp;
    config.demo = args.demo;
    config.allow_operator_tokens = args.allow_operator_tokens;
    config.ncalayer = Some(args.ncalayer_url.clone());
    config.replica_max_lag = args.replica_max_lag;
    let app = Application::build(config).await.map_err(|e| {
        let message = e.to_string();
        if message.starts_with("the read replica") {
            anyhow::anyhow!("AUDIT_HUB_READ_DATABASE_URL: {message}")
        } else if message.starts_with(listen.as_str()) {
            anyhow::anyhow!("{listen_hint} {message}")
        } else {
            e
        }
    })?;
    let addr = app.addr();
    tracing::info!(%addr, backend = app.db().backend().name(), "serving");
    eprintln!("audit-hub listening on http://{addr}  (playground: http://{addr}/playground)");
    app.run_until(shutdown_signal()).await?;
    Ok(0)
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

/// Resolves on SIGINT or SIGTERM.
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
