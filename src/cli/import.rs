//! `import`: data files loaded whole or not at all.

use std::path::PathBuf;

use super::Context;
use crate::import::budget_csv::{self, ImportError};

/// What to import.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// A budget CSV (see docs/formats.md): all rows or none.
    Budget {
        /// The CSV file.
        file: PathBuf,
    },
}

/// Imports a file; exit code 2 when it is refused (every error printed), 1 when the store fails.
pub(super) async fn run(cx: &Context<'_>, what: ImportCommand) -> anyhow::Result<i32> {
    let ImportCommand::Budget { file } = what;
    let lang = cx.lang;
    let db = cx.open().await?;
    let f = std::fs::File::open(&file)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
    match budget_csv::import(&db, std::io::BufReader::new(f)).await {
        Ok(r) => {
            eprintln!("imported {} rows from {}", r.rows, file.display());
            Ok(0)
        }
        Err(ImportError::Invalid { errors, more }) => {
            for e in &errors {
                eprintln!("{}: {}", file.display(), e.message(lang));
            }
            if more > 0 {
                eprintln!("... and {more} more");
            }
            eprintln!("nothing imported");
            Ok(2)
        }
        Err(ImportError::Store(e)) => {
            // The cause goes to the log; the operator reads what to do, in their language.
            tracing::error!(error = %e, "import failed");
            eprintln!("{}: {}", file.display(), e.message(lang));
            eprintln!("nothing imported");
            Ok(1)
        }
    }
}
