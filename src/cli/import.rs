//! `import`: data files loaded whole or not at all (budgets, the KATO classifier, the budget
//! classification, the register of bodies, the informatization objects).

use std::path::{Path, PathBuf};

use super::Context;
use crate::domain::lang::Lang;
use crate::domain::territory::KatoPrefix;
use crate::import::budget_csv;
use crate::import::report::ImportError;
use crate::import::source::{Outcome, Run, Source};
use crate::import::{classification, kato, objects, organizations};

/// What to import.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// A budget CSV (see docs/formats.md): all rows or none.
    Budget {
        /// The CSV file.
        file: PathBuf,
        /// Refuse the file when a code is missing from its year's budget classification (by
        /// default that is a warning).
        #[arg(long)]
        strict: bool,
    },
    /// The KATO classifier, XLSX or CSV (docs/formats/kato.md): the territory tree.
    Kato {
        /// The XLSX or CSV file.
        file: PathBuf,
        /// Print what would be inserted, updated, unchanged and retired; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace only the codes under this prefix (e.g. 35 for one region).
        #[arg(long, value_parser = parse_prefix)]
        within: Option<KatoPrefix>,
    },
    /// The budget classification of one or more years, CSV or XLSX
    /// (docs/formats/classification.md): each year in the file replaces that year.
    Classification {
        /// The CSV or XLSX file.
        file: PathBuf,
        /// Print what would be inserted, updated, unchanged and retired; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The register of bodies, CSV or XLSX (docs/formats/organizations.md): upsert by BIN.
    Organizations {
        /// The CSV or XLSX file.
        file: PathBuf,
        /// Print what would be inserted, updated and unchanged; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Informatization objects with their stage history, funding and documents
    /// (docs/formats/objects.md): an XLSX workbook, or a directory of CSV files; upsert by
    /// account code.
    Objects {
        /// The XLSX workbook, or the directory with objects.csv (and stages.csv, funding.csv,
        /// documents.csv).
        file: PathBuf,
        /// The directory holding the document files the documents table names.
        #[arg(long, value_name = "DIR")]
        documents: Option<PathBuf>,
        /// Print what would be inserted, updated, unchanged and removed; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_prefix(s: &str) -> Result<KatoPrefix, String> {
    KatoPrefix::parse(s).ok_or_else(|| "expected 1 to 9 digits".to_owned())
}

/// Imports a file; exit code 2 when it is refused (every error printed), 1 when the store fails.
pub(super) async fn run(cx: &Context<'_>, what: ImportCommand) -> anyhow::Result<i32> {
    let lang = cx.lang;
    let db = cx.open().await?;
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let now = crate::clock::Clock::default().now();
    let (file, result) = match what {
        ImportCommand::Budget { file, strict } => {
            let f = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
            let options = budget_csv::Options { strict };
            let result = budget_csv::import_with(&db, std::io::BufReader::new(f), options)
                .await
                .map(|r| print_budget(&file, &r, lang));
            (file, result)
        }
        ImportCommand::Classification { file, dry_run } => {
            let run = Run::by_this_account(dry_run, now, progress);
            let result = match Source::open(&file) {
                Ok(source) => classification::import(&db, &source, &run).await,
                Err(e) => Err(e),
            }
            .map(|o| print_outcome(&file, &o, lang));
            (file, result)
        }
        ImportCommand::Kato {
            file,
            dry_run,
            within,
        } => {
            let run = Run::by_this_account(dry_run, now, progress);
            let result = match Source::open(&file) {
                Ok(source) => kato::import(&db, &source, within.as_ref(), &run).await,
                Err(e) => Err(e),
            }
            .map(|o| print_outcome(&file, &o, lang));
            (file, result)
        }
        ImportCommand::Organizations { file, dry_run } => {
            let run = Run::by_this_account(dry_run, now, progress);
            let result = match Source::open(&file) {
                Ok(source) => organizations::import(&db, &source, &run).await,
                Err(e) => Err(e),
            }
            .map(|o| print_outcome(&file, &o, lang));
            (file, result)
        }
        ImportCommand::Objects {
            file,
            documents,
            dry_run,
        } => {
            let run = Run::by_this_account(dry_run, now, progress);
            let result = match objects::Tables::open(&file) {
                Ok(tables) => {
                    let tables = tables.with_progress(&run);
                    objects::import(&db, &tables, documents.as_deref(), &run).await
                }
                Err(e) => Err(e),
            }
            .map(|o| print_outcome(&file, &o, lang));
            (file, result)
        }
    };
    Ok(report_failure(&file, result, lang))
}

fn print_budget(file: &Path, r: &budget_csv::Imported, lang: Lang) {
    for w in &r.warnings {
        let warning = lang.pick("ескерту", "предупреждение", "warning");
        eprintln!("{}: {warning}: {}", file.display(), w.message(lang));
    }
    if r.more_warnings > 0 {
        eprintln!("… {}", r.more_warnings);
    }
    let rows = r.report.rows;
    println!(
        "{}: {}",
        file.display(),
        match lang {
            Lang::Kk => format!("импортталды, жолдар: {rows}"),
            Lang::Ru => format!("импортировано строк: {rows}"),
            Lang::En => format!("imported {rows} rows"),
        }
    );
}

fn print_outcome(file: &Path, o: &Outcome, lang: Lang) {
    if !o.ignored_columns.is_empty() {
        let list = o.ignored_columns.join(", ");
        eprintln!(
            "{}: {}",
            file.display(),
            match lang {
                Lang::Kk => format!("оқылмаған бағандар: {list}"),
                Lang::Ru => format!("не прочитанные столбцы: {list}"),
                Lang::En => format!("columns not read: {list}"),
            }
        );
    }
    let counts = o.changes.describe(lang);
    let heads = if o.heads_designated > 0 {
        match lang {
            Lang::Kk => format!("; басшылар тағайындалды {}", o.heads_designated),
            Lang::Ru => format!("; назначено руководителей {}", o.heads_designated),
            Lang::En => format!("; heads designated {}", o.heads_designated),
        }
    } else {
        String::new()
    };
    let what = if o.dry_run {
        lang.pick(
            "тексеру, ештеңе жазылмады",
            "проверка, ничего не записано",
            "dry run, nothing written",
        )
    } else {
        lang.pick("импортталды", "импортировано", "imported")
    };
    let parts: String = o
        .parts
        .iter()
        .map(|(name, c)| format!("; {name}: {}", c.describe(lang)))
        .collect();
    println!("{}: {what}: {counts}{heads}{parts}", file.display());
}

/// The exit code of a result, with a refusal's every problem (or the failure) printed.
fn report_failure(file: &Path, result: Result<(), ImportError>, lang: Lang) -> i32 {
    let code = match &result {
        Ok(()) => return 0,
        Err(ImportError::Store(e)) => {
            // The cause goes to the log; the operator reads what to do, in their language.
            tracing::error!(error = %e, "import failed");
            1
        }
        Err(_) => 2,
    };
    if let Err(e) = result {
        for line in e.lines(lang) {
            eprintln!("{}: {line}", file.display());
        }
    }
    eprintln!(
        "{}",
        lang.pick(
            "ештеңе импортталмады",
            "ничего не импортировано",
            "nothing imported"
        )
    );
    code
}
