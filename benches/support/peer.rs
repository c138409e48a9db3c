//! The benchmark's peers (`--peer`, PostgreSQL): PostGraphile over the same database with
//! row-level security doing the scoping (`benches/peer/`), and the hub's own SQL statements run
//! directly with `pgbench`.
//!
//! The hub's statements are captured, not rewritten: a short-lived hub process serves each
//! query once while PostgreSQL logs every statement of the benchmark database
//! (`log_min_duration_statement = 0`), and the data reads of that request (its `execute` lines
//! with their parameters) become the request's `pgbench` script.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use audit_hub::store::{Db, maintenance};
use serde_json::Value;
use tokio::io::AsyncBufReadExt;

/// The PostgreSQL server's log (Debian's `pg_ctlcluster` writes it under /var/log/postgresql):
/// the newest `.log` file there.
pub fn server_log() -> anyhow::Result<PathBuf> {
    let mut logs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir("/var/log/postgresql")?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    logs.sort();
    logs.pop()
        .map(|(_, p)| p)
        .ok_or_else(|| anyhow::anyhow!("no PostgreSQL log under /var/log/postgresql"))
}

/// Installs the peer's schema and row-level security (`benches/peer/scope.sql`).
pub async fn install(db: &Db) -> anyhow::Result<()> {
    let sql = std::fs::read_to_string(peer_dir().join("scope.sql"))?;
    maintenance(db, &sql).await?;
    Ok(())
}

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer")
}

/// Turns PostgreSQL's logging of every statement of `database` on or off (new connections).
pub async fn log_statements(admin: &Db, database: &str, on: bool) -> anyhow::Result<()> {
    let sql = if on {
        format!("ALTER DATABASE {database} SET log_min_duration_statement = 0")
    } else {
        format!("ALTER DATABASE {database} RESET log_min_duration_statement")
    };
    maintenance(admin, &sql).await?;
    Ok(())
}

/// A statement the hub ran, with the literal of each of its parameters (`$1`, `$2`, ...).
pub struct Logged {
    /// The text as prepared, placeholders kept.
    pub sql: String,
    /// `'2026'`, `NULL`, ... in placeholder order.
    pub params: Vec<String>,
}

impl std::fmt::Display for Logged {
    /// The statement with its parameters written in, for reading.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&substitute(&self.sql, &self.params))
    }
}

/// The data statements `database` ran from byte `from` of `log` on, with their parameters: the
/// hub's own SQL for the request served meanwhile. The audit trail, the caller epoch and
/// transaction control are left out: they are the server's cost, not the query's.
pub fn statements_since(log: &Path, from: u64, database: &str) -> anyhow::Result<Vec<Logged>> {
    let bytes = std::fs::read(log)?;
    let text =
        String::from_utf8_lossy(&bytes[usize::try_from(from)?.min(bytes.len())..]).into_owned();
    let tag = format!("@{database} ");
    let mut out: Vec<Logged> = Vec::new();
    let mut pending: Option<String> = None;
    for line in text.lines().filter(|l| l.contains(&tag)) {
        if let Some(at) = line.find("DETAIL:  parameters: ") {
            if let Some(sql) = pending.take() {
                let params = parameters(&line[at + "DETAIL:  parameters: ".len()..]);
                out.push(Logged { sql, params });
            }
            continue;
        }
        if let Some(sql) = pending.take() {
            out.push(Logged {
                sql,
                params: Vec::new(),
            });
        }
        let Some(at) = line.find(" execute ") else {
            continue;
        };
        let Some(colon) = line[at..].find(": ") else {
            continue;
        };
        let sql = line[at + colon + 2..].trim().to_owned();
        let lower = sql.to_lowercase();
        let skip = [
            "audit_events",
            "audit_hub_chain_head",
            "audit_hub_append_after",
            "change_epochs",
            "policy_revisions",
            "pg_notify",
        ]
        .iter()
        .any(|t| lower.contains(t))
            || !lower.starts_with("select");
        if !skip {
            pending = Some(sql);
        }
    }
    out.extend(pending.map(|sql| Logged {
        sql,
        params: Vec::new(),
    }));
    Ok(out)
}

