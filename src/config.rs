//! Configuration shared by every command, from flags and the environment.

use clap::Args;

use crate::store::ConnectOptions;

/// Options every command accepts (each also from the environment).
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// Database URL: `sqlite://FILE` (embedded, the default) or `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://audit-hub.db",
        global = true
    )]
    pub database_url: String,
    /// Largest number of pooled database connections.
    #[arg(
        long,
        env = "AUDIT_HUB_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,
    /// Language of command-line messages: kk, ru or en.
    #[arg(long, env = "AUDIT_HUB_LANG", default_value = "en", global = true, value_parser = ["kk", "ru", "en"])]
    pub lang: String,
    /// Secret (at least 32 bytes) that signs bearer tokens. `serve --demo` makes a random one
    /// for the life of the process when none is set.
    #[arg(
        long,
        env = "AUDIT_HUB_TOKEN_KEY",
        global = true,
        hide_env_values = true
    )]
    pub token_key: Option<String>,
    /// Folder with `model.conf` and `policy.csv`; the copies built into the binary otherwise.
    #[arg(long, env = "AUDIT_HUB_POLICY_DIR", global = true)]
    pub policy_dir: Option<std::path::PathBuf>,
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `audit_hub=debug`.
    #[arg(long, env = "AUDIT_HUB_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Log format: `text` or `json`.
    #[arg(long, env = "AUDIT_HUB_LOG_FORMAT", default_value = "text", global = true, value_parser = ["text", "json"])]
    pub log_format: String,
}

impl GlobalOptions {
    /// The token keys from `--token-key`, or an error saying how to set one.
    pub fn token_keys(&self) -> anyhow::Result<crate::authz::token::TokenKeys> {
        let key = self
            .token_key
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("no token signing key: set AUDIT_HUB_TOKEN_KEY (or --token-key) to a secret of at least 32 bytes"))?;
        crate::authz::token::TokenKeys::new(key.as_bytes())
            .map_err(|e| anyhow::anyhow!("AUDIT_HUB_TOKEN_KEY: {e}"))
    }

    /// The database connection options.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            url: self.database_url.clone(),
            max_connections: self.db_max_connections.max(1),
            statement_timeout: None,
        }
    }
}

/// Limits of the server: request shape, size, time and rate, and the origins browsers may call
/// from. Every number has a safe default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// Limits on one GraphQL document.
    pub query: crate::graphql::limits::QueryLimits,
    /// Largest request body, in bytes (enforced while reading).
    pub max_body: usize,
    /// Longest a request may run before it is answered with `REQUEST_TIMEOUT`.
    pub request_timeout: std::time::Duration,
    /// Requests per second one caller may make on average (0: no rate limit).
    pub rate_per_second: u32,
    /// Requests one caller may make at once before the average applies.
    pub rate_burst: u32,
    /// Origins browsers may call the API from (none: same origin only).
    pub cors_origins: Vec<String>,
    /// Bytes of persisted-query texts kept (least recently used evicted).
    pub persisted_query_bytes: u64,
    /// Line exports one caller may run at once.
    pub exports_per_caller: usize,
    /// How long a line export waits for its client to read before it ends (both backends).
    pub export_idle: std::time::Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            query: Default::default(),
            max_body: 1024 * 1024,
            request_timeout: std::time::Duration::from_secs(30),
            rate_per_second: 20,
            rate_burst: 100,
            cors_origins: Vec::new(),
            persisted_query_bytes: crate::http::persisted::DEFAULT_BYTES,
            exports_per_caller: crate::http::export_slots::DEFAULT_PER_CALLER,
            export_idle: crate::http::export_slots::DEFAULT_IDLE,
        }
    }
}

