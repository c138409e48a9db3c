//! An import's file and its run: the bytes read whole (bounded), their SHA-256, who runs it,
//! whether it is dry, and the one audit event that records it.

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::report::{Changes, ImportError};
use crate::error::AppError;

/// The largest file an import reads whole (the classifiers and the register of bodies are tens
/// of megabytes; document contents are streamed, not read through this).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// A file to import.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its name as the operator gave it (recorded in the audit event, bounded).
    pub name: String,
    /// Its contents.
    pub bytes: Vec<u8>,
    /// SHA-256 of the contents, hex.
    pub sha256: String,
}

impl Source {
    /// Reads the file at `path` (at most [`MAX_FILE_BYTES`]).
    pub fn open(path: &Path) -> Result<Source, ImportError> {
        let file = std::fs::File::open(path)
            .map_err(|e| AppError::from(anyhow::anyhow!("cannot open {}: {e}", path.display())))?;
        Source::read(&path.display().to_string(), file)
    }

    /// Reads `input` (at most [`MAX_FILE_BYTES`]) under the name `name`.
    pub fn read(name: &str, input: impl Read) -> Result<Source, ImportError> {
        let mut bytes = Vec::new();
        input
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| AppError::from(anyhow::anyhow!("reading the file: {e}")))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(ImportError::TooLarge {
                limit: MAX_FILE_BYTES,
            });
        }
        Ok(Source::from_bytes(name, bytes))
    }

    /// A source over bytes already in memory.
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Source {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Source {
            name: bounded(name, 255),
            bytes,
            sha256,
        }
    }
}

/// Text cut to `max` characters with control characters replaced: a file name goes into the
/// trail and onto a terminal, and neither takes raw input.
fn bounded(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// How an import runs.
#[derive(Debug, Clone)]
pub struct Run {
    /// Count what would change, write nothing (no audit event either: nothing happened).
    pub dry_run: bool,
    /// Who runs it: the operator's account on the server (recorded in the audit event).
    pub operator: String,
    /// When.
    pub now: DateTime<Utc>,
    /// Draw a progress bar (on a terminal).
    pub progress: bool,
}

impl Run {
    /// A run by the account this process runs as (`USER` / `LOGNAME`), at `now`.
    pub fn by_this_account(dry_run: bool, now: DateTime<Utc>, progress: bool) -> Run {
        let operator = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        Run {
            dry_run,
            operator: bounded(&operator, 64),
            now,
            progress,
        }
    }

    /// A progress bar labelled `what` (hidden unless asked for); its length is set by what
    /// it counts.
    pub fn bar(&self, what: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        bar
    }

    /// The audit event of an import of `source` as `kind` that made `changes`: operator, file
    /// name, SHA-256 and counts, with no user (the operator runs it on the server itself).
    pub fn event(&self, kind: &str, source: &Source, changes: &Changes) -> crate::audit::Event {
        crate::audit::Event {
            at: self.now,
            operation: Some(format!("audit-hub import {kind}")),
            variables: Some(
                json!({
                    "operator": self.operator,
                    "file": source.name,
                    "sha256": source.sha256,
                    "changes": changes,
                })
                .to_string(),
            ),
            outcome: "OK".to_owned(),
            ..Default::default()
        }
    }
}

/// What an import did (or, dry, would do).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The counts.
    pub changes: Changes,
    /// Header names the import did not read.
    pub ignored_columns: Vec<String>,
    /// Whether it was a dry run (nothing written).
    pub dry_run: bool,
    /// Heads designated (or, dry, to designate): the register's heads that changed.
    pub heads_designated: usize,
    /// Counts of the parts an import writes besides its main rows, by table (an object's
    /// stages, funding links, documents and files).
    pub parts: Vec<(&'static str, Changes)>,
}
