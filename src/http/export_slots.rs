//! Room for line exports: a server-wide number of slots (each export holds a pooled connection
//! for its snapshot) and a number per caller, so one caller cannot take every slot; and the idle
//! cut-off, which ends an export whose client stops reading, on every backend.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{Stream, StreamExt};
use poem::Body;

/// Concurrent exports each caller may run by default.
pub const DEFAULT_PER_CALLER: usize = 1;
/// How long an export waits for its client to take the next chunk by default.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(60);

/// The slots of a server.
pub struct ExportSlots {
    server: Arc<tokio::sync::Semaphore>,
    per_caller: usize,
    running: Arc<Mutex<HashMap<i64, usize>>>,
}

/// A held slot: the server's and the caller's, released together on drop.
pub struct Slot {
    _server: tokio::sync::OwnedSemaphorePermit,
    running: Arc<Mutex<HashMap<i64, usize>>>,
    caller: i64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut running) = self.running.lock()
            && let Some(n) = running.get_mut(&self.caller)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.caller);
            }
        }
    }
}

impl ExportSlots {
    /// `server` slots in all, `per_caller` for each caller.
    pub fn new(server: usize, per_caller: usize) -> ExportSlots {
        ExportSlots {
            server: Arc::new(tokio::sync::Semaphore::new(server.max(1))),
            per_caller: per_caller.max(1),
            running: Arc::default(),
        }
    }

    /// A slot for `caller` (a user id), or `None` when the caller's own or every slot is taken.
    pub fn try_take(&self, caller: i64) -> Option<Slot> {
        let mut running = self.running.lock().ok()?;
        let mine = running.entry(caller).or_insert(0);
        if *mine >= self.per_caller {
            return None;
        }
        let permit = self.server.clone().try_acquire_owned().ok()?;
        *mine += 1;
        Some(Slot {
            _server: permit,
            running: self.running.clone(),
            caller,
        })
    }
}

/// A body fed from `chunks` by a task of its own: when the client has not taken a chunk for
/// `idle`, the task stops and drops what `chunks` holds (the snapshot and its slot), and the
/// client sees a cut transfer.
pub fn with_idle_cutoff<S>(chunks: S, idle: Duration) -> Body
where
    S: Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(1);
    tokio::spawn(async move {
        let mut chunks = std::pin::pin!(chunks);
        while let Some(chunk) = chunks.next().await {
            match tokio::time::timeout(idle, tx.send(chunk)).await {
                Ok(Ok(())) => {}
                // The client went away.
                Ok(Err(_)) => return,
                Err(_) => {
                    tracing::warn!(idle = ?idle, "an export's client stopped reading; ending it");
                    return;
                }
            }
        }
    });
    let received = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    Body::from_bytes_stream(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_caller_gets_its_share_and_slots_come_back() {
        let slots = ExportSlots::new(3, 1);
        let a = slots.try_take(1).expect("a first slot");
        assert!(slots.try_take(1).is_none(), "one per caller");
        let b = slots.try_take(2).expect("another caller");
        let _c = slots.try_take(3).expect("a third caller");
        assert!(slots.try_take(4).is_none(), "every slot taken");
        drop(a);
        assert!(slots.try_take(1).is_some(), "released on drop");
        drop(b);
    }
}
