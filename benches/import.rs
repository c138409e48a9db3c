//! The import benchmark: writes a budget CSV of `--rows N` rows (a year of national lines, each
//! with its four plan phases and monthly execution snapshots), imports it with the release
//! binary into a fresh database holding the reference data, then imports it again (every row an
//! update), and reports time, rows per second and the importer's peak memory for both.
//!
//! `cargo bench --bench import -- --backend sqlite --rows 1000000`
//! (`--backend postgres://postgres@127.0.0.1:5432` for PostgreSQL).
//!
//! With `--registers`, it times the reference imports instead, at the sizes of the official
//! files: a KATO classifier of 18 220 codes (20 regions, 10 districts each, 15 rural districts
//! each, 5 settlements each) and a register of `--bodies N` bodies (100 000 by default: local
//! bodies on every district and rural district, one in ten an akimat with nine departments under
//! it, one in a hundred a maslikhat with its head), each imported into a fresh migrated database
//! and then again (every row unchanged).
//!
//! With `--documents-mb N`, it measures the memory of a large document instead: the importer's
//! peak with a 1 KB and with an N MB document, and the server's after downloading each
//! (`cargo bench --bench import -- --documents-mb 500`).

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
    /// Time the KATO and register imports instead of the budget import.
    #[arg(long)]
    registers: bool,
    /// Measure the memory of importing and downloading a document of this many MB instead.
    #[arg(long)]
    documents_mb: Option<usize>,
    /// Import into this existing database (e.g. a seeded `hub` benchmark database,
    /// `postgres://postgres@127.0.0.1:5432/audit_hub_bench_s500`) instead of a fresh one, to see
    /// whether the import slows as the table grows; the imported year (2027) is removed after.
    #[arg(long)]
    into: Option<String>,
    /// Bodies in the register file (with `--registers`).
    #[arg(long, default_value_t = 100_000)]
    bodies: usize,
    /// `cargo bench` passes `--bench`; accepted and ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[path = "../tests/it/common/budget_file.rs"]
