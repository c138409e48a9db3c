//! What the import tests share: a run by a test operator, and a refusal's problems as
//! (line, column, field, English message).

use audit_hub::domain::lang::Lang;
use audit_hub::import::report::ImportError;
use audit_hub::import::source::{Outcome, Run};

/// A run by `test-operator` now, without a progress bar.
pub fn run(dry_run: bool) -> Run {
    Run {
        dry_run,
        operator: "test-operator".to_owned(),
        now: chrono::Utc::now(),
        progress: false,
    }
}

/// The problems of a refused import; panics when the import was not refused.
pub fn refusal(r: Result<Outcome, ImportError>) -> Vec<(u64, usize, String, String)> {
    match r {
        Err(ImportError::Invalid { errors, .. }) => errors
            .iter()
            .map(|x| (x.line, x.column, x.field.clone(), x.message(Lang::En)))
            .collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