/// `$1 = '2026', $2 = NULL` as the literal of each parameter in order (quotes kept).
fn parameters(detail: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = detail.trim();
    while let Some(eq) = rest.find(" = ") {
        rest = &rest[eq + 3..];
        if let Some(r) = rest.strip_prefix("NULL") {
            out.push("NULL".to_owned());
            rest = r;
        } else if rest.starts_with('\'') {
            // A quoted literal, '' standing for one quote.
            let mut end = 1;
            let b = rest.as_bytes();
            while end < b.len() {
                if b[end] == b'\'' {
                    if b.get(end + 1) == Some(&b'\'') {
                        end += 2;
                        continue;
                    }
                    break;
                }
                end += 1;
            }
            out.push(rest[..=end.min(b.len() - 1)].to_owned());
            rest = &rest[(end + 1).min(rest.len())..];
        }
        rest = rest.trim_start_matches(", ");
    }
    out
}

fn substitute(sql: &str, params: &[String]) -> String {
    let mut sql = sql.to_owned();
    for (i, p) in params.iter().enumerate().rev() {
        sql = sql.replace(&format!("${}", i + 1), p);
    }
    sql
}

/// `statements` as one pgbench script run the way the hub runs them: prepared once per
/// connection, each parameter bound (a pgbench variable, set with `-D`) rather than written into
/// the text, so that PostgreSQL plans them as it plans the hub's. A NULL, which `-D` cannot
/// give, is written in.
fn script(statements: &[Logged]) -> (String, Vec<String>) {
    let mut body = String::new();
    let mut defines = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let mut sql = s.sql.clone();
        // From the last placeholder down, so that `$1` never matches the start of `$12`.
        for (k, p) in s.params.iter().enumerate().rev() {
            let placeholder = format!("${}", k + 1);
            if p == "NULL" {
                sql = sql.replace(&placeholder, p);
                continue;
            }
            let name = format!("s{i}p{}", k + 1);
            sql = sql.replace(&placeholder, &format!(":{name}"));
            let value = p
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(p)
                .replace("''", "'");
            defines.push(format!("{name}={value}"));
        }
        body.push_str(&sql);
        body.push_str(";\n");
    }
    (body, defines)
}

/// Requests/s and p50 of `statements` run as one script by `clients` pgbench clients for
/// `seconds` on `url` (a `postgres://` URL of the database).
pub async fn pgbench(
    url: &str,
    statements: &[Logged],
    clients: usize,
    seconds: u64,
    name: &str,
) -> anyhow::Result<(f64, Duration, Duration)> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("pgbench")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("script.sql");
    let (body, defines) = self::script(statements);
    std::fs::write(&script, body)?;
    let mut command = tokio::process::Command::new("pgbench");
    for d in &defines {
        command.arg("-D").arg(d);
    }
    let status = command
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
        ])
        .arg(seconds.to_string())
        .arg("-f")
        .arg(&script)
        .arg("-l")
        .arg(format!("--log-prefix={}", dir.join("log").display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .current_dir(&dir)
        .status()
        .await?;
    anyhow::ensure!(status.success(), "pgbench failed for {name}");
    let mut latencies: Vec<u64> = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("log."))
        {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            if let Some(us) = line.split_whitespace().nth(2).and_then(|f| f.parse().ok()) {
                latencies.push(us);
            }
        }
    }
    anyhow::ensure!(!latencies.is_empty(), "pgbench logged nothing for {name}");
    latencies.sort_unstable();
    let at = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        Duration::from_micros(latencies[i])
    };
    Ok((latencies.len() as f64 / seconds as f64, at(0.5), at(0.99)))
}

/// PostGraphile, started: its process (killed when dropped) and a JWT per caller
/// (`police`, `maslikhat`, `commission`).
pub struct PostGraphile {
    pub process: tokio::process::Child,
    pub tokens: Value,
}

/// Starts `benches/peer/server.js` (two workers) on `port` over `url`, installing its npm
/// packages first when they are missing.
pub async fn start_postgraphile(url: &str, port: u16) -> anyhow::Result<PostGraphile> {
    let dir = peer_dir();
    if !dir.join("node_modules").exists() {
        let status = tokio::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&dir)
            .status()
            .await?;
        anyhow::ensure!(status.success(), "npm ci in benches/peer failed");
    }
    let mut process = tokio::process::Command::new("node")
        .arg("server.js")
        .current_dir(&dir)
        .env("DATABASE_URL", url)
        .env("PORT", port.to_string())
        .env("JWT_SECRET", "audit-hub-bench-peer-secret-0123456789abcdef")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = process
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no output from PostGraphile"))?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let tokens = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                return Ok(v["tokens"].clone());
            }
        }
        anyhow::bail!("PostGraphile ended before listening")
    })
    .await??;
    Ok(PostGraphile { process, tokens })
}
