//! The composition root: everything a serving process runs — the pools (and the read replica),
//! the policy in force, the trust anchors and revocation sources of sign-in, the listener and the
//! background tasks — built from one [`Config`], by `serve` and by every test alike.

use std::sync::Arc;
use std::time::Duration;

use crate::authz::certificate::TrustAnchors;
use crate::authz::in_force::{Governing, PolicyInForce};
use crate::authz::ocsp::Ocsp;
use crate::authz::policy::Policy;
use crate::authz::revocation::Revocation;
use crate::authz::token::TokenKeys;
use crate::clock::Clock;
use crate::config::ServerLimits;
use crate::http::{self, AppState, BoundServer};
use crate::store::{ConnectOptions, Db};

/// A database to serve: one to connect to (and migrate), or a pool already open (the tests',
/// which outlives the server).
pub enum Database {
    /// Connect with these options and apply the migrations.
    Connect(ConnectOptions),
    /// Serve this pool as it is; it stays open when the server stops.
    Open(Db),
}

/// What a serving process is made of.
pub struct Config {
    /// The database written and read.
    pub database: Database,
    /// A read replica for budget-scoped reads (never migrated from here: it must already hold
    /// the schema).
    pub read_replica: Option<Database>,
    /// Address to listen on (`HOST:PORT`; port 0 picks a free one).
    pub listen: String,
    /// The policy until one is published to the database.
    pub policy: Arc<Policy>,
    /// Token signing keys.
    pub keys: TokenKeys,
    /// The clock requests are judged by.
    pub clock: Clock,
    /// Request limits.
    pub limits: ServerLimits,
    /// How often the caller and data epochs are re-read in case a notification was lost.
    pub caller_recheck: Duration,
    /// The response cache's memory bound in bytes (0: no cache).
    pub response_cache_bytes: u64,
    /// Certification authorities trusted for certificate sign-in (none: sign-in disabled).
    pub trust_anchors: Option<Arc<TrustAnchors>>,
    /// Revocation lists sign-in checks, and how often they are fetched again (`None`: never).
    pub revocation: Option<(Arc<Revocation>, Option<Duration>)>,
    /// The OCSP responder sign-in asks.
    pub ocsp: Option<Arc<Ocsp>>,
    /// Demo mode: the playground hands out the demo users' tokens. Never in production.
    pub demo: bool,
    /// Whether operator-issued tokens are accepted outside demo mode.
    pub allow_operator_tokens: bool,
    /// The bound on the read replica's lag, past which reads go to the primary.
    pub replica_max_lag: std::time::Duration,
    /// NCALayer's WebSocket address for the office console (checked by
    /// [`http::admin::ncalayer_address`]); `None`: NCALayer's own default.
    pub ncalayer: Option<String>,
}

impl Config {
    /// A configuration over `database` with the default limits, on a free local port.
    pub fn new(database: Database, policy: Arc<Policy>, keys: TokenKeys, clock: Clock) -> Config {
        Config {
            database,
            read_replica: None,
            listen: "127.0.0.1:0".to_owned(),
            policy,
            keys,
            clock,
            limits: ServerLimits::default(),
            caller_recheck: http::DEFAULT_CALLER_RECHECK,
            response_cache_bytes: http::response_cache::DEFAULT_BYTES,
            trust_anchors: None,
            revocation: None,
            ocsp: None,
            demo: false,
            allow_operator_tokens: false,
            ncalayer: None,
            replica_max_lag: http::replica::DEFAULT_MAX_LAG,
        }
    }

    /// The same configuration with these request limits.
    pub fn with_limits(mut self, limits: ServerLimits) -> Config {
        self.limits = limits;
        self
    }

    /// The same configuration reading budget data from this replica.
    pub fn with_read_replica(mut self, replica: Db) -> Config {
        self.read_replica = Some(Database::Open(replica));
        self
    }

    /// The same configuration with certificate sign-in trusting these authorities.
    pub fn with_trust_anchors(mut self, anchors: Arc<TrustAnchors>) -> Config {
        self.trust_anchors = Some(anchors);
        self
    }

    /// The same configuration checking these revocation lists at sign-in (never refreshed).
    pub fn with_revocation(mut self, revocation: Arc<Revocation>) -> Config {
        self.revocation = Some((revocation, None));
        self
    }

    /// The same configuration holding the read replica's lag to `max_lag`.
    pub fn with_replica_max_lag(mut self, max_lag: std::time::Duration) -> Config {
        self.replica_max_lag = max_lag;
        self
    }

