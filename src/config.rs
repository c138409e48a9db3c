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
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `audit_hub=debug`.
    #[arg(long, env = "AUDIT_HUB_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Log format: `text` or `json`.
    #[arg(long, env = "AUDIT_HUB_LOG_FORMAT", default_value = "text", global = true, value_parser = ["text", "json"])]
    pub log_format: String,
}

impl GlobalOptions {
    /// The database connection options.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            url: self.database_url.clone(),
            max_connections: self.db_max_connections.max(1),
        }
    }
}
