//! `--documents-mb N`: the memory of a large document's way in and out. Loads the sample
//! registers, imports the sample objects with a 1 KB document, then again with a document of N
//! MB, and downloads both from a running release server; reports the importer's peak memory for
//! each import and the server's peak memory after each download, so that a flat profile shows as
//! equal rows.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use audit_hub::store::bulk::insert_rows;
use audit_hub::store::schema::{AccessGrants, TrainingRecords};
use audit_hub::store::{ConnectOptions, Db};
use futures::StreamExt;
use sea_query::{Expr, ExprTrait, Query};
use sha2::{Digest, Sha256};

const FORMATS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/formats");
/// The sample district maslikhat's head: reads the sample akimat's documents.
const READER_IIN: &str = "850101400100";
const TOKEN_KEY: &str = "bench-signing-key-0123456789abcdef";

/// Writes `mb` MiB of a PDF-headed pseudo-random file a MiB at a time; its SHA-256.
fn write_file(path: &Path, mb: usize) -> anyhow::Result<String> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut hash = Sha256::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0_u8; 1024 * 1024];
    for i in 0..mb.max(1) {
        for b in block.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        if i == 0 {
            block[..9].copy_from_slice(b"%PDF-1.4\n");
        }
        let part = if mb == 0 { &block[..1024] } else { &block[..] };
        hash.update(part);
        out.write_all(part)?;
    }
    out.flush()?;
    Ok(hex::encode(hash.finalize()))
}

async fn grant(url: &str) -> anyhow::Result<()> {
    let db = Db::connect(&ConnectOptions {
        url: url.to_owned(),
        max_connections: 1,
        statement_timeout: None,
    })
    .await?;
    let user = audit_hub::store::users::by_iin(&db, READER_IIN)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the sample head is not registered"))?;
    let today = chrono::Utc::now().date_naive();
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    let rows = ["ANALYTICS_CENTER", "STATE_PLANNING"]
        .iter()
        .map(|s| {
            vec![
                user.id.into(),
                (*s).into(),
                (today - chrono::Days::new(1)).into(),
                (today + chrono::Days::new(300)).into(),
                "ACTIVE".into(),
                now.into(),
            ]
        })
        .collect();
    insert_rows(
        &mut tx,
        AccessGrants::Table,
        &[
            AccessGrants::UserId,
            AccessGrants::System,
            AccessGrants::ValidFrom,
            AccessGrants::ValidUntil,
            AccessGrants::Status,
            AccessGrants::GrantedAt,
        ],
        rows,
    )
    .await?;
    insert_rows(
        &mut tx,
        TrainingRecords::Table,
        &[
            TrainingRecords::UserId,
            TrainingRecords::CompletedOn,
            TrainingRecords::Language,
            TrainingRecords::RecordedAt,
            TrainingRecords::ReportDue,
        ],
        vec![vec![
            user.id.into(),
            today.into(),
            "KK".into(),
            now.into(),
            now.into(),
        ]],
    )
    .await?;
    tx.commit().await?;
    db.close().await;
    Ok(())
}

async fn document_id(url: &str, file_name: &str) -> anyhow::Result<i64> {
    let db = Db::connect(&ConnectOptions {
        url: url.to_owned(),
        max_connections: 1,
        statement_timeout: None,
    })
    .await?;
    let q = Query::select()
        .column("id")
        .from("documents")
        .and_where(Expr::col("file_name").eq(file_name))
        .to_owned();
    let id = db.scalar_i64(&q).await?;
    db.close().await;
    Ok(id)
}

