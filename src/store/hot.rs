//! PostgreSQL connections kept for the next statement after one that ran to completion, without
//! the pool's round trip on release.
//!
//! sqlx's pool pings every connection handed back to it (a Sync and its ReadyForQuery) before
//! anyone may take it again: one more round trip per request, and a wake-up of the server's
//! backend and of this process for it (BENCHMARKS.md measured it at a tenth of a police page's
//! throughput). The ping is there to flush what a dropped statement or transaction may have left
//! on the connection. A connection whose last statement ran to completion has nothing left to
//! flush, so it waits here instead, still checked out of the pool, and the next statement takes
//! it first. Anything else (a statement that failed or was cancelled, a transaction) goes back
//! the pool's own way, ping included.
//!
//! Rules that keep the pool's own guarantees:
//! - **No one waits while a connection waits here.** Every checkout (statements and
//!   transactions alike) looks here first. One that finds nothing waits both on the pool and in
//!   line here, and a connection handed back goes to the first in line before it is kept. Both
//!   steps happen under one lock, so a connection cannot slip in here just after a caller found
//!   nothing. (Handing it to the pool instead would ping it: a request that runs statements side
//!   by side, such as a page of objects with their documents, keeps its callers waiting often.)
//! - **A connection kept idle for more than [`super::IDLE_BEFORE_PING`] is pinged before use**,
//!   as the pool pings its own idle ones; one that does not answer is closed and another taken.
//! - **Every connection goes back through the pool at least once a [`TURN`]** (the pool's ping
//!   and its `max_lifetime` check), and all of them when the pool closes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};
use tokio::sync::oneshot;

/// Longest a connection cycles through here before it goes back through the pool once.
const TURN: Duration = Duration::from_secs(60);

/// A connection waiting here.
struct Kept {
    conn: PoolConnection<Postgres>,
    /// When it last came from the pool.
    since: Instant,
    /// When it was handed back.
    at: Instant,
}

/// A connection handed to a caller in line, with when it last came from the pool.
type Handed = (PoolConnection<Postgres>, Instant);

#[derive(Default)]
struct State {
    kept: Vec<Kept>,
    /// Callers waiting, first come first served (some may have been served by the pool since).
    line: VecDeque<oneshot::Sender<Handed>>,
    closed: bool,
}

/// The connections of one pool kept for the next statement (shared by clones of a `Db`).
#[derive(Clone, Default)]
pub(super) struct Hot(Arc<Mutex<State>>);

impl std::fmt::Debug for Hot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hot").field("kept", &self.kept()).finish()
    }
}

/// A checked-out connection that goes back here when dropped after [`Lease::finished`], and to
/// the pool otherwise.
pub(super) struct Lease {
    /// Always present until dropped.
    conn: Option<PoolConnection<Postgres>>,
    since: Instant,
    clean: bool,
    hot: Hot,
}

impl Lease {
    /// The connection, for one statement: the lease counts as unfinished until
    /// [`Lease::finished`] says the statement ran to completion.
    pub(super) fn conn(&mut self) -> Result<&mut PgConnection, sqlx::Error> {
        self.clean = false;
        self.conn.as_deref_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// The statement ran to completion: nothing is left on the connection to flush.
    pub(super) fn finished(&mut self) {
        self.clean = true;
    }

    /// The pool's connection itself, for a transaction (which goes back the pool's way).
    pub(super) fn into_pooled(mut self) -> Option<PoolConnection<Postgres>> {
        self.conn.take()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Otherwise the connection is dropped here: the pool pings it, which flushes whatever a
        // cancelled statement left, or closes it.
        if let Some(conn) = self.conn.take()
            && self.clean
        {
            self.hot.give_back(conn, self.since);
        }
    }
}

impl Hot {
    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing under this lock can panic half-way; a poisoned lock holds consistent state.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many connections wait here.
    pub(super) fn kept(&self) -> usize {
        self.state().kept.len()
    }

    /// A connection: the last one handed back here, or else the first one handed back or
    /// opened by `pool`, whichever comes first.
    pub(super) async fn acquire(&self, pool: &PgPool) -> Result<Lease, sqlx::Error> {
        loop {
            let waiting = {
                let mut s = self.state();
                match s.kept.pop() {
                    Some(kept) => Ok(kept),
                    None => {
                        let (tx, rx) = oneshot::channel();
                        // Those served by the pool meanwhile leave the line here.
                        s.line.retain(|w| !w.is_closed());
                        s.line.push_back(tx);
                        Err(rx)
                    }
                }
            };
            let mut k = match waiting {
                Ok(kept) => kept,
                Err(mut handed) => {
                    // A connection handed over is taken first; one the pool gives meanwhile
                    // leaves this caller's place in line empty (a send to it fails and the
                    // next one gets the connection).
                    return tokio::select! {
                        biased;
                        Ok((conn, since)) = &mut handed => Ok(self.lease(conn, since)),
                        conn = pool.acquire() => Ok(self.lease(conn?, Instant::now())),
                    };
                }
            };
            if k.at.elapsed() > super::IDLE_BEFORE_PING
                && sqlx::Connection::ping(&mut *k.conn).await.is_err()
            {
                k.conn.close_on_drop();
                continue;
            }
            return Ok(self.lease(k.conn, k.since));
        }
    }

    fn lease(&self, conn: PoolConnection<Postgres>, since: Instant) -> Lease {
        Lease {
            conn: Some(conn),
            since,
            clean: false,
            hot: self.clone(),
        }
    }

    /// Hands `conn` to the first caller in line, or keeps it for the next statement; when its
    /// turn is up or the pool is closing it goes back to the pool instead.
    fn give_back(&self, conn: PoolConnection<Postgres>, since: Instant) {
        let now = Instant::now();
        let mut s = self.state();
        if s.closed || now.duration_since(since) > TURN {
            drop(s);
            drop(conn);
            return;
        }
        let mut handed = (conn, since);
        while let Some(waiter) = s.line.pop_front() {
            match waiter.send(handed) {
                Ok(()) => return,
                Err(back) => handed = back,
            }
        }
        let (conn, since) = handed;
        // Those idle here for a whole turn go back to the pool too, whose idle timeout then
        // applies to them.
        let (stale, fresh): (Vec<Kept>, Vec<Kept>) = std::mem::take(&mut s.kept)
            .into_iter()
            .partition(|k| now.duration_since(k.at) > TURN);
        s.kept = fresh;
        s.kept.push(Kept {
            conn,
            since,
            at: now,
        });
        drop(s);
        drop(stale);
    }

    /// Hands every kept connection back to the pool and keeps none from now on: the pool is
    /// closing, and its close waits for every connection checked out.
    pub(super) fn close(&self) {
        let (kept, line) = {
            let mut s = self.state();
            s.closed = true;
            (std::mem::take(&mut s.kept), std::mem::take(&mut s.line))
        };
        // Those in line wait on the pool alone from now on.
        drop(line);
        drop(kept);
    }
}
