//! The audit writer: one task appends request events in batches (one transaction per batch, in
//! arrival order), and each request waits for its own event to be committed — if the event
//! cannot be written, the request fails instead of passing unrecorded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot, watch};

use super::{Event, StoredEvent, append_after, append_all_chained};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::{Backend, Db};

/// Events appended per transaction at most.
const BATCH: usize = 256;
/// Events waiting to be written before senders wait for room.
const QUEUE: usize = 4096;

/// Why an append failed: the cause, and whether it was the database being unreachable.
type Failure = (String, bool);

/// An event, the span of the request it records (so the writer's log lines about it carry its
/// request id), and where to say how its append went.
type Job = (Event, tracing::Span, oneshot::Sender<Result<i64, Failure>>);

/// Batches written since start: in one statement after the head the writer knew, and in a
/// transaction that read the head under the lock (the first, and any after another writer's).
#[derive(Debug, Default)]
struct Batches {
    after_head: AtomicU64,
    locked: AtomicU64,
}

/// Handle on the writer task.
#[derive(Clone)]
pub struct AuditWriter {
    jobs: mpsc::Sender<Job>,
    batches: Arc<Batches>,
    stopped: Stopped,
}

/// Whether the writer has stopped: its queue drained, its connections closed, its thread done.
/// Holding it does not keep the writer running (only [`AuditWriter`] handles do).
#[derive(Clone)]
pub struct Stopped(watch::Receiver<bool>);

impl Stopped {
    /// Whether the writer has stopped (or never started).
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }

    /// Waits until the writer has stopped, for at most `bound`; whether it did.
    pub async fn wait(mut self, bound: std::time::Duration) -> bool {
        // An error means the writer's thread is gone without saying so: stopped too.
        tokio::time::timeout(bound, self.0.wait_for(|stopped| *stopped))
            .await
            .is_ok()
    }
}