/// The memory benchmark of documents (see the module's comment).
pub async fn documents(exe: &str, url: &str, dir: &Path, mb: usize) -> anyhow::Result<()> {
    let run = async |args: &[&str]| super::run(exe, url, args).await;
    run(&["migrate"]).await?;
    for (what, file) in [
        ("kato", "kato.csv"),
        ("organizations", "organizations.csv"),
        ("budget", "budget.csv"),
    ] {
        run(&["import", what, &format!("{FORMATS}/{file}")]).await?;
    }
    let tables = dir.join("objects-tables");
    let files = dir.join("objects-files");
    std::fs::create_dir_all(&tables)?;
    std::fs::create_dir_all(&files)?;
    std::fs::copy(
        format!("{FORMATS}/objects/objects.csv"),
        tables.join("objects.csv"),
    )?;
    write_file(&files.join("small.pdf"), 0)?;
    let big_sha = write_file(&files.join("big.pdf"), mb)?;
    let header = "account_code,doc_type,title,version,language,format,file_name\n";
    let small = "AP-353200-0001,CONTRACT,Small,1.0,RU,PDF_A_1,small.pdf\n";
    let big = "AP-353200-0001,TECHNICAL_PROJECT,Big,1.0,RU,PDF_A_1,big.pdf\n";

    println!("\n## Documents of {mb} MB\n");
    println!("| step | seconds | peak memory |");
    println!("|---|---:|---:|");
    let mb_of =
        |kb: Option<f64>| kb.map_or("unknown".to_owned(), |kb| format!("{:.0} MB", kb / 1024.0));
    let (t, peak) = run(&import_args(&tables, &files, &format!("{header}{small}"))?
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>())
    .await?;
    println!(
        "| import with a 1 KB document | {:.1} | {} |",
        t.as_secs_f64(),
        mb_of(peak)
    );
    let (t, peak) = run(
        &import_args(&tables, &files, &format!("{header}{small}{big}"))?
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .await?;
    println!(
        "| import adding a {mb} MB document | {:.1} | {} |",
        t.as_secs_f64(),
        mb_of(peak)
    );

    grant(url).await?;
    let port = 18_000 + (std::process::id() % 1000) as u16;
    let mut server = tokio::process::Command::new(exe)
        .args([
            "serve",
            "--allow-operator-tokens",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("DATABASE_URL", url)
        .env("AUDIT_HUB_TOKEN_KEY", TOKEN_KEY)
        .env("AUDIT_HUB_LOG", "error")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = server.id().unwrap_or(0);
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let token = tokio::process::Command::new(exe)
        .args(["token", "--iin", READER_IIN])
        .env("DATABASE_URL", url)
        .env("AUDIT_HUB_TOKEN_KEY", TOKEN_KEY)
        .env("AUDIT_HUB_LOG", "error")
        .output()
        .await?;
    let token = String::from_utf8(token.stdout)?.trim().to_owned();
    for (name, file, sha) in [
        ("1 KB", "small.pdf", None),
        (&*format!("{mb} MB"), "big.pdf", Some(&big_sha)),
    ] {
        let id = document_id(url, file).await?;
        let started = Instant::now();
        let resp = client
            .get(format!("{base}/documents/{id}/content"))
            .bearer_auth(&token)
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "download of {file}: {}",
            resp.status()
        );
        let mut body = resp.bytes_stream();
        let mut hash = Sha256::new();
        let mut bytes = 0_u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            bytes += chunk.len() as u64;
            hash.update(&chunk);
        }
        let took = started.elapsed();
        if let Some(sha) = sha {
            anyhow::ensure!(
                hex::encode(hash.finalize()) == *sha,
                "{file} came back different"
            );
        }
        println!(
            "| server after downloading the {name} document ({bytes} bytes) | {:.1} | {} |",
            took.as_secs_f64(),
            mb_of(super::peak_kb(pid))
        );
    }
    server.kill().await?;
    Ok(())
}

/// Writes the documents table and gives the import command's arguments.
fn import_args(tables: &Path, files: &Path, documents_csv: &str) -> anyhow::Result<Vec<String>> {
    std::fs::write(tables.join("documents.csv"), documents_csv)?;
    Ok(vec![
        "import".to_owned(),
        "objects".to_owned(),
        tables.display().to_string(),
        "--documents".to_owned(),
        files.display().to_string(),
    ])
}
