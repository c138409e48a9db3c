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
//! - **No one waits on the pool while a connection waits here.** Every checkout (statements and
//!   transactions alike) looks here first, and once a caller waits on the pool, connections
//!   handed back go to the pool, which gives them to it. Both steps happen under one lock, so a
//!   connection cannot slip in here just after a caller found nothing.
//! - **A connection kept idle for more than [`super::IDLE_BEFORE_PING`] is pinged before use**,
//!   as the pool pings its own idle ones; one that does not answer is closed and another taken.
//! - **Every connection goes back through the pool at least once a [`TURN`]** (the pool's ping
//!   and its `max_lifetime` check), and all of them when the pool closes.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};

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

#[derive(Default)]
struct State {
    kept: Vec<Kept>,
    /// Callers waiting on the pool itself.
    waiting: usize,
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

/// Counts a caller waiting on the pool for as long as it waits (or until it is cancelled).
struct Waiting<'a>(&'a Hot);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.state().waiting -= 1;
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

    /// A connection: the last one handed back here, or else one from `pool`.
    pub(super) async fn acquire(&self, pool: &PgPool) -> Result<Lease, sqlx::Error> {
        loop {
            let kept = {
                let mut s = self.state();
                let kept = s.kept.pop();
                if kept.is_none() {
                    s.waiting += 1;
                }
                kept
            };
            let Some(mut k) = kept else {
                let _waiting = Waiting(self);
                let conn = pool.acquire().await?;
                return Ok(self.lease(conn, Instant::now()));
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

    /// Keeps `conn` for the next statement, unless someone waits on the pool, its turn is up or
    /// the pool is closing: then it goes back to the pool.
    fn give_back(&self, conn: PoolConnection<Postgres>, since: Instant) {
        let now = Instant::now();
        let mut s = self.state();
        if s.closed || s.waiting > 0 || now.duration_since(since) > TURN {
            drop(s);
            drop(conn);
            return;
        }
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
        let kept = {
            let mut s = self.state();
            s.closed = true;
            std::mem::take(&mut s.kept)
        };
        drop(kept);
    }
}
