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
        }
    }
}
