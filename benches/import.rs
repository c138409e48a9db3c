//! The import benchmark: writes a budget CSV of `--rows N` rows (a year of national lines, each
//! with its four plan phases and monthly execution snapshots), imports it with the release
//! binary into a fresh database holding the reference data, then imports it again (every row an
//! update), and reports time, rows per second and the importer's peak memory for both.
//!
//! `cargo bench --bench import -- --backend sqlite --rows 1000000`
//! (`--backend postgres://postgres@127.0.0.1:5432` for PostgreSQL).

use std::process::Stdio;
use std::time::{Duration, Instant};

use audit_hub::store::{ConnectOptions, Db};
use clap::Parser;

#[derive(Parser, Debug)]
struct Args {
    /// `sqlite` or a PostgreSQL server URL (`postgres://postgres@127.0.0.1:5432`).
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Data rows in the file.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// `cargo bench` passes `--bench`; accepted and ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[path = "../tests/it/common/budget_file.rs"]
mod budget_file;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let exe = env!("CARGO_BIN_EXE_audit-hub");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench");
    std::fs::create_dir_all(&dir)?;
    let url = fresh_database(&args.backend, &dir).await?;
    run(exe, &url, &["seed", "--reference"]).await?;

    let db = Db::connect(&ConnectOptions {
        url: url.clone(),
        max_connections: 1,
        statement_timeout: None,
    })
    .await?;
    let regions = budget_file::regions(&db).await?;
    db.close().await;
    anyhow::ensure!(!regions.is_empty(), "no regions in the reference data");

    let file = dir.join(format!("import-{}.csv", args.rows));
    std::fs::write(&file, budget_file::national_csv(args.rows, &regions))?;
    let path = file.display().to_string();
    println!(
        "\n## Import of {} rows on {}\n",
        args.rows,
        if args.backend.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    println!("| run | seconds | rows/s | importer peak memory |");
    println!("|---|---:|---:|---:|");
    for name in [
        "into an empty budget",
        "the same file again (every row an update)",
    ] {
        let (took, peak) = run(exe, &url, &["import", "budget", &path]).await?;
        println!(
            "| {name} | {:.1} | {:.0} | {} |",
            took.as_secs_f64(),
            args.rows as f64 / took.as_secs_f64(),
            peak.map_or("unknown".to_owned(), |kb| format!("{:.0} MB", kb / 1024.0))
        );
    }
    Ok(())
}

/// A fresh database for the run (PostgreSQL `audit_hub_bench_import`, or `import.db`).
async fn fresh_database(backend: &str, dir: &std::path::Path) -> anyhow::Result<String> {
    if backend.starts_with("postgres") {
        let server = backend.trim_end_matches('/');
        let admin = Db::connect(&ConnectOptions {
            url: format!("{server}/postgres"),
            max_connections: 1,
            statement_timeout: None,
        })
        .await?;
        for sql in [
            "DROP DATABASE IF EXISTS audit_hub_bench_import WITH (FORCE)",
            "CREATE DATABASE audit_hub_bench_import",
        ] {
            audit_hub::store::maintenance(&admin, sql).await?;
        }
        admin.close().await;
        Ok(format!("{server}/audit_hub_bench_import"))
    } else {
        let file = dir.join("import.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        Ok(format!("sqlite://{}", file.display()))
    }
}

/// Runs the release binary on `url`; returns how long it took and its peak memory in kB.
async fn run(exe: &str, url: &str, args: &[&str]) -> anyhow::Result<(Duration, Option<f64>)> {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(exe)
        .args(args)
        .env("DATABASE_URL", url)
        .env("AUDIT_HUB_LOG", "error")
        .stdout(Stdio::null())
        .spawn()?;
    let pid = child.id().unwrap_or(0);
    let mut peak = None;
    let status = loop {
        if let Some(kb) = peak_kb(pid) {
            peak = Some(kb);
        }
        tokio::select! {
            s = child.wait() => break s?,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    };
    anyhow::ensure!(status.success(), "{args:?} failed");
    Ok((started.elapsed(), peak))
}

/// The process's peak resident memory (`VmHWM`) in kB, while it runs.
fn peak_kb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