mod budget_file;
#[path = "support/documents.rs"]
mod documents;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let exe = env!("CARGO_BIN_EXE_audit-hub");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench");
    std::fs::create_dir_all(&dir)?;
    let url = match &args.into {
        Some(url) => url.clone(),
        None => fresh_database(&args.backend, &dir).await?,
    };
    if args.registers {
        return registers(exe, &url, &dir, &args).await;
    }
    if let Some(mb) = args.documents_mb {
        return documents::documents(exe, &url, &dir, mb).await;
    }
    if args.into.is_none() {
        run(exe, &url, &["seed", "--reference"]).await?;
    }
    let db = Db::connect(&ConnectOptions {
        url: url.clone(),
        max_connections: 1,
        statement_timeout: None,
    })
    .await?;
    let regions = budget_file::regions(&db).await?;
    let held = db
        .scalar_i64(
            &sea_query::Query::select()
                .expr(sea_query::Func::count(sea_query::Expr::col("id")))
                .from("budget_amounts")
                .to_owned(),
        )
        .await?;
    anyhow::ensure!(!regions.is_empty(), "no regions in the reference data");

    let file = dir.join(format!("import-{}.csv", args.rows));
    std::fs::write(&file, budget_file::national_csv(args.rows, &regions))?;
    let path = file.display().to_string();
    println!(
        "\n## Import of {} rows on {}, into a table of {held} amounts\n",
        args.rows,
        if url.starts_with("postgres") {
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
    if args.into.is_some() {
        // The file's year leaves the borrowed database as it came.
        for table in [
            "budget_amounts",
            "budget_rollup",
            "budget_region_rollup",
            "budget_lines",
        ] {
            db.execute(
                &sea_query::Query::delete()
                    .from_table(table)
                    .and_where(sea_query::ExprTrait::eq(
                        sea_query::Expr::col("year"),
                        budget_file::YEAR,
                    ))
                    .to_owned(),
            )
            .await?;
        }
    }
    db.close().await;
    Ok(())
}

/// Times the KATO and register imports, each twice.
async fn registers(exe: &str, url: &str, dir: &std::path::Path, args: &Args) -> anyhow::Result<()> {
    run(exe, url, &["migrate"]).await?;
    let (kato, districts) = kato_file();
    let kato_path = dir.join("kato-full.csv");
    std::fs::write(&kato_path, kato)?;
    let register_path = dir.join(format!("register-{}.csv", args.bodies));
    std::fs::write(&register_path, register_file(args.bodies, &districts)?)?;
    println!(
        "\n## Reference imports on {}\n",
        if args.backend.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    println!("| file | run | seconds | rows/s | importer peak memory |");
    println!("|---|---|---:|---:|---:|");
    for (what, path, rows) in [
        ("kato", &kato_path, 18_220),
        ("organizations", &register_path, args.bodies),
    ] {
        let path = path.display().to_string();
        for name in ["into an empty database", "the same file again (unchanged)"] {
            let (took, peak) = run(exe, url, &["import", what, &path]).await?;
            println!(
                "| {what} ({rows} rows) | {name} | {:.1} | {:.0} | {} |",
                took.as_secs_f64(),
                rows as f64 / took.as_secs_f64(),
                peak.map_or("unknown".to_owned(), |kb| format!("{:.0} MB", kb / 1024.0))
            );
        }
    }
    Ok(())
}

/// A KATO file of 18 220 codes, and its (district or rural) codes with their budget levels.
fn kato_file() -> (String, Vec<(String, &'static str)>) {
    const REGIONS: [&str; 20] = [
        "10", "11", "15", "19", "23", "27", "31", "33", "35", "39", "43", "47", "51", "55", "59",
        "61", "62", "63", "71", "75",
    ];
    let mut out = String::from("te,ab,cd,ef,hij,k,name_kaz,name_rus,nn\n");
    let mut local = Vec::new();
    let mut n = 0;
    let mut row = |code: String, level: u8, out: &mut String| {
        n += 1;
        out.push_str(&format!(
            "{code},{},{},{},{},{level},Аумақ {code},Территория {code},{n}\n",
            &code[..2],
            &code[2..4],
            &code[4..6],
            &code[6..]
        ));
    };
    for r in REGIONS {
        row(format!("{r}0000000"), 1, &mut out);
        for d in 0..10 {
            let district = format!("{r}{:02}00000", 10 + 2 * d);
            row(district.clone(), 2, &mut out);
            local.push((district.clone(), "DISTRICT"));
            for e in 0..15 {
                let rural = format!("{}{:02}000", &district[..4], 10 + 2 * e);
                row(rural.clone(), 3, &mut out);
                local.push((rural.clone(), "RURAL"));
                for h in 0..5 {
                    row(format!("{}{:03}", &rural[..6], 100 + 100 * h), 4, &mut out);
                }
            }
        }
    }
    (out, local)
}

/// A register of `bodies` bodies on the given territories.
fn register_file(bodies: usize, local: &[(String, &'static str)]) -> anyhow::Result<String> {
    let mut out = String::from(
        "bin,kind,name_kk,name_ru,name_en,kato,budget_level,administrator,parent_bin,audit_excluded,head_iin,head_surname,head_name,head_patronymic,head_position\n",
    );
    let number = |prefix: &str, i: usize| -> anyhow::Result<String> {
        let digits: Vec<u8> = format!("{prefix}{i:06}")
            .bytes()
            .map(|b| b - b'0')
            .collect();
        let first: [u8; 11] = digits
            .try_into()
            .map_err(|_| anyhow::anyhow!("eleven digits"))?;
        audit_hub::domain::ident::complete(first).ok_or_else(|| anyhow::anyhow!("no check digit"))
    };
    let mut akimat = String::new();
    let mut i = 0;
    let mut written = 0;
    while written < bodies {
        // Not every eleven digits have a check digit: skip those numbers.
        let Ok(bin) = number("05024", i) else {
            i += 1;
            continue;
        };
        let (kato, level) = &local[(written / 10) % local.len()];
        let (kind, parent, head) = if written % 100 == 0 {
            ("MASLIKHAT", String::new(), number("78051", i).ok())
        } else if written % 10 == 1 {
            akimat = bin.clone();
            ("LOCAL_EXECUTIVE_BODY", String::new(), None)
        } else {
            ("LOCAL_EXECUTIVE_BODY", akimat.clone(), None)
        };
        let head = match head {
            Some(iin) => format!("{iin},Тестов,Тест,,Хатшы"),
            None => ",,,,".to_owned(),
        };
        out.push_str(&format!(
            "{bin},{kind},Орган {written},Орган {written},,{kato},{level},,{parent},false,{head}\n"
        ));
        written += 1;
        i += 1;
    }
    Ok(out)
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

/// Runs the release binary on `url`; returns how long it took and its peak memory in kB (from
/// GNU time's maximum resident set size where `/usr/bin/time` exists, which sees a run too short
/// to sample; else sampled from `/proc` while it runs).
async fn run(exe: &str, url: &str, args: &[&str]) -> anyhow::Result<(Duration, Option<f64>)> {
    let gnu_time = std::path::Path::new("/usr/bin/time");
    let rss_file = std::env::temp_dir().join(format!("audit-hub-bench-rss-{}", std::process::id()));
    let mut command = if gnu_time.exists() {
        let mut c = tokio::process::Command::new(gnu_time);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(exe);
        c
    } else {
        tokio::process::Command::new(exe)
    };
    let started = Instant::now();
    let mut child = command
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
    let took = started.elapsed();
    anyhow::ensure!(status.success(), "{args:?} failed");
    if gnu_time.exists() {
        peak = std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        let _ = std::fs::remove_file(&rss_file);
    }
    Ok((took, peak))
}

/// The process's peak resident memory (`VmHWM`) in kB, while it runs.
fn peak_kb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