impl AuditWriter {
    /// Starts the writer over `db`, on a thread of its own.
    ///
    /// Every request waits for its event to be committed, so the writer's turnaround is part of
    /// every request's latency. On the request runtime, each of a batch's round trips waited its
    /// turn behind the requests' own work (under load, a batch took four times its database
    /// time); on its own thread, with its own connection, the writer is woken by the kernel as
    /// soon as the database answers (BENCHMARKS.md). It stops when the last handle is dropped.
    pub fn spawn(db: Db) -> AuditWriter {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let batches = Arc::new(Batches::default());
        let counts = batches.clone();
        let (done, stopped) = watch::channel(false);
        let started = std::thread::Builder::new()
            .name("audit-writer".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(runtime) => runtime.block_on(async move {
                        let own = db.twin(1);
                        drop(db);
                        run(own.clone(), rx, &counts).await;
                        own.close().await;
                        done.send_replace(true);
                    }),
                    // Without its runtime the writer cannot run: every request is refused
                    // (its event cannot be recorded), never served unrecorded.
                    Err(e) => tracing::error!(error = %e, "the audit writer could not start"),
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "the audit writer's thread could not start");
        }
        AuditWriter {
            jobs,
            batches,
            stopped: Stopped(stopped),
        }
    }

    /// Whether the writer has stopped: it stops once the last handle is dropped and every
    /// queued event is written, then closes its connections.
    pub fn stopped(&self) -> Stopped {
        self.stopped.clone()
    }

    /// Batches written since start: (after the head this writer knew, in one statement; under
    /// the lock, in a transaction).
    pub fn batches(&self) -> (u64, u64) {
        (
            self.batches.after_head.load(Ordering::Relaxed),
            self.batches.locked.load(Ordering::Relaxed),
        )
    }

    /// Events queued and not yet taken by the writer (the trail's lag behind the requests).
    pub fn pending(&self) -> usize {
        self.jobs.max_capacity() - self.jobs.capacity()
    }

    /// Records an event; returns its sequence number once committed.
    pub async fn record(&self, event: Event) -> AppResult<i64> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send((event, tracing::Span::current(), done))
            .await
            .map_err(|_| anyhow::anyhow!("audit writer stopped"))?;
        match wait.await {
            Ok(Ok(seq)) => Ok(seq),
            Ok(Err((_, true))) => Err(AppError::Unavailable),
            Ok(Err((cause, false))) => Err(AppError::Internal(anyhow::anyhow!(
                "audit write failed: {cause}"
            ))),
            Err(_) => Err(AppError::Internal(anyhow::anyhow!("audit writer stopped"))),
        }
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>, batches: &Batches) {
    // The chain's head as this writer last stored it: the next batch is chained to it and
    // appended in one statement while no other writer has appended since.
    let mut head: Option<(i64, String)> = None;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match write(
            &db,
            &mut head,
            batches,
            batch.iter().map(|(e, _, _)| e.clone()).collect(),
        )
        .await
        {
            Ok(seqs) => {
                for ((_, _, done), seq) in batch.into_iter().zip(seqs) {
                    let _ = done.send(Ok(seq));
                }
            }
            // One event the database refuses must not fail the others of its batch: each is
            // tried alone, and only those that fail again are refused. (Not when the database
            // is unreachable: then every one would wait out the pool in turn.)
            Err(e) if batch.len() > 1 && e.code() != ErrorCode::Unavailable => {
                tracing::warn!(error = %e, events = batch.len(), request_ids = %request_ids(&batch), "audit batch failed; appending its events one by one");
                for (event, span, done) in batch {
                    let written = write(&db, &mut head, batches, vec![event])
                        .await
                        .map_err(failure)
                        .and_then(|s| {
                            s.first()
                                .copied()
                                .ok_or_else(|| ("no sequence number".to_owned(), false))
                        });
                    if let Err((cause, _)) = &written {
                        span.in_scope(|| {
                            tracing::error!(error = %cause, "audit append failed; the request is refused");
                        });
                    }
                    let _ = done.send(written);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, request_ids = %request_ids(&batch), "audit write failed; the requests are refused");
                let failed = failure(e);
                for (_, _, done) in batch {
                    let _ = done.send(Err(failed.clone()));
                }
            }
        }
    }
}

/// The request ids of a batch's events, for a log line about all of them.
fn request_ids(batch: &[Job]) -> String {
    batch
        .iter()
        .filter_map(|(e, _, _)| e.request_id.as_deref())
        .collect::<Vec<_>>()
        .join(",")
}

fn failure(e: AppError) -> Failure {
    let unavailable = e.code() == ErrorCode::Unavailable;
    (e.to_string(), unavailable)
}

/// Appends `events`: in one statement after `head` when it is known and still the chain's head,
/// else in a transaction that reads the head under the lock. `head` is left as stored, or
/// unknown after a failure.
async fn write(
    db: &Db,
    head: &mut Option<(i64, String)>,
    batches: &Batches,
    events: Vec<Event>,
) -> AppResult<Vec<i64>> {
    // Only PostgreSQL appends after a known head (SQLite's appends are local transactions):
    // elsewhere the batch is neither copied nor chained twice.
    let known = head.take().filter(|_| db.backend() == Backend::Postgres);
    let after_head = match known {
        Some(known) => append_after(db, known, events.clone()).await?,
        None => None,
    };
    let stored = match after_head {
        Some(stored) => {
            batches.after_head.fetch_add(1, Ordering::Relaxed);
            stored
        }
        None => {
            let stored = in_transaction(db, events).await?;
            batches.locked.fetch_add(1, Ordering::Relaxed);
            stored
        }
    };
    *head = stored.last().map(|e| (e.seq, e.hash.clone()));
    Ok(stored.iter().map(|e| e.seq).collect())
}

async fn in_transaction(db: &Db, events: Vec<Event>) -> AppResult<Vec<StoredEvent>> {
    let mut tx = db.begin_audit().await?;
    let stored = append_all_chained(&mut tx, events).await?;
    tx.commit().await?;
    Ok(stored)
}
