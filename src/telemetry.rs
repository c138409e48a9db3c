//! Logging set-up: tracing to stderr, as text or JSON.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `filter` uses `EnvFilter` syntax.
pub fn init(filter: &str, json: bool) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(filter)
        .map_err(|e| anyhow::anyhow!("invalid log filter `{filter}`: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    result.map_err(|e| anyhow::anyhow!("logging already initialised: {e}"))
}