    /// The same configuration with the office console finding NCALayer at `address`.
    pub fn with_ncalayer(mut self, address: &str) -> Config {
        self.ncalayer = Some(address.to_owned());
        self
    }

    /// The same configuration asking this OCSP responder at sign-in.
    pub fn with_ocsp(mut self, ocsp: Arc<Ocsp>) -> Config {
        self.ocsp = Some(ocsp);
        self
    }
}

/// A built server, bound and ready to serve.
pub struct Application {
    bound: BoundServer,
    state: AppState,
    /// The pools opened here, closed when serving ends.
    opened: Vec<Db>,
}

impl Application {
    /// Opens the pools, looks up the policy in force, binds the listener and assembles the
    /// server's state with its background tasks.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let mut opened = Vec::new();
        let db = match config.database {
            Database::Connect(options) => {
                let db = Db::connect(&options).await?;
                db.migrate().await?;
                opened.push(db.clone());
                db
            }
            Database::Open(db) => db,
        };
        let replica = match config.read_replica {
            Some(Database::Connect(options)) => {
                let replica = Db::connect(&options)
                    .await
                    .map_err(|e| anyhow::anyhow!("the read replica: {e}"))?;
                anyhow::ensure!(
                    replica.ping().await,
                    "the read replica does not answer or lacks audit-hub's schema"
                );
                opened.push(replica.clone());
                Some(replica)
            }
            Some(Database::Open(replica)) => Some(replica),
            None => None,
        };
        let in_force = policy_in_force(&db, config.policy.clone()).await?;
        match in_force.governing() {
            Governing::Startup => {}
            governing => tracing::info!(%governing, "policy in force"),
        }
        let bound = http::bind(&config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", config.listen))?;
        let mut state = AppState::new(db, config.policy, config.keys, config.clock)
            .with_policy(Arc::new(in_force))
            .with_limits(config.limits)
            .with_response_cache(config.response_cache_bytes)
            .with_caller_recheck(config.caller_recheck);
        if let Some(replica) = replica {
            // Measured once before serving, so reads use the replica from the first request
            // when it is caught up; then every second.
            state = state
                .with_read_replica(replica.clone())
                .with_replica_max_lag(config.replica_max_lag);
            // Handles of their own, so the measurements never count as a request's statements.
            let (primary, replica) = (state.db.for_background(), replica.for_background());
            state.replica_health.measure(&primary, &replica).await;
            http::replica::ReplicaHealth::spawn(&state.replica_health, primary, replica);
        }
        state.demo = config.demo;
        state.allow_operator_tokens = config.allow_operator_tokens;
        if let Some(address) = config.ncalayer {
            state.ncalayer = Arc::from(http::admin::ncalayer_address(&address)?);
        }
        if let Some(anchors) = config.trust_anchors {
            state = state.with_trust_anchors(anchors);
        }
        if let Some((lists, refresh)) = config.revocation {
            if let Some(every) = refresh {
                lists.spawn_refresh(every);
            }
            state = state.with_revocation(lists);
        }
        if let Some(ocsp) = config.ocsp {
            state = state.with_ocsp(ocsp);
        }
        Ok(Application {
            bound,
            state,
            opened,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.bound.addr
    }

    /// The database served.
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// The server's state (its caches and limits), as the handlers see it.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, finishes the requests in flight, waits for the audit
    /// writer to close its own connections, and closes the pools it opened.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let writer = self.state.audit.stopped();
        self.bound.serve(self.state, shutdown).await?;
        // Every event was written before its request was answered; what is left is the
        // writer's pool, closed on its own thread once the server's last handle is dropped.
        // Waited for, so the process does not exit with its connections cut mid-stream
        // (bounded: a handle kept elsewhere, as a test's, keeps the writer open).
        if !writer.wait(std::time::Duration::from_secs(10)).await {
            tracing::warn!("the audit writer had not stopped 10 s after the server");
        }
        for db in self.opened {
            db.close().await;
        }
        Ok(())
    }
}

/// The policy in force on `db`: its newest published revision, else `startup` (`--policy-dir`'s
/// or the built-in one) — what every server on the same database decides by.
pub async fn policy_in_force(db: &Db, startup: Arc<Policy>) -> anyhow::Result<PolicyInForce> {
    let epoch = crate::store::epochs::current(db, crate::store::epochs::CALLERS).await?;
    PolicyInForce::start(db, startup, epoch).await
}
