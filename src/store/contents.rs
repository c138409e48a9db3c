//! Document files by their SHA-256 (content-addressed), kept in chunks of at most
//! [`CHUNK_BYTES`]: a file of any size is written and served a chunk at a time, inside the
//! database's transactions and on every server and replica alike.

use std::collections::HashMap;

use sea_query::{Expr, ExprTrait, Query};

use super::bulk::insert_rows;
use super::schema::{DocumentChunks, DocumentContents};
use super::{Db, Tx};
use crate::error::AppResult;

/// The largest chunk: one row of `document_chunks`, and what a download or an import holds of
/// a file at a time.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// The sizes of those of `sha256s` that are stored.
pub async fn sizes(tx: &mut Tx, sha256s: &[String]) -> AppResult<HashMap<String, i64>> {
    #[derive(sqlx::FromRow)]
    struct Key {
        sha256: String,
        size_bytes: i64,
    }
    let mut found = HashMap::new();
    // Bounded IN lists: a large objects file names thousands of files.
    for part in sha256s.chunks(500) {
        let q = Query::select()
            .columns([DocumentContents::Sha256, DocumentContents::SizeBytes])
            .from(DocumentContents::Table)
            .and_where(Expr::col(DocumentContents::Sha256).is_in(part.iter().map(String::as_str)))
            .to_owned();
        found.extend(
            tx.all::<Key>(&q)
                .await?
                .into_iter()
                .map(|k| (k.sha256, k.size_bytes)),
        );
    }
    Ok(found)
}

/// Records a file of `size_bytes` under `sha256`; its chunks follow with [`put_chunk`], in the
/// same transaction.
pub async fn put_head(tx: &mut Tx, sha256: &str, size_bytes: u64) -> AppResult<()> {
    let size = i64::try_from(size_bytes).unwrap_or(i64::MAX);
    insert_rows(
        tx,
        DocumentContents::Table,
        &[DocumentContents::Sha256, DocumentContents::SizeBytes],
        vec![vec![sha256.into(), size.into()]],
    )
    .await
}

/// Writes chunk number `seq` (from 0) of the file `sha256`.
pub async fn put_chunk(tx: &mut Tx, sha256: &str, seq: i64, bytes: Vec<u8>) -> AppResult<()> {
    insert_rows(
        tx,
        DocumentChunks::Table,
        &[
            DocumentChunks::Sha256,
            DocumentChunks::Seq,
            DocumentChunks::Bytes,
        ],
        vec![vec![sha256.into(), seq.into(), bytes.into()]],
    )
    .await
}

/// Stores files held in memory (the demo's generated documents) that are not stored yet, in
/// multi-row inserts.
pub async fn put_all(tx: &mut Tx, files: Vec<(String, Vec<u8>)>) -> AppResult<()> {
    let keys: Vec<String> = files.iter().map(|(sha, _)| sha.clone()).collect();
    let present = sizes(tx, &keys).await?;
    let mut heads = Vec::new();
    let mut chunks = Vec::new();
    for (sha, bytes) in files {
        if present.contains_key(&sha) {
            continue;
        }
        heads.push(vec![sha.clone().into(), (bytes.len() as i64).into()]);
        for (seq, chunk) in bytes.chunks(CHUNK_BYTES).enumerate() {
            chunks.push(vec![
                sha.clone().into(),
                (seq as i64).into(),
                chunk.to_vec().into(),
            ]);
        }
    }
    insert_rows(
        tx,
        DocumentContents::Table,
        &[DocumentContents::Sha256, DocumentContents::SizeBytes],
        heads,
    )
    .await?;
    insert_rows(
        tx,
        DocumentChunks::Table,
        &[
            DocumentChunks::Sha256,
            DocumentChunks::Seq,
            DocumentChunks::Bytes,
        ],
        chunks,
    )
    .await
}

/// The size of a stored file; `None` when it is not stored.
pub async fn size(db: &Db, sha256: &str) -> AppResult<Option<i64>> {
    #[derive(sqlx::FromRow)]
    struct Size {
        size_bytes: i64,
    }
    let q = Query::select()
        .column(DocumentContents::SizeBytes)
        .from(DocumentContents::Table)
        .and_where(Expr::col(DocumentContents::Sha256).eq(sha256))
        .to_owned();
    Ok(db.optional::<Size>(&q).await?.map(|s| s.size_bytes))
}

/// Chunk number `seq` of the file `sha256`; `None` past the last.
pub async fn chunk(db: &Db, sha256: &str, seq: i64) -> AppResult<Option<Vec<u8>>> {
    #[derive(sqlx::FromRow)]
    struct Chunk {
        bytes: Vec<u8>,
    }
    let q = Query::select()
        .column(DocumentChunks::Bytes)
        .from(DocumentChunks::Table)
        .and_where(Expr::col(DocumentChunks::Sha256).eq(sha256))
        .and_where(Expr::col(DocumentChunks::Seq).eq(seq))
        .to_owned();
    Ok(db.optional::<Chunk>(&q).await?.map(|c| c.bytes))
}

/// The first bytes (at most 8) of the stored file `sha256`, for a format check; `None` when it
/// is not stored.
pub async fn head(tx: &mut Tx, sha256: &str) -> AppResult<Option<Vec<u8>>> {
    #[derive(sqlx::FromRow)]
    struct Chunk {
        bytes: Vec<u8>,
    }
    let q = Query::select()
        .column(DocumentChunks::Bytes)
        .from(DocumentChunks::Table)
        .and_where(Expr::col(DocumentChunks::Sha256).eq(sha256))
        .and_where(Expr::col(DocumentChunks::Seq).eq(0))
        .to_owned();
    Ok(tx
        .optional::<Chunk>(&q)
        .await?
        .map(|c| c.bytes.into_iter().take(8).collect()))
}
