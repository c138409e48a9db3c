//! Document files of an objects import: found in the documents directory, checked (size,
//! SHA-256, format) and then stored, each read a chunk at a time so that a file of any size
//! costs the importer one chunk of memory.

use std::path::{Component, Path, PathBuf};

use indicatif::ProgressBar;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::domain::object::DocumentFormat;
use crate::error::{AppError, Expected};
use crate::store::Tx;
use crate::store::contents::{self, CHUNK_BYTES};

/// The largest document file an import takes.
pub const MAX_DOCUMENT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// What a file in the documents directory is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Its first bytes (for the format check).
    head: Vec<u8>,
}

impl Inspected {
    /// Whether the file looks like `format` (see [`is_format`]).
    pub fn is_format(&self, format: DocumentFormat) -> bool {
        is_format(&self.head, format)
    }
}

/// Whether a file starting with `head` looks like `format`: a PDF starts with `%PDF-`, a DOCX
/// is a ZIP package.
pub fn is_format(head: &[u8], format: DocumentFormat) -> bool {
    match format {
        DocumentFormat::PdfA1 => head.starts_with(b"%PDF-"),
        DocumentFormat::Docx => head.starts_with(b"PK\x03\x04"),
    }
}

/// Every file the documents name, looked for and read through once before the import's
/// transaction begins (hashing gigabytes must not hold the import's lock): by path as the
/// documents table gives it.
pub type Inspections = std::collections::HashMap<String, Result<(PathBuf, Inspected), Expected>>;

/// Inspects each of `relatives` in `dir` (see [`Inspections`]).
pub async fn inspect_all(dir: &Path, relatives: impl IntoIterator<Item = String>) -> Inspections {
    let mut out = Inspections::new();
    for relative in relatives {
        if out.contains_key(&relative) {
            continue;
        }
        let found = match locate(dir, &relative) {
            Ok(path) => inspect(&path, &relative).await.map(|i| (path, i)),
            Err(e) => Err(e),
        };
        out.insert(relative, found);
    }
    out
}

/// `relative` under `dir`, when it is a relative path that stays inside (no root, no `..`).
pub fn resolve(dir: &Path, relative: &str) -> Option<PathBuf> {
    let path = Path::new(relative);
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && !relative.is_empty()).then(|| dir.join(path))
}

/// The regular file `relative` names in `dir`, with every link followed: a path that leaves
/// the directory (`..`, a root, or a symbolic link pointing outside) is refused, and so is
/// anything but a regular file (a pipe would hang the import).
pub fn locate(dir: &Path, relative: &str) -> Result<PathBuf, Expected> {
    let missing = || Expected::DocumentFile(relative.to_owned());
    let joined = resolve(dir, relative).ok_or(Expected::RelativePath)?;
    let root = std::fs::canonicalize(dir).map_err(|_| missing())?;
    let real = std::fs::canonicalize(&joined).map_err(|_| missing())?;
    if !real.starts_with(&root) {
        return Err(Expected::RelativePath);
    }
    match std::fs::metadata(&real) {
        Ok(m) if m.is_file() => Ok(real),
        _ => Err(missing()),
    }
}

/// Reads `path` (`relative` in the documents directory, as [`locate`] found it) through once:
/// its size, SHA-256 and first bytes. `Err` says what was expected of it (present, or not too
/// large).
pub async fn inspect(path: &Path, relative: &str) -> Result<Inspected, Expected> {
    let missing = || Expected::DocumentFile(relative.to_owned());
    let Ok(mut file) = tokio::fs::File::open(path).await else {
        return Err(missing());
    };
    let mut hash = Sha256::new();
    let mut buf = vec![0_u8; CHUNK_BYTES];
    let mut head = Vec::new();
    let mut size: u64 = 0;
    loop {
        let n = file.read(&mut buf).await.map_err(|_| missing())?;
        if n == 0 {
            break;
        }
        if head.len() < 8 {
            head.extend(buf[..n].iter().take(8 - head.len()));
        }
        size += n as u64;
        if size > MAX_DOCUMENT_BYTES {
            return Err(Expected::FileSize(MAX_DOCUMENT_BYTES));
        }
        hash.update(&buf[..n]);
    }
    Ok(Inspected {
        size,
        sha256: hex::encode(hash.finalize()),
        head,
    })
}

/// Why storing a file failed.
#[derive(Debug)]
pub enum StoreError {
    /// The file changed since it was checked (other size or SHA-256): nothing is kept.
    Changed,
    /// Reading or writing failed.
    Failed(AppError),
}

impl From<AppError> for StoreError {
    fn from(e: AppError) -> Self {
        StoreError::Failed(e)
    }
}

/// Fills `buf` from `file` as far as it goes; the number of bytes read (less than the buffer
/// only at the end of the file).
async fn fill(file: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// Stores the file at `path`, checked earlier as `expected`, under its SHA-256 in `tx`, one
/// chunk at a time; the bytes are hashed again as they are written, and a file that changed in
/// between is refused (the transaction then rolls back).
pub async fn store(
    tx: &mut Tx,
    path: &Path,
    expected: &Inspected,
    progress: &ProgressBar,
) -> Result<(), StoreError> {
    let io = |e: std::io::Error| {
        StoreError::Failed(AppError::from(anyhow::anyhow!(
            "reading {}: {e}",
            path.display()
        )))
    };
    let mut file = tokio::fs::File::open(path).await.map_err(io)?;
    contents::put_head(tx, &expected.sha256, expected.size).await?;
    let mut hash = Sha256::new();
    let mut size: u64 = 0;
    let mut seq: i64 = 0;
    let mut buf = vec![0_u8; CHUNK_BYTES];
    loop {
        let n = fill(&mut file, &mut buf).await.map_err(io)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        if size > expected.size {
            return Err(StoreError::Changed);
        }
        hash.update(&buf[..n]);
        contents::put_chunk(tx, &expected.sha256, seq, buf[..n].to_vec()).await?;
        progress.inc(n as u64);
        seq += 1;
    }
    if size != expected.size || hex::encode(hash.finalize()) != expected.sha256 {
        return Err(StoreError::Changed);
    }
    Ok(())
}