/// `serve` options for [`ServerLimits`] and the database statement timeout.
#[derive(Debug, Clone, Args)]
pub struct LimitOptions {
    /// Largest request body, in bytes.
    #[arg(long, env = "AUDIT_HUB_MAX_BODY", default_value_t = 1024 * 1024)]
    pub max_body: usize,
    /// Longest GraphQL query text, in bytes.
    #[arg(long, env = "AUDIT_HUB_MAX_QUERY_BYTES", default_value_t = 64 * 1024)]
    pub max_query_bytes: usize,
    /// Most tokens in a GraphQL query text.
    #[arg(long, env = "AUDIT_HUB_MAX_TOKENS", default_value_t = 10_000)]
    pub max_tokens: usize,
    /// Deepest nesting of brackets in a query text.
    #[arg(long, env = "AUDIT_HUB_MAX_NESTING", default_value_t = 64)]
    pub max_nesting: usize,
    /// Deepest field nesting (the standard introspection query needs 15).
    #[arg(long, env = "AUDIT_HUB_MAX_DEPTH", default_value_t = 16)]
    pub max_depth: usize,
    /// Most aliases in one document.
    #[arg(long, env = "AUDIT_HUB_MAX_ALIASES", default_value_t = 100)]
    pub max_aliases: usize,
    /// Most root fields in one operation.
    #[arg(long, env = "AUDIT_HUB_MAX_ROOT_FIELDS", default_value_t = 32)]
    pub max_root_fields: usize,
    /// Most directives on one field.
    #[arg(long, env = "AUDIT_HUB_MAX_DIRECTIVES", default_value_t = 16)]
    pub max_directives: usize,
    /// Most field selections once fragments are expanded.
    #[arg(long, env = "AUDIT_HUB_MAX_FIELDS", default_value_t = 5_000)]
    pub max_fields: usize,
    /// Highest query complexity (a field costs 1; list fields multiply by their page size).
    #[arg(long, env = "AUDIT_HUB_MAX_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,
    /// Most values in one list of a budget filter (`years`, `programs`, ...).
    #[arg(long, env = "AUDIT_HUB_MAX_FILTER_LIST", default_value_t = 1000)]
    pub max_filter_list: usize,
    /// Most filter objects in one budget filter (`and`, `or` and `not` members included).
    #[arg(long, env = "AUDIT_HUB_MAX_FILTER_NODES", default_value_t = 64)]
    pub max_filter_nodes: usize,
    /// Longest a request may run, e.g. `30s`.
    #[arg(long, env = "AUDIT_HUB_REQUEST_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: std::time::Duration,
    /// Longest one database statement may run, e.g. `15s` (0s: no limit).
    #[arg(long, env = "AUDIT_HUB_STATEMENT_TIMEOUT", default_value = "15s", value_parser = humantime::parse_duration)]
    pub statement_timeout: std::time::Duration,
    /// Requests per second one caller (user, or client address when anonymous) may make on
    /// average; 0 turns the rate limit off.
    #[arg(long, env = "AUDIT_HUB_RATE_LIMIT", default_value_t = 20)]
    pub rate_limit: u32,
    /// Requests one caller may make in a burst.
    #[arg(long, env = "AUDIT_HUB_RATE_BURST", default_value_t = 100)]
    pub rate_burst: u32,
    /// Origins browsers may call the API from, comma-separated (e.g.
    /// `https://dashboards.example.kz`); none by default.
    #[arg(long, env = "AUDIT_HUB_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Bytes of persisted-query texts each process keeps (least recently used evicted).
    #[arg(long, env = "AUDIT_HUB_PERSISTED_QUERY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub persisted_query_bytes: u64,
    /// Line exports one caller may run at once.
    #[arg(long, env = "AUDIT_HUB_EXPORTS_PER_CALLER", default_value_t = 1)]
    pub exports_per_caller: usize,
    /// How long a line export waits for its client to read before it ends, e.g. `60s`.
    #[arg(long, env = "AUDIT_HUB_EXPORT_IDLE", default_value = "60s", value_parser = humantime::parse_duration)]
    pub export_idle: std::time::Duration,
    /// Give every GraphQL object field a tracing span of its own (to find a slow field; costs
    /// some server time on large pages).
    #[arg(long, env = "AUDIT_HUB_TRACE_FIELDS")]
    pub trace_fields: bool,
}

impl LimitOptions {
    /// The limits these options give, or what to fix.
    pub fn server_limits(&self) -> anyhow::Result<ServerLimits> {
        let positive = [
            ("--max-body", self.max_body),
            ("--max-query-bytes", self.max_query_bytes),
            ("--max-tokens", self.max_tokens),
            ("--max-nesting", self.max_nesting),
            ("--max-depth", self.max_depth),
            ("--max-root-fields", self.max_root_fields),
            ("--max-fields", self.max_fields),
            ("--max-complexity", self.max_complexity),
            ("--max-filter-list", self.max_filter_list),
            ("--max-filter-nodes", self.max_filter_nodes),
            ("--exports-per-caller", self.exports_per_caller),
        ];
        for (flag, v) in positive {
            anyhow::ensure!(v > 0, "{flag} must be at least 1");
        }
        anyhow::ensure!(
            self.request_timeout > std::time::Duration::ZERO,
            "--request-timeout must be longer than 0s"
        );
        anyhow::ensure!(
            self.rate_limit == 0 || self.rate_burst > 0,
            "--rate-burst must be at least 1 when --rate-limit is on"
        );
        for origin in &self.cors_origins {
            let uri = origin.parse::<poem::http::Uri>().ok();
            let is_origin = uri.is_some_and(|u| {
                matches!(u.scheme_str(), Some("https" | "http"))
                    && u.authority().is_some()
                    && u.path_and_query().is_none_or(|p| p.as_str() == "/")
            }) && !origin.ends_with('/');
            anyhow::ensure!(
                is_origin,
                "--cors-origins: `{origin}` is not an origin; write it as scheme://host[:port], without a path"
            );
        }
        Ok(ServerLimits {
            query: crate::graphql::limits::QueryLimits {
                max_query_bytes: self.max_query_bytes,
                max_tokens: self.max_tokens,
                max_nesting: self.max_nesting,
                max_depth: self.max_depth,
                max_aliases: self.max_aliases,
                max_root_fields: self.max_root_fields,
                max_directives: self.max_directives,
                max_fields: self.max_fields,
                max_complexity: self.max_complexity,
                filter: crate::store::filter::FilterLimits {
                    max_list: self.max_filter_list,
                    max_nodes: self.max_filter_nodes,
                },
                trace_fields: self.trace_fields,
            },
            max_body: self.max_body,
            request_timeout: self.request_timeout,
            rate_per_second: self.rate_limit,
            rate_burst: self.rate_burst,
            cors_origins: self.cors_origins.clone(),
            persisted_query_bytes: self.persisted_query_bytes,
            exports_per_caller: self.exports_per_caller,
            export_idle: self.export_idle,
        })
    }
}
