//! The load benchmark: seeds `--scale N` demo data (kept between runs), starts the release
//! server as its own process, drives a realistic mix over HTTP with C concurrent clients, and
//! reports per query throughput, p50/p95/p99, errors, the server's peak memory, and the ratio of
//! each scoped query to the same rows read by a national caller with the slice as a filter.
//!
//! `cargo bench --bench hub -- --backend sqlite --scale 50 --concurrency 16 --seconds 20`
//! (`--backend postgres://postgres@127.0.0.1:5432` for PostgreSQL); `benches/run.sh` runs both.
//! With `--peer` (PostgreSQL), the same run also measures PostGraphile on the same database and
//! the hub's own SQL with `pgbench`, and prints the ratios (`support/peer.rs`).

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "support/peer.rs"]
mod peer;

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use audit_hub::store::{ConnectOptions, Db};
use clap::Parser;
use sea_query::{Expr, ExprTrait, Func, Query};
use serde_json::{Value, json};

#[derive(Parser, Debug)]
struct Args {
    /// `sqlite` or a PostgreSQL server URL (`postgres://postgres@127.0.0.1:5432`).
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Demo data scale (about 100 000 amount rows per unit).
    #[arg(long, default_value_t = 1)]
    scale: u32,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of measurement per query (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seed again even when data of this scale exists.
    #[arg(long)]
    fresh: bool,
    /// Run only the query of this name, or else the queries whose name contains this text (e.g.
    /// `police`), for profiling one.
    #[arg(long)]
    only: Option<String>,
    /// Also measure PostGraphile (two workers, row-level security) and the hub's own SQL
    /// (`pgbench`) on the three queries they share (PostgreSQL only).
    #[arg(long)]
    peer: bool,
    /// With `--peer`: rounds of the peer comparison (each query on the hub, PostGraphile and
    /// pgbench back to back, the order reversed every other round); the medians are reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// `cargo bench` passes `--bench`; accepted and ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One measured query: who sends what.
struct Probe {
    name: &'static str,
    token: String,
    query: String,
    variables: Value,
}

/// Latencies and errors of one query.
struct Measured {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
    /// The mean time its requests waited for their audit event to be durable (the server's
    /// `audit_hub_audit_append_seconds`), where known.
    audit_wait: Option<Duration>,
}

impl Measured {
    fn percentile(&self, p: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        if l.is_empty() {
            return Duration::ZERO;
        }
        let i = ((l.len() as f64 - 1.0) * p).round() as usize;
        l[i.min(l.len() - 1)]
    }
    fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let exe = env!("CARGO_BIN_EXE_audit-hub");
    let url = prepare_database(&args, exe).await?;
    let db = Db::connect(&ConnectOptions {
        url: url.clone(),
        max_connections: 2,
        statement_timeout: None,
    })
    .await?;
    let year = db
        .scalar_i64(
            &Query::select()
                .expr(Func::cast_as(Func::max(Expr::col("year")), "BIGINT"))
                .from("budget_lines")
                .to_owned(),
        )
        .await?;
    let mut probes = probes(&db, year).await;
    if let Some(only) = &args.only {
        // A query's whole name picks that query alone (`me` is also part of "documents").
        let exact = probes.iter().any(|p| p.name == only.as_str());
        probes.retain(|p| {
            if exact {
                p.name == only.as_str()
            } else {
                p.name.contains(only.as_str())
            }
        });
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let own_sql = if args.peer {
        anyhow::ensure!(
            args.backend.starts_with("postgres"),
            "--peer needs --backend postgres://..."
        );
        peer::install(&db).await?;
        Some(capture_own_sql(exe, &url, &client, &probes).await?)
    } else {
        None
    };
    db.close().await;

    let (mut server, base) = start_hub(exe, &url, 0).await?;
    let pid = server.id().unwrap_or(0);
    wait_ready(&client, &base).await?;

    println!(
        "\n## {} — scale {}, {} clients, {} s per query, year {year}\n",
        backend_label(&args.backend),
        args.scale,
        args.concurrency,
        args.seconds
    );
    println!(
        "| query | requests/s | p50 ms | p95 ms | p99 ms | errors | scoped ÷ unscoped (p50) | audit wait, mean ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut results: Vec<(&str, Measured)> = Vec::new();
    for p in &probes {
        let before = audit_waits(&client, &base).await;
        let mut m = drive(&client, &base, p, args.concurrency, args.seconds).await;
        let after = audit_waits(&client, &base).await;
        if let (Some((s0, n0)), Some((s1, n1))) = (before, after)
            && n1 > n0
        {
            m.audit_wait = Some(Duration::from_secs_f64((s1 - s0) / (n1 - n0)));
        }
        results.push((p.name, m));
    }
    for (name, m) in &results {
        let ratio = name.strip_suffix(" (scoped)").and_then(|stem| {
            results
                .iter()
                .find(|(n, _)| n.strip_suffix(" (unscoped)") == Some(stem))
                .map(|(_, u)| {
                    format!(
                        "{:.2}",
                        m.percentile(0.5).as_secs_f64() / u.percentile(0.5).as_secs_f64()
                    )
                })
        });
        println!(
            "| {name} | {:.0} | {} | {} | {} | {} | {} | {} |",
            m.throughput(),
            ms(m.percentile(0.5)),
            ms(m.percentile(0.95)),
            ms(m.percentile(0.99)),
            m.errors,
            ratio.unwrap_or_default(),
            m.audit_wait.map(ms).unwrap_or_default()
        );
    }
    println!(
        "\nServer peak memory (VmHWM): {}",
        peak_memory(pid).unwrap_or_else(|| "unknown".to_owned())
    );
    server.kill().await?;
    with_cache(exe, &url, &client, &probes, &results, &args).await?;
    if let Some(own_sql) = own_sql {
        compare_with_peers(&args, exe, &url, &client, &probes, &own_sql, year).await?;
    }
    Ok(())
}

/// The release server on a free port over `url`, with the rate limit off and `cache_mib` of
/// response cache (0: none, so every request costs what the server and its SQL cost); its
/// process and base URL.
async fn start_hub(
    exe: &str,
    url: &str,
    cache_mib: u32,
) -> anyhow::Result<(tokio::process::Child, String)> {
    let port = free_port()?;
    let server = tokio::process::Command::new(exe)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--rate-limit",
            "0",
            "--response-cache-mib",
            &cache_mib.to_string(),
        ])
        .env("DATABASE_URL", url)
        .env(
            "AUDIT_HUB_TOKEN_KEY",
            std::str::from_utf8(common::TEST_KEY)?,
        )
        // Slow-statement warnings would flood the report; errors still show.
        .env("AUDIT_HUB_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()?;
    Ok((server, format!("http://127.0.0.1:{port}")))
}

/// The query the response cache is measured on: a dashboard every client repeats.
const CACHED: &str = "region dashboard (scoped)";

/// The dashboard again, on a server with the response cache (64 MiB), beside its figures
/// without it from the same run.
async fn with_cache(
    exe: &str,
    url: &str,
    client: &reqwest::Client,
    probes: &[Probe],
    uncached: &[(&str, Measured)],
    args: &Args,
) -> anyhow::Result<()> {
    let (Some(probe), Some((_, without))) = (
        probes.iter().find(|p| p.name == CACHED),
        uncached.iter().find(|(n, _)| *n == CACHED),
    ) else {
        return Ok(());
    };
    let (mut server, base) = start_hub(exe, url, 64).await?;
    wait_ready(client, &base).await?;
    let with = drive(client, &base, probe, args.concurrency, args.seconds).await;
    server.kill().await?;
    println!(
        "\n### The response cache ({CACHED}, {} clients)\n",
        args.concurrency
    );
    println!("| server | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|");
    for (label, m) in [("without the cache", without), ("with the cache", &with)] {
        println!(
            "| {label} | {:.0} | {} | {} | {} |",
            m.throughput(),
            ms(m.percentile(0.5)),
            ms(m.percentile(0.99)),
            m.errors
        );
    }
    println!(
        "\nWith ÷ without: throughput {:.2}×, p50 {:.2}× faster",
        with.throughput() / without.throughput(),
        without.percentile(0.5).as_secs_f64() / with.percentile(0.5).as_secs_f64()
    );
    Ok(())
}

/// The queries measured against the peers: the hub's probe, the PostGraphile caller and query.
const SHARED: [(&str, &str, &str); 3] = [
    (
        "police budgetLines page (scoped)",
        "police",
        "query($y: Int!) { allBudgetRows(first: 100, orderBy: PRIMARY_KEY_ASC, filter: { year: { equalTo: $y } }) { nodes { id year level territory administrator program phase amountTenths } pageInfo { hasNextPage endCursor } } }",
    ),
    (
        "region dashboard (scoped)",
        "maslikhat",
        "query($y: Int!) { allBudgetRollups(filter: { year: { equalTo: $y } }) { groupedAggregates(groupBy: [ADMINISTRATOR, PHASE]) { keys sum { amountTenths rowCount } } } }",
    ),
    (
        "100 objects with documents and funding (scoped)",
        "commission",
        "{ allObjects(first: 100, orderBy: PRIMARY_KEY_ASC) { nodes { id name stage organizationByOwnerId { name } documentsByObjectId { nodes { id title sizeBytes } } fundingsByObjectId { nodes { year program } } } } }",
    ),
];

/// The hub's own statements for each shared query: a hub started while PostgreSQL logs every
/// statement of the database serves each query twice (the first warms its caches), and the
/// data reads of the second become that query's script.
async fn capture_own_sql(
    exe: &str,
    url: &str,
    client: &reqwest::Client,
    probes: &[Probe],
) -> anyhow::Result<Vec<(&'static str, Vec<peer::Logged>)>> {
    let (server_url, database) = url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("a database URL"))?;
    let admin = Db::connect(&ConnectOptions {
        url: format!("{server_url}/postgres"),
        max_connections: 1,
        statement_timeout: None,
    })
    .await?;
    peer::log_statements(&admin, database, true).await?;
    let log = peer::server_log()?;
    let (mut server, base) = start_hub(exe, url, 0).await?;
    wait_ready(client, &base).await?;
    let mut out = Vec::new();
    for (name, _, _) in SHARED {
        let p = probes
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| anyhow::anyhow!("no probe {name}"))?;
        let send = || {
            client
                .post(format!("{base}/graphql"))
                .bearer_auth(&p.token)
                .json(&json!({ "query": p.query, "variables": p.variables }))
                .send()
        };
        send().await?.bytes().await?;
        // The statement log is written asynchronously: let it settle around the request.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let from = std::fs::metadata(&log)?.len();
        send().await?.bytes().await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let statements = peer::statements_since(&log, from, database)?;
        anyhow::ensure!(!statements.is_empty(), "no statements logged for {name}");
        out.push((name, statements));
    }
    server.kill().await?;
    peer::log_statements(&admin, database, false).await?;
    admin.close().await;
    Ok(out)
}

/// One round of one shared query: the hub, PostGraphile, and the hub's own SQL (requests/s,
/// p50, p99).
struct Round {
    hub: Measured,
    graphile: Measured,
    sql: (f64, Duration, Duration),
}

impl Round {
    fn hub_over_graphile(&self) -> f64 {
        self.hub.throughput() / self.graphile.throughput().max(f64::MIN_POSITIVE)
    }
    fn hub_over_sql(&self) -> f64 {
        self.hub.percentile(0.5).as_secs_f64() / self.sql.1.as_secs_f64().max(f64::MIN_POSITIVE)
    }
    fn hub_tail(&self) -> f64 {
        self.hub.percentile(0.99).as_secs_f64()
            / self
                .hub
                .percentile(0.5)
                .as_secs_f64()
                .max(f64::MIN_POSITIVE)
    }
}

/// The median of `values` (the middle one; of an even count, the mean of the middle two).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The three shared queries on the hub, PostGraphile and pgbench, in `--rounds` rounds. Within a
/// round each query runs on the three back to back, in the opposite order every other round, so
/// that a host whose speed drifts over minutes weighs on all three alike; the table gives each
/// figure's median over the rounds (each ratio is taken within a round first), and every round
/// is listed after it.
async fn compare_with_peers(
    args: &Args,
    exe: &str,
    url: &str,
    client: &reqwest::Client,
    probes: &[Probe],
    own_sql: &[(&'static str, Vec<peer::Logged>)],
    year: i64,
) -> anyhow::Result<()> {
    let port = free_port()?;
    let mut graphile = peer::start_postgraphile(url, port).await?;
    let graphile_base = format!("http://127.0.0.1:{port}");
    let (mut hub, hub_base) = start_hub(exe, url, 0).await?;
    wait_ready(client, &hub_base).await?;
    let mut rounds: Vec<(&str, Vec<Round>)> =
        SHARED.iter().map(|(n, _, _)| (*n, Vec::new())).collect();
    for round in 0..args.rounds.max(1) {
        for ((name, caller, query), (_, done)) in SHARED.iter().zip(rounds.iter_mut()) {
            let Some(probe) = probes.iter().find(|p| p.name == *name) else {
                continue;
            };
            let token = graphile.tokens[*caller]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("no PostGraphile token for {caller}"))?
                .to_owned();
            let graphile_probe = Probe {
                name,
                token,
                query: (*query).to_owned(),
                variables: json!({ "y": year }),
            };
            let statements = own_sql
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s.as_slice())
                .unwrap_or_default();
            let slug: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let hub_run = drive(client, &hub_base, probe, args.concurrency, args.seconds);
            let graphile_run = drive(
                client,
                &graphile_base,
                &graphile_probe,
                args.concurrency,
                args.seconds,
            );
            let sql_run = peer::pgbench(url, statements, args.concurrency, args.seconds, &slug);
            let r = if round % 2 == 0 {
                let hub = hub_run.await;
                let graphile = graphile_run.await;
                let sql = sql_run.await?;
                Round { hub, graphile, sql }
            } else {
                let sql = sql_run.await?;
                let graphile = graphile_run.await;
                let hub = hub_run.await;
                Round { hub, graphile, sql }
            };
            done.push(r);
        }
    }
    graphile.process.kill().await?;
    hub.kill().await?;
    println!(
        "\n### Peers — PostGraphile 4.14.1 (2 workers, row-level security) and the hub's own SQL (pgbench, {} clients), median of {} rounds\n",
        args.concurrency,
        args.rounds.max(1)
    );
    println!(
        "| query | hub req/s | PostGraphile req/s | hub ÷ PostGraphile | hub p50 / p99 ms | hub p99 ÷ p50 | PostGraphile p50 / p99 ms | own SQL p50 / p99 ms (pgbench req/s) | hub p50 ÷ own SQL p50 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let med = |rs: &[Round], f: &dyn Fn(&Round) -> f64| median(rs.iter().map(f).collect());
    for (name, rs) in &rounds {
        if rs.is_empty() {
            continue;
        }
        println!(
            "| {name} | {:.0} | {:.0} | {:.2} | {:.1} / {:.1} | {:.2} | {:.1} / {:.1} | {:.1} / {:.1} ({:.0}) | {:.2} |",
            med(rs, &|r| r.hub.throughput()),
            med(rs, &|r| r.graphile.throughput()),
            med(rs, &Round::hub_over_graphile),
            med(rs, &|r| r.hub.percentile(0.5).as_secs_f64() * 1000.0),
            med(rs, &|r| r.hub.percentile(0.99).as_secs_f64() * 1000.0),
            med(rs, &Round::hub_tail),
            med(rs, &|r| r.graphile.percentile(0.5).as_secs_f64() * 1000.0),
            med(rs, &|r| r.graphile.percentile(0.99).as_secs_f64() * 1000.0),
            med(rs, &|r| r.sql.1.as_secs_f64() * 1000.0),
            med(rs, &|r| r.sql.2.as_secs_f64() * 1000.0),
            med(rs, &|r| r.sql.0),
            med(rs, &Round::hub_over_sql),
        );
    }
    println!(
        "\nEvery round (hub ÷ PostGraphile, hub p50 ÷ own SQL p50, hub p99 ÷ p50; req/s of the hub, PostGraphile, pgbench):\n"
    );
    println!(
        "| query | round | hub ÷ PostGraphile | hub ÷ own SQL | hub p99 ÷ p50 | req/s hub / PostGraphile / pgbench |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    for (name, rs) in &rounds {
        for (i, r) in rs.iter().enumerate() {
            println!(
                "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.0} / {:.0} / {:.0} |",
                i + 1,
                r.hub_over_graphile(),
                r.hub_over_sql(),
                r.hub_tail(),
                r.hub.throughput(),
                r.graphile.throughput(),
                r.sql.0
            );
        }
    }
    for (name, rs) in &rounds {
        let errors: usize = rs.iter().map(|r| r.graphile.errors).sum();
        let hub_errors: usize = rs.iter().map(|r| r.hub.errors).sum();
        if errors + hub_errors > 0 {
            println!("  errors on {name}: hub {hub_errors}, PostGraphile {errors}");
        }
    }
    for (name, statements) in own_sql {
        println!("\nThe hub's statements for {name}:");
        for s in statements {
            println!("    {s}");
        }
    }
    Ok(())
}

fn backend_label(backend: &str) -> &'static str {
    if backend.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// The database for this scale: reused when already seeded (unless `--fresh`), otherwise seeded
/// with the release binary, timing the seed.
async fn prepare_database(args: &Args, exe: &str) -> anyhow::Result<String> {
    let url = if args.backend.starts_with("postgres") {
        let server = args.backend.trim_end_matches('/');
        let name = format!("audit_hub_bench_s{}", args.scale);
        let admin = Db::connect(&ConnectOptions {
            url: format!("{server}/postgres"),
            max_connections: 1,
            statement_timeout: None,
        })
        .await?;
        if args.fresh {
            audit_hub::store::maintenance(
                &admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await?;
        }
        let exists = admin
            .scalar_i64(
                &Query::select()
                    .expr(Func::count(Expr::col("datname")))
                    .from("pg_database")
                    .and_where(Expr::col("datname").eq(name.as_str()))
                    .to_owned(),
            )
            .await?;
        if exists == 0 {
            audit_hub::store::maintenance(&admin, &format!("CREATE DATABASE {name}")).await?;
        }
        admin.close().await;
        format!("{server}/{name}")
    } else {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench");
        std::fs::create_dir_all(&dir)?;
        let file = dir.join(format!("scale-{}.db", args.scale));
        if args.fresh {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        format!("sqlite://{}", file.display())
    };
    let db = Db::connect(&ConnectOptions {
        url: url.clone(),
        max_connections: 1,
        statement_timeout: None,
    })
    .await?;
    db.migrate().await?;
    let amounts = db
        .scalar_i64(
            &Query::select()
                .expr(Func::count(Expr::col("id")))
                .from("budget_amounts")
                .to_owned(),
        )
        .await?;
    db.close().await;
    if amounts == 0 {
        let started = Instant::now();
        let status = tokio::process::Command::new(exe)
            .args(["seed", "--demo", "--scale", &args.scale.to_string()])
            .env("DATABASE_URL", &url)
            .stdout(Stdio::null())
            .status()
            .await?;
        anyhow::ensure!(status.success(), "seed failed");
        println!(
            "seed --demo --scale {} on {}: {:.1} s",
            args.scale,
            backend_label(&args.backend),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(url)
}

/// The mix of DESIGN's dashboards and ad-hoc reads, each scoped query beside its unscoped twin
/// (a national caller reading the same slice through an explicit filter, as in
/// `tests/golden/principals.json`).
async fn probes(db: &Db, year: i64) -> Vec<Probe> {
    let national = caller(db, "PARLIAMENT", "").await;
    let maslikhat = caller(db, "MASLIKHAT", "110000000").await;
    let police = caller(db, "POLICE_INTERNAL_AUDIT", "35").await;
    let commission = caller(db, "REVISION_COMMISSION", "75").await;
    let regional_slice =
        |prefix: &str| json!({ "katoPrefix": prefix, "levels": ["REGIONAL", "DISTRICT", "RURAL"] });
    let with_year = |mut slice: Value| {
        slice["years"] = json!([year]);
        slice
    };
    let dashboard = "query($f: BudgetLineFilter) { budgetSummary(groupBy: [ADMINISTRATOR, PHASE], filter: $f) { key { administrator phase } amount lineCount } }";
    let summary = "query($f: BudgetLineFilter) { budgetSummary(groupBy: [REGION, PHASE], filter: $f) { key { region phase } amount lineCount } }";
    let lines = "query($f: BudgetLineFilter) { budgetLines(first: 100, filter: $f) { edges { node { id year level territory administrator program phase amount } } pageInfo { hasNextPage endCursor } } }";
    let objects = "query($f: InformatizationObjectFilter) { informatizationObjects(first: 100, filter: $f) { edges { node { id name stage owner { name } documents { id title sizeBytes } fundingLines { year program } } } } }";
    let police_slice =
        json!({ "katoPrefix": "350000000", "levels": ["REGIONAL"], "administrators": ["252"] });
    let probe = |name, token: &String, query: &str, variables| Probe {
        name,
        token: token.clone(),
        query: query.to_owned(),
        variables,
    };
    vec![
        probe(
            "region dashboard (scoped)",
            &maslikhat,
            dashboard,
            json!({ "f": { "years": [year] } }),
        ),
        probe(
            "region dashboard (unscoped)",
            &national,
            dashboard,
            json!({ "f": with_year(regional_slice("11")) }),
        ),
        probe(
            "national summary",
            &national,
            summary,
            json!({ "f": { "years": [year] } }),
        ),
        probe(
            "police budgetLines page (scoped)",
            &police,
            lines,
            json!({ "f": { "years": [year] } }),
        ),
        probe(
            "police budgetLines page (unscoped)",
            &national,
            lines,
            json!({ "f": with_year(police_slice) }),
        ),
        probe(
            "100 objects with documents and funding (scoped)",
            &commission,
            objects,
            json!({}),
        ),
        probe(
            "100 objects with documents and funding (unscoped)",
            &national,
            objects,
            json!({ "f": { "katoPrefix": "75" } }),
        ),
        probe("me", &maslikhat, "{ me { user { id } scope } }", json!({})),
    ]
}

/// A token for the head of the first `kind` organization under `kato`, given grants if the demo
/// data left them without.
async fn caller(db: &Db, kind: &str, kato: &str) -> String {
    let user = common::user_of(db, kind, kato, true).await;
    let grants = db
        .scalar_i64(
            &Query::select()
                .expr(Func::count(Expr::col("id")))
                .from("access_grants")
                .and_where(Expr::col("user_id").eq(user.id))
                .to_owned(),
        )
        .await
        .unwrap_or(0);
    if grants == 0 {
        common::grant_both_systems(db, user.id).await;
    }
    common::token(&user.iin)
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not start")
}

/// Runs `p` from `concurrency` clients: one second of warm-up, then `seconds` measured.
async fn drive(
    client: &reqwest::Client,
    base: &str,
    p: &Probe,
    concurrency: usize,
    seconds: u64,
) -> Measured {
    let body = Arc::new(json!({ "query": p.query, "variables": p.variables }).to_string());
    let url = Arc::new(format!("{base}/graphql"));
    let run = |until: Instant| {
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, body, url, token) =
                (client.clone(), body.clone(), url.clone(), p.token.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                while Instant::now() < until {
                    let started = Instant::now();
                    let ok = match client
                        .post(url.as_str())
                        .bearer_auth(&token)
                        .header("Content-Type", "application/json")
                        .body(body.as_str().to_owned())
                        .send()
                        .await
                    {
                        Ok(r) if r.status().is_success() => match r.bytes().await {
                            // A vectorised search: the load generator shares the cores with the
                            // server, and a byte-by-byte scan of a 16 kB page cost a tenth of
                            // its own time.
                            Ok(b) => memchr::memmem::find(&b, b"\"errors\":").is_none(),
                            Err(_) => false,
                        },
                        _ => false,
                    };
                    if ok {
                        latencies.push(started.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            }));
        }
        tasks
    };
    for t in run(Instant::now() + Duration::from_secs(1)) {
        let _ = t.await;
    }
    let started = Instant::now();
    let mut m = Measured {
        latencies: Vec::new(),
        errors: 0,
        elapsed: Duration::ZERO,
        audit_wait: None,
    };
    for t in run(started + Duration::from_secs(seconds)) {
        if let Ok((l, e)) = t.await {
            m.latencies.extend(l);
            m.errors += e;
        }
    }
    m.elapsed = started.elapsed();
    m
}

/// The sum (seconds) and count of the server's audit waits so far, from `/metrics`.
async fn audit_waits(client: &reqwest::Client, base: &str) -> Option<(f64, f64)> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |name: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
    };
    Some((
        value("audit_hub_audit_append_seconds_sum ")?,
        value("audit_hub_audit_append_seconds_count ")?,
    ))
}

/// Peak resident memory of process `pid` (Linux `VmHWM`).
fn peak_memory(pid: u32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.0} MB", kb / 1024.0))
}
